import type {
  V1Deployment,
  V1OwnerReference,
  V1Pod,
  V1PodDisruptionBudget,
  V1PodSpec,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultDrainSettings } from '../drain/settings.ts';
import { type AuditOptions, auditFindings, type FindingKind } from './audit-findings.ts';
import { isSpotNode, SPOT_NODE_LABELS } from './audit-inventory.ts';
import { auditMarkdown, auditReport, auditTable } from './audit-output.ts';
import type { AuditInventory } from './audit-workloads.ts';

const NS = 'shop';
const SPOT = 'spot-1';
const SPOT_2 = 'spot-2';
const ON_DEMAND = 'on-demand-1';

const options = (overrides: Partial<AuditOptions> = {}): AuditOptions => ({
  noticeSeconds: 120,
  settings: defaultDrainSettings,
  ...overrides,
});

let uid = 0;
function pod(
  name: string,
  node: string,
  owner?: Pick<V1OwnerReference, 'kind' | 'name'>,
  spec: Partial<V1PodSpec> = {},
  labels: Record<string, string> = { app: name },
): V1Pod {
  uid += 1;
  return {
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${uid}`,
      labels,
      ...(owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', uid: 'owner', controller: true, ...owner }] }
        : {}),
    },
    spec: { nodeName: node, terminationGracePeriodSeconds: 10, containers: [], ...spec },
    status: { phase: 'Running' },
  };
}

/** A Deployment `name` with its ReplicaSet, and `nodes.length` pods of it on those nodes. */
function deployment(name: string, nodes: string[], spec: Partial<V1PodSpec> = {}) {
  const replicaSet: V1ReplicaSet = {
    metadata: {
      name: `${name}-5d8f`,
      namespace: NS,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: 'd', controller: true }],
    },
    spec: { replicas: nodes.length, selector: {} },
  };
  const object: V1Deployment = {
    metadata: { name, namespace: NS },
    spec: { replicas: nodes.length, selector: {}, template: {} },
  };
  const pods = nodes.map((node, index) =>
    pod(`${name}-5d8f-${index}`, node, { kind: 'ReplicaSet', name: `${name}-5d8f` }, spec, { app: name }),
  );
  return { replicaSet, deployment: object, pods };
}

function budget(
  name: string,
  app: string,
  disruptionsAllowed: number,
  extra: Partial<V1PodDisruptionBudget['spec']> = {},
): V1PodDisruptionBudget {
  return {
    metadata: { name, namespace: NS, generation: 1 },
    spec: { selector: { matchLabels: { app } }, maxUnavailable: 1, ...extra },
    status: {
      observedGeneration: 1,
      disruptionsAllowed,
      currentHealthy: 2,
      desiredHealthy: 2,
      expectedPods: 2,
    },
  };
}

function inventory(
  parts: ReturnType<typeof deployment>[],
  extra: Partial<AuditInventory> = {},
): AuditInventory {
  return {
    spotNodes: new Set([SPOT, SPOT_2]),
    pods: [...parts.flatMap((part) => part.pods), ...(extra.pods ?? [])],
    budgets: extra.budgets ?? [],
    replicaSets: parts.map((part) => part.replicaSet),
    deployments: parts.map((part) => part.deployment),
    statefulSets: extra.statefulSets ?? [],
  };
}

const found = (result: ReturnType<typeof auditFindings>) =>
  result.findings.map((finding) => `${finding.workload.kind}/${finding.workload.name}: ${finding.finding}`);

describe('audit findings', () => {
  it('reports nothing for a replicated workload spread beyond spot, with a PDB that allows a disruption', () => {
    const clean = deployment('web', [SPOT, ON_DEMAND]);
    const result = auditFindings(inventory([clean], { budgets: [budget('web', 'web', 1)] }), options());
    expect(result.findings).toEqual([]);
    expect(result.audited).toBe(1);
  });

  it('names each finding with its workload, resolving a ReplicaSet to its Deployment', () => {
    const solo = deployment('solo', [SPOT]);
    const spotOnly = deployment('spot-only', [SPOT, SPOT_2]);
    const pinned = deployment('pinned', [SPOT, ON_DEMAND]);
    const doubled = deployment('doubled', [SPOT, ON_DEMAND]);
    const slow = deployment('slow', [SPOT, ON_DEMAND], { terminationGracePeriodSeconds: 300 });
    const scratch = deployment('scratch', [SPOT, ON_DEMAND], { volumes: [{ name: 'tmp', emptyDir: {} }] });
    const sticky = deployment('sticky', [SPOT, ON_DEMAND], { tolerations: [{ operator: 'Exists' }] });
    const bare = pod('bare', SPOT);
    const result = auditFindings(
      inventory([solo, spotOnly, pinned, doubled, slow, scratch, sticky], {
        pods: [bare],
        budgets: [
          budget('pinned', 'pinned', 0, { maxUnavailable: 0 }),
          budget('doubled', 'doubled', 1),
          budget('doubled-too', 'doubled', 1),
        ],
      }),
      options(),
    );
    expect(found(result).sort()).toEqual(
      [
        'Deployment/solo: single-replica',
        'Deployment/spot-only: all-replicas-on-spot',
        'Deployment/pinned: pdb-allows-no-disruption',
        'Deployment/doubled: multiple-pdbs',
        'Deployment/slow: grace-period-exceeds-notice',
        'Deployment/scratch: emptydir-data',
        'Deployment/sticky: tolerates-every-taint',
        'Pod/bare: bare-pod',
      ].sort(),
    );
    const byKind = (kind: FindingKind) => result.findings.find((finding) => finding.finding === kind);
    expect(byKind('multiple-pdbs')?.budgets).toEqual(['doubled', 'doubled-too']);
    expect(byKind('pdb-allows-no-disruption')?.why).toMatch(/pinned: maxUnavailable 0, 2 healthy of 2/);
    expect(byKind('all-replicas-on-spot')?.nodes).toEqual([SPOT, SPOT_2]);
    expect(byKind('bare-pod')?.workload).toEqual({ namespace: NS, kind: 'Pod', name: 'bare' });
    expect(byKind('single-replica')?.pods).toEqual(['solo-5d8f-0']);
  });

  it('caps grace periods as the drain does: the notice less the deadline safety margin', () => {
    const at = (grace: number, noticeSeconds: number) =>
      found(
        auditFindings(
          inventory([deployment('app', [SPOT, ON_DEMAND], { terminationGracePeriodSeconds: grace })]),
          options({ noticeSeconds }),
        ),
      );
    expect(at(119, 120)).toEqual([]);
    expect(at(120, 120)).toEqual(['Deployment/app: grace-period-exceeds-notice']);
    expect(at(29, 30)).toEqual([]);
    const defaulted = deployment('app', [SPOT, ON_DEMAND], { terminationGracePeriodSeconds: undefined });
    const result = auditFindings(inventory([defaulted]), options({ noticeSeconds: 30 }));
    expect(result.findings[0]?.why).toBe(
      'terminationGracePeriodSeconds 30: with 30 s notice the drain grants at most 29 s, then its containers are killed',
    );
  });

  it('leaves out the pods the planner leaves: DaemonSet, mirror, finished and terminating ones', () => {
    const daemon = pod(
      'agent-x',
      SPOT,
      { kind: 'DaemonSet', name: 'agent' },
      {
        tolerations: [{ operator: 'Exists' }],
      },
    );
    const mirror = pod('proxy-spot-1', SPOT);
    mirror.metadata = { ...mirror.metadata, annotations: { 'kubernetes.io/config.mirror': 'abc' } };
    const finished = pod('done', SPOT);
    finished.status = { phase: 'Succeeded' };
    const terminating = pod('leaving', SPOT);
    terminating.metadata = { ...terminating.metadata, deletionTimestamp: new Date() };
    const result = auditFindings(inventory([], { pods: [daemon, mirror, finished, terminating] }), options());
    expect(result.findings).toEqual([]);
    expect(result.audited).toBe(0);
    expect(result.skipped).toEqual({
      'skip-daemonset': 1,
      'skip-mirror': 1,
      'skip-finished': 1,
      'already-terminating': 1,
    });
  });

  it('audits DaemonSet pods when the drain evicts them too, as pods of no replicas that come back anyway', () => {
    const daemon = pod(
      'agent-x',
      SPOT,
      { kind: 'DaemonSet', name: 'agent' },
      { tolerations: [{ operator: 'Exists' }], terminationGracePeriodSeconds: 300 },
    );
    const settings = { ...defaultDrainSettings, evictDaemonSetPods: true };
    expect(found(auditFindings(inventory([], { pods: [daemon] }), options({ settings })))).toEqual([
      'DaemonSet/agent: grace-period-exceeds-notice',
    ]);
  });

  it('says an emptyDir pod is left to die with the machine when the drain keeps emptyDir pods', () => {
    const scratch = deployment('scratch', [SPOT, ON_DEMAND], { volumes: [{ name: 'tmp', emptyDir: {} }] });
    const settings = { ...defaultDrainSettings, deleteEmptyDirData: false };
    const [finding] = auditFindings(inventory([scratch]), options({ settings })).findings;
    expect(finding?.finding).toBe('emptydir-data');
    expect(finding?.why).toMatch(/SPOT_DRAINER_DELETE_EMPTYDIR_DATA=false: it dies with the machine/);
  });

  it('ignores a PDB whose status the disruption controller has not computed yet, and PDBs of other namespaces', () => {
    const web = deployment('web', [SPOT, ON_DEMAND]);
    const fresh = budget('web', 'web', 0);
    fresh.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    const elsewhere = { ...budget('web-2', 'web', 0), metadata: { name: 'web-2', namespace: 'other' } };
    const twin = { ...budget('web-3', 'web', 1), metadata: { name: 'web-3', namespace: 'other' } };
    expect(
      auditFindings(inventory([web], { budgets: [fresh, elsewhere, twin] }), options()).findings,
    ).toEqual([]);
  });

  it('counts a StatefulSet replica and a Job pod by their own rules', () => {
    const db = pod('db-0', SPOT, { kind: 'StatefulSet', name: 'db' });
    const job = pod('migrate-x', SPOT, { kind: 'Job', name: 'migrate' });
    const result = auditFindings(
      inventory([], {
        pods: [db, job],
        statefulSets: [
          {
            metadata: { name: 'db', namespace: NS },
            spec: { replicas: 1, selector: {}, serviceName: 'db', template: {} },
          },
        ],
      }),
      options(),
    );
    expect(found(result)).toEqual(['StatefulSet/db: single-replica']);
  });
});

describe('spot nodes', () => {
  it('recognises the EKS, Karpenter and AKS spot labels and nothing else', () => {
    for (const [key, value] of Object.entries(SPOT_NODE_LABELS))
      expect(isSpotNode({ metadata: { labels: { [key]: value } } }), key).toBe(true);
    expect(isSpotNode({ metadata: { labels: { 'eks.amazonaws.com/capacityType': 'ON_DEMAND' } } })).toBe(
      false,
    );
    expect(isSpotNode({ metadata: { labels: { 'karpenter.sh/capacity-type': 'on-demand' } } })).toBe(false);
    expect(isSpotNode({ metadata: {} })).toBe(false);
  });
});

describe('audit output', () => {
  const result = auditFindings(inventory([deployment('solo', [SPOT])]), options());
  const scope = { noticeSeconds: 120, nodes: [SPOT, SPOT_2] };

  it('prints a table with the fix under each finding, and Markdown with a pipe escaped', () => {
    const table = auditTable(scope, result).split('\n');
    expect(table[0]).toMatch(
      /^2 spot nodes \(standard spot labels\), 1 pod the drain would evict; 120 s notice: 1 finding in 1 workload$/,
    );
    expect(table[2]).toMatch(/^NAMESPACE\s+WORKLOAD\s+FINDING\s+WHY \/ FIX$/);
    expect(table[3]).toMatch(/^shop\s+Deployment\/solo\s+single-replica\s+1 replica/);
    expect(table[4]).toMatch(/^\s+fix: run 2 or more replicas/);
    const piped = { ...result, findings: result.findings.map((finding) => ({ ...finding, why: 'a | b' })) };
    expect(auditMarkdown(scope, piped)).toContain('| shop | Deployment/solo | single-replica | a \\| b |');
  });

  it('shapes the JSON with the selector or the labels that chose the nodes', () => {
    expect(auditReport(scope, result).spotNodes).toEqual({
      selector: null,
      labels: SPOT_NODE_LABELS,
      names: [SPOT, SPOT_2],
    });
    expect(auditReport({ ...scope, selector: 'pool=a' }, result).spotNodes.labels).toBeNull();
  });
});

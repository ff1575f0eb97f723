/**
 * `spot-drainer audit` through the real binary, as the user's own identity (the admin kubeconfig), on a
 * fixture holding each finding on one spot node, a clean workload on another spot node, an on-demand
 * node beside them, and a DaemonSet the drain leaves alone.
 */
import { PatchStrategy, setHeaderOptions, type V1PodSpec } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSpotPool,
  deleteSpotPool,
  isPodReady,
  POOL_LABEL,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { runCli } from './cli-process.ts';
import { type AdminApis, adminApis, clusterInfo, eventually, uniqueName } from './cluster.ts';

interface AuditJson {
  noticeSeconds: number;
  spotNodes: { selector: string | null; labels: Record<string, string> | null; names: string[] };
  pods: { audited: number; skipped: Record<string, number> };
  findings: Array<{
    finding: string;
    workload: { namespace: string; kind: string; name: string };
    pods: string[];
    nodes: string[];
    why: string;
    fix: string;
    budgets?: string[];
  }>;
}

/** Each finding of the fixture, by workload and kind: one workload per finding. */
const EXPECTED = [
  'Deployment/doubled: multiple-pdbs',
  'Deployment/pinned: pdb-allows-no-disruption',
  'Deployment/scratch: emptydir-data',
  'Deployment/slow: grace-period-exceeds-notice',
  'Deployment/solo: single-replica',
  'Deployment/spot-only: all-replicas-on-spot',
  'Deployment/sticky: tolerates-every-taint',
  'Pod/bare: bare-pod',
];

const HOSTNAME = 'kubernetes.io/hostname';
const container = [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }];

let apis: AdminApis;
let pool: SpotPool;
/** Spot node with every finding, on-demand node, spot node with only the clean workload's pod. */
let [fixtureNode, onDemandNode, cleanNode] = ['', '', ''];

/**
 * A Deployment whose `replicas` run on `hosts`: one per host when `spread` (required anti-affinity),
 * else wherever among them the scheduler puts them.
 */
async function deploy(
  name: string,
  replicas: number,
  hosts: string[],
  options: { spread?: boolean; spec?: Partial<V1PodSpec> } = {},
): Promise<void> {
  const labels = { app: name };
  const antiAffinity = {
    requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: labels }, topologyKey: HOSTNAME },
    ],
  };
  await apis.apps.createNamespacedDeployment({
    namespace: pool.namespace,
    body: {
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: pool.podTemplate.nodeSelector,
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: HOSTNAME, operator: 'In', values: hosts }] },
                  ],
                },
              },
              ...(options.spread ? { podAntiAffinity: antiAffinity } : {}),
            },
            terminationGracePeriodSeconds: 2,
            containers: container,
            ...options.spec,
          },
        },
      },
    },
  });
}

async function budget(name: string, app: string, maxUnavailable: number): Promise<void> {
  await apis.policy.createNamespacedPodDisruptionBudget({
    namespace: pool.namespace,
    body: { metadata: { name }, spec: { selector: { matchLabels: { app } }, maxUnavailable } },
  });
}

async function createFixture(): Promise<void> {
  const both = [fixtureNode, onDemandNode];
  await deploy('pinned', 2, both, { spread: true });
  await budget('pinned', 'pinned', 0);
  await deploy('doubled', 2, both, { spread: true });
  await budget('doubled', 'doubled', 1);
  await budget('doubled-too', 'doubled', 1);
  await deploy('solo', 1, [fixtureNode]);
  await deploy('slow', 2, both, { spread: true, spec: { terminationGracePeriodSeconds: 300 } });
  await deploy('scratch', 2, both, { spread: true, spec: { volumes: [{ name: 'cache', emptyDir: {} }] } });
  await deploy('sticky', 2, both, { spread: true, spec: { tolerations: [{ operator: 'Exists' }] } });
  await deploy('spot-only', 2, [fixtureNode]);
  await deploy('clean', 2, [onDemandNode, cleanNode], { spread: true });
  await budget('clean', 'clean', 1);
  await apis.core.createNamespacedPod({
    namespace: pool.namespace,
    body: {
      metadata: { name: 'bare', labels: { app: 'bare' } },
      spec: { nodeName: fixtureNode, terminationGracePeriodSeconds: 2, containers: container },
    },
  });
  await apis.apps.createNamespacedDaemonSet({
    namespace: pool.namespace,
    body: {
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            nodeSelector: pool.podTemplate.nodeSelector,
            tolerations: [{ operator: 'Exists' }],
            terminationGracePeriodSeconds: 600,
            containers: container,
          },
        },
      },
    },
  });
}

/** Until every pod is Ready and the disruption controller has computed each budget. */
async function fixtureSettled(): Promise<void> {
  const expectedPods = 2 * 7 + 1 + 1 + 3; // 7 two-replica Deployments, solo, bare, agent on 3 nodes
  await eventually(
    'the fixture pods Ready',
    async () => {
      const pods = (await apis.core.listNamespacedPod({ namespace: pool.namespace })).items;
      return pods.length === expectedPods && pods.every(isPodReady);
    },
    90_000,
  );
  await eventually(
    'the PodDisruptionBudgets computed',
    async () => {
      const budgets = (await apis.policy.listNamespacedPodDisruptionBudget({ namespace: pool.namespace }))
        .items;
      const allowed = Object.fromEntries(
        budgets.map((item) => [
          item.metadata?.name,
          (item.status?.observedGeneration ?? 0) >= (item.metadata?.generation ?? 1) &&
          item.status?.expectedPods === 2
            ? item.status.disruptionsAllowed
            : undefined,
        ]),
      );
      return (
        allowed.pinned === 0 && allowed.doubled === 1 && allowed['doubled-too'] === 1 && allowed.clean === 1
      );
      // The disruption controller lags under a full suite's load (30 s ran out once), as the pods' wait does.
    },
    90_000,
  );
}

beforeAll(async () => {
  apis = adminApis();
  pool = await createSpotPool(apis, { cloud: 'aws', nodes: 3, id: uniqueName('audit') });
  [fixtureNode, onDemandNode, cleanNode] = pool.nodes.map((node) => node.name) as [string, string, string];
  await apis.core.patchNode(
    {
      name: onDemandNode,
      body: {
        metadata: {
          labels: {
            'eks.amazonaws.com/capacityType': 'ON_DEMAND',
            'karpenter.sh/capacity-type': 'on-demand',
          },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await createFixture();
  await fixtureSettled();
});

afterAll(async () => {
  if (pool) await deleteSpotPool(apis, pool);
});

const audit = (...args: string[]) =>
  runCli(['audit', '--kubeconfig', clusterInfo().adminKubeconfig, ...args]);
const poolSelector = () => `${POOL_LABEL}=${pool.id},eks.amazonaws.com/capacityType=SPOT`;
const described = (report: AuditJson, namespace = pool.namespace) =>
  report.findings
    .filter((finding) => finding.workload.namespace === namespace)
    .map((finding) => `${finding.workload.kind}/${finding.workload.name}: ${finding.finding}`)
    .sort();

describe('spot-drainer audit', () => {
  it('reports each finding by workload and kind, exit 3, and never the clean workload or the DaemonSet', async () => {
    const { code, stdout, stderr } = await audit('--selector', poolSelector(), '--json');
    expect(stderr).toBe('');
    expect(code).toBe(3);
    const report = JSON.parse(stdout) as AuditJson;
    expect(report.noticeSeconds).toBe(120);
    expect(report.spotNodes).toEqual({
      selector: poolSelector(),
      labels: null,
      names: [fixtureNode, cleanNode].sort(),
    });
    expect(described(report)).toEqual(EXPECTED);
    expect(report.findings).toHaveLength(EXPECTED.length);
    // spot pods of the fixture: 5 spread Deployments' spot halves, solo, spot-only x2, bare, clean's half
    expect(report.pods).toEqual({ audited: 10, skipped: { 'skip-daemonset': 2 } });
    const find = (name: string) => report.findings.find((finding) => finding.workload.name === name);
    expect(find('doubled')?.budgets).toEqual(['doubled', 'doubled-too']);
    expect(find('pinned')?.budgets).toEqual(['pinned']);
    expect(find('slow')?.why).toMatch(/terminationGracePeriodSeconds 300: with 120 s notice .* 119 s/);
    expect(find('spot-only')?.nodes).toEqual([fixtureNode]);
    expect(find('spot-only')?.pods).toHaveLength(2);
    expect(find('solo')?.fix).toMatch(/2 or more replicas/);
    for (const finding of report.findings)
      expect(finding.nodes, finding.workload.name).toEqual([fixtureNode]);
  });

  it('recognises spot nodes by the standard labels without a selector', async () => {
    const { code, stdout } = await audit('--json');
    expect(code).toBe(3);
    const report = JSON.parse(stdout) as AuditJson;
    expect(report.spotNodes.selector).toBeNull();
    expect(report.spotNodes.names).toEqual(expect.arrayContaining([fixtureNode, cleanNode]));
    expect(report.spotNodes.names).not.toContain(onDemandNode);
    expect(described(report)).toEqual(EXPECTED);
  });

  it('exits 0 on nodes where only the clean workload runs', async () => {
    const { code, stdout } = await audit('--selector', `${HOSTNAME}=${cleanNode}`);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(
        `^1 spot node \\(selector ${HOSTNAME}=${cleanNode}\\), 1 pod the drain would evict, 1 it leaves \\(DaemonSet`,
      ),
    );
    expect(stdout).toMatch(/no findings\n$/);
  });

  it('judges grace periods against --notice, less the drain deadline safety margin', async () => {
    const exact = JSON.parse((await audit('--selector', poolSelector(), '--json', '--notice', '5m')).stdout);
    expect(described(exact)).toEqual(EXPECTED);
    const slow = (exact as AuditJson).findings.find((finding) => finding.workload.name === 'slow');
    expect(slow?.why).toMatch(/with 300 s notice the drain grants at most 299 s/);
    const longer = JSON.parse((await audit('--selector', poolSelector(), '--json', '--notice', '6m')).stdout);
    expect(described(longer)).toEqual(EXPECTED.filter((line) => !line.startsWith('Deployment/slow')));
    expect(longer.noticeSeconds).toBe(360);
  });

  it('prints a table with the fix under each finding, and Markdown', async () => {
    const table = await audit('--selector', poolSelector());
    expect(table.code).toBe(3);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^2 spot nodes \(selector .*\), 10 pods the drain would evict, 2 it leaves \(DaemonSet, mirror, finished\); 120 s notice: 8 findings in 8 workloads$/,
    );
    expect(lines[2]).toMatch(/^NAMESPACE\s+WORKLOAD\s+FINDING\s+WHY \/ FIX$/);
    for (const line of EXPECTED) {
      const [workload, finding] = line.split(': ');
      expect(table.stdout).toMatch(new RegExp(`\\n${pool.namespace}\\s+${workload}\\s+${finding}\\s+\\S`));
    }
    expect(lines.filter((line) => /^\s+fix: /.test(line))).toHaveLength(EXPECTED.length);
    const markdown = await audit('--selector', poolSelector(), '--format', 'markdown');
    expect(markdown.code).toBe(3);
    expect(markdown.stdout).toContain('| namespace | workload | finding | why | fix |');
    expect(markdown.stdout).toContain(`| ${pool.namespace} | Deployment/solo | single-replica | 1 replica`);
  });

  it("runs as the kubeconfig's identity: the drainer's may not list ReplicaSets, and it says so, exit 2", async () => {
    const { code, stdout, stderr } = await runCli([
      'audit',
      '--kubeconfig',
      clusterInfo().drainerKubeconfig,
      '--selector',
      poolSelector(),
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/403 Forbidden: .*cannot list resource "(replicasets|deployments|statefulsets)"/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a bad --notice, --format or --selector with exit 2', async () => {
    for (const args of [
      ['--notice', '0s'],
      ['--notice', 'soon'],
      ['--format', 'xml'],
      ['--selector', 'a in (b'],
    ]) {
      const { code, stderr } = await audit(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(/^spot-drainer: --(notice|format|selector)/);
    }
  });
});

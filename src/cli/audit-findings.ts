/**
 * The rules of `spot-drainer audit`: which workloads on spot nodes would not come through an interruption
 * with a given notice, and why. The pods considered are those the drain engine's planner would act on
 * (`planPods`: mirror, finished and DaemonSet pods stay where they are), and every rule is the engine's
 * own: the grace-period cap (`cappedGraceSeconds`), the PodDisruptionBudgets the Eviction API finds
 * (`budgetsSelecting`), emptyDir data, tolerations that bring a replacement back to the drained node.
 */
import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { budgetsSelecting } from '../drain/eviction-answer.ts';
import {
  cappedGraceSeconds,
  DEFAULT_GRACE_SECONDS,
  graceDeadline,
  hasEmptyDir,
  type PlannedPod,
  type PlanOptions,
  planPods,
  toleratesEveryTaint,
} from '../drain/plan.ts';
import type { PodDisposition } from '../drain/report.ts';
import type { DrainSettings } from '../drain/settings.ts';
import {
  type AuditInventory,
  resolveWorkloads,
  type Workload,
  type WorkloadRef,
  workloadKey,
} from './audit-workloads.ts';

/** What a finding is about, in the order the audit reports them for one workload. */
export const FINDING_KINDS = [
  'bare-pod',
  'single-replica',
  'all-replicas-on-spot',
  'pdb-allows-no-disruption',
  'multiple-pdbs',
  'grace-period-exceeds-notice',
  'emptydir-data',
  'tolerates-every-taint',
] as const;

/** One of {@link FINDING_KINDS}. */
export type FindingKind = (typeof FINDING_KINDS)[number];

/** One reason a workload would not come through an interruption, and what to do about it. */
export interface Finding {
  finding: FindingKind;
  workload: WorkloadRef;
  /** Its pods on spot nodes the finding is about (names, sorted). */
  pods: string[];
  /** The spot nodes they run on (sorted). */
  nodes: string[];
  why: string;
  fix: string;
  /** The PodDisruptionBudgets concerned (names in the workload's namespace), for the PDB findings. */
  budgets?: string[];
}

/** How the audit judges: the notice an interruption gives, and the drain settings it would run with. */
export interface AuditOptions {
  /** Seconds from the interruption warning until the machine goes away (AWS 120, Azure at least 30). */
  noticeSeconds: number;
  settings: PlanOptions & Pick<DrainSettings, 'deadlineSafetyMs'>;
}

/** Findings, and what was looked at: the spot nodes' pods the drain would act on, and those it leaves. */
export interface AuditResult {
  findings: Finding[];
  /** Pods on spot nodes the drain would evict (or, emptyDir ones with deleteEmptyDirData off, leave to die). */
  audited: number;
  /** Pods on spot nodes the drain leaves alone, by the planner's disposition (skip-daemonset, ...). */
  skipped: Partial<Record<PodDisposition, number>>;
}

/** A workload with the pods of it the drain would act on, on spot nodes. */
interface Exposed {
  workload: Workload;
  planned: PlannedPod[];
}

type Rule = (exposed: Exposed, context: RuleContext) => Omit<Finding, 'workload'> | undefined;

interface RuleContext {
  options: AuditOptions;
  budgets: readonly V1PodDisruptionBudget[];
}

const CONTROLLERS_WITH_REPLICAS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
/** Kinds whose pods are not replicas of a service: a bare pod, a Job's run, a DaemonSet's pod per node. */
const NO_REPLICAS = new Set(['Pod', 'Job', 'DaemonSet']);
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
const podNames = (pods: readonly PlannedPod[]) => sorted(pods.map((pod) => pod.name));
const nodesOf = (pods: readonly PlannedPod[]) => sorted(pods.map((pod) => pod.pod.spec?.nodeName ?? ''));
const about = (pods: readonly PlannedPod[]) => ({ pods: podNames(pods), nodes: nodesOf(pods) });

const barePod: Rule = ({ workload, planned }) =>
  workload.ref.kind !== 'Pod'
    ? undefined
    : {
        finding: 'bare-pod',
        ...about(planned),
        why: 'no controller: once evicted it is gone, nothing recreates it',
        fix: 'run it under a Deployment, StatefulSet or Job',
      };

/** Replicas asked for, or, for a controller that does not say (a custom kind), the pods running. */
function replicasOf(workload: Workload): number | undefined {
  if (NO_REPLICAS.has(workload.ref.kind)) return undefined;
  if (CONTROLLERS_WITH_REPLICAS.has(workload.ref.kind)) return workload.desiredReplicas;
  return workload.active.length;
}

const singleReplica: Rule = ({ workload, planned }) =>
  replicasOf(workload) !== 1
    ? undefined
    : {
        finding: 'single-replica',
        ...about(planned),
        why: '1 replica: down from its eviction until the replacement is Ready elsewhere',
        fix: 'run 2 or more replicas spread over nodes, with a PodDisruptionBudget maxUnavailable: 1',
      };

const allOnSpot: Rule = ({ workload, planned }, { options }) => {
  const replicas = replicasOf(workload) ?? 0;
  const active = workload.active;
  const spot = new Set(planned.map((pod) => pod.uid));
  if (replicas < 2 || active.length < 2 || !active.every((pod) => spot.has(pod.metadata?.uid ?? '')))
    return undefined;
  const nodes = nodesOf(planned);
  const where = nodes.length === 1 ? `one spot node, ${nodes[0]}` : `${nodes.length} spot nodes`;
  const [all, them] =
    active.length === 2 ? ['both replicas', 'both'] : [`all ${active.length} replicas`, 'them all'];
  return {
    finding: 'all-replicas-on-spot',
    ...about(planned),
    why: `${all} on ${where}: one reclaim can take ${them} within ${options.noticeSeconds} s`,
    fix: 'spread replicas onto on-demand nodes too (topologySpreadConstraints on the capacity-type label)',
  };
};

function budgetTerms(budget: V1PodDisruptionBudget): string {
  const { minAvailable, maxUnavailable } = budget.spec ?? {};
  const rule =
    maxUnavailable !== undefined ? `maxUnavailable ${maxUnavailable}` : `minAvailable ${minAvailable}`;
  const status = budget.status;
  return `${rule}, ${status?.currentHealthy ?? 0} healthy of ${status?.desiredHealthy ?? 0} required`;
}

/** The disruption controller has processed the budget's current spec (its status is not a default). */
function observed(budget: V1PodDisruptionBudget): boolean {
  const status = budget.status;
  return (
    status?.observedGeneration !== undefined &&
    status.observedGeneration >= (budget.metadata?.generation ?? 1)
  );
}

const budgetAllowsNone: Rule = ({ planned }, { budgets }) => {
  const holding = new Map<string, V1PodDisruptionBudget>();
  const held = planned.filter((pod) => {
    const zero = budgetsSelecting(budgets, pod.pod, pod.namespace).filter(
      (budget) => observed(budget) && budget.status?.disruptionsAllowed === 0,
    );
    for (const budget of zero) holding.set(budget.metadata?.name ?? '', budget);
    return zero.length > 0;
  });
  if (held.length === 0) return undefined;
  const names = sorted(holding.keys());
  const terms = [...holding.values()].map((budget) => `${budget.metadata?.name}: ${budgetTerms(budget)}`);
  return {
    finding: 'pdb-allows-no-disruption',
    ...about(held),
    budgets: names,
    why: `PodDisruptionBudget ${terms.join('; ')}: allows 0 disruptions, every eviction is refused until the machine is gone`,
    fix: 'allow one disruption: maxUnavailable: 1, or minAvailable below the healthy replicas',
  };
};

const multipleBudgets: Rule = ({ planned }, { budgets }) => {
  const names = new Set<string>();
  const held = planned.filter((pod) => {
    const selecting = budgetsSelecting(budgets, pod.pod, pod.namespace);
    if (selecting.length > 1) for (const budget of selecting) names.add(budget.metadata?.name ?? '');
    return selecting.length > 1;
  });
  if (held.length === 0) return undefined;
  return {
    finding: 'multiple-pdbs',
    ...about(held),
    budgets: sorted(names),
    why: `selected by ${names.size} PodDisruptionBudgets (${sorted(names).join(', ')}): the Eviction API refuses it (HTTP 500)`,
    fix: 'one PodDisruptionBudget per pod: merge them, or make their selectors disjoint',
  };
};

const graceOverNotice: Rule = ({ planned }, { options }) => {
  const now = 0;
  const cap = graceDeadline(options.noticeSeconds * 1000, options.settings);
  const own = (pod: V1Pod) => pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const cut = planned.filter((pod) => cappedGraceSeconds(pod.pod, cap, now) < own(pod.pod));
  const [first] = cut;
  if (!first) return undefined;
  const longest = Math.max(...cut.map((pod) => own(pod.pod)));
  const granted = cappedGraceSeconds(first.pod, cap, now);
  return {
    finding: 'grace-period-exceeds-notice',
    ...about(cut),
    why: `terminationGracePeriodSeconds ${longest}: with ${options.noticeSeconds} s notice the drain grants at most ${granted} s, then its containers are killed`,
    fix: `shut down within ${granted} s: lower terminationGracePeriodSeconds (preStop included), save state sooner`,
  };
};

const emptyDirData: Rule = ({ planned }) => {
  const withData = planned.filter((pod) => hasEmptyDir(pod.pod));
  if (withData.length === 0) return undefined;
  const volumes = sorted(
    withData.flatMap((pod) =>
      (pod.pod.spec?.volumes ?? []).filter((volume) => volume.emptyDir).map((volume) => volume.name),
    ),
  );
  const left = withData.some((pod) => pod.disposition === 'skip-local-storage')
    ? ' (the drain leaves it, SPOT_DRAINER_DELETE_EMPTYDIR_DATA=false: it dies with the machine)'
    : '';
  const which = `${volumes.length === 1 ? 'volume' : 'volumes'} ${volumes.join(', ')}`;
  return {
    finding: 'emptydir-data',
    ...about(withData),
    why: `emptyDir ${which}: the data is lost with the pod${left}`,
    fix: 'keep what must outlive the pod in a PersistentVolumeClaim or object storage',
  };
};

const toleratesAll: Rule = ({ workload, planned }) => {
  // Nothing recreates a bare pod; a DaemonSet recreates its pod on the node whatever it tolerates.
  if (workload.ref.kind === 'Pod' || workload.ref.kind === 'DaemonSet') return undefined;
  const returning = planned.filter((pod) => toleratesEveryTaint(pod.pod));
  if (returning.length === 0) return undefined;
  return {
    finding: 'tolerates-every-taint',
    ...about(returning),
    why: 'tolerates every taint ({operator: Exists}): its replacement can land back on the drained node',
    fix: 'tolerate the taints it needs by key, not every taint',
  };
};

const RULES: readonly Rule[] = [
  barePod,
  singleReplica,
  allOnSpot,
  budgetAllowsNone,
  multipleBudgets,
  graceOverNotice,
  emptyDirData,
  toleratesAll,
];

/** The dispositions of pods the drain acts on, or leaves to die with the machine (emptyDir, setting off). */
const EXPOSED: ReadonlySet<PodDisposition> = new Set(['evict', 'skip-local-storage']);

/** The spot nodes' pods through the planner, grouped by workload; the rest counted by disposition. */
function exposedWorkloads(
  inventory: AuditInventory,
  options: AuditOptions,
): { exposed: Exposed[]; audited: number; skipped: AuditResult['skipped'] } {
  const { workloadOf, workloads } = resolveWorkloads(inventory);
  const onSpot = inventory.pods.filter((pod) => inventory.spotNodes.has(pod.spec?.nodeName ?? ''));
  const skipped: AuditResult['skipped'] = {};
  const byWorkload = new Map<string, Exposed>();
  for (const planned of planPods(onSpot, options.settings)) {
    if (!EXPOSED.has(planned.disposition)) {
      skipped[planned.disposition] = (skipped[planned.disposition] ?? 0) + 1;
      continue;
    }
    const id = workloadKey(workloadOf(planned.pod));
    const workload = workloads.get(id);
    if (!workload) continue;
    const entry = byWorkload.get(id) ?? { workload, planned: [] };
    entry.planned.push(planned);
    byWorkload.set(id, entry);
  }
  const exposed = [...byWorkload.values()];
  const audited = exposed.reduce((sum, entry) => sum + entry.planned.length, 0);
  return { exposed, audited, skipped };
}

/**
 * Every finding on the spot nodes of `inventory`: per workload with pods there that the drain would act
 * on, the rules in {@link FINDING_KINDS} order; workloads sorted by namespace, kind and name. Pure.
 */
export function auditFindings(inventory: AuditInventory, options: AuditOptions): AuditResult {
  const { exposed, audited, skipped } = exposedWorkloads(inventory, options);
  const context: RuleContext = { options, budgets: inventory.budgets };
  const findings: Finding[] = [];
  exposed.sort((a, b) => workloadKey(a.workload.ref).localeCompare(workloadKey(b.workload.ref)));
  for (const entry of exposed) {
    for (const rule of RULES) {
      const found = rule(entry, context);
      if (!found) continue;
      const { finding, ...rest } = found;
      findings.push({ finding, workload: entry.workload.ref, ...rest });
    }
  }
  return { findings, audited, skipped };
}

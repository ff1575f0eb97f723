/** The facts of a drain that every notification target shows, computed once from the DrainReport. */
import type { DrainOutcome, DrainReport } from '../drain/report.ts';
import type { Cloud, DrainAction, InterruptionKind } from '../events/interruption.ts';

/** What a notification shows besides the report, supplied by the pipeline (see ReportContext). */
export interface NotifyContext {
  /** Cluster of the node as the handler knows it; CLUSTER, when set, is shown instead. */
  cluster?: string;
  /** The interrupted machine as its provider labels it (`EC2 instance`, `i-0abc…`). */
  machine: { noun: string; id: string };
  /** The interruption kind for people, from its provider (`spot interruption`); the kind itself if absent. */
  kindLabel?: string;
  /** Send even for a duplicate delivery or a dry run (the CLI replay sets it). */
  force?: boolean;
  /**
   * The function's own time left, in ms: each request's timeout is cut to end `NOTIFY_MARGIN_MS` before
   * it, so a notification never outlives the function (a platform stop mid-request loses the log line).
   */
  timeLeftMs?: () => number;
}

/** Whether the drain ended before the interruption deadline; `none` when the interruption set none. */
export type DeadlineStatus = 'met' | 'missed' | 'none';

/**
 * The flat record every target renders, and the webhook's default JSON body: names, counts of pods, and times
 * (`deadline`, `startedAt` as ISO 8601 strings; `cordonMs`, `durationMs` in ms from the start). `null` where
 * there is no value, so every field is present in the JSON.
 */
export interface NotificationSummary {
  /** One line saying what happened, for chat previews and `{{summary}}`. */
  headline: string;
  node: string;
  cluster: string | null;
  cloud: Cloud;
  /** EC2 instance id, or the Azure VM resource id. */
  machineId: string;
  /** What the machine is: `EC2 instance`, `Azure VM`. */
  machineNoun: string;
  kind: InterruptionKind;
  /** The kind for people (`spot interruption`). */
  kindLabel: string;
  action: DrainAction;
  outcome: DrainOutcome;
  dryRun: boolean;
  eventId: string;
  evicted: number;
  deleted: number;
  evictable: number;
  blocked: number;
  failed: number;
  timedOut: number;
  /** `namespace/name` of the pods PodDisruptionBudgets still protected when time ran out. */
  blockedPods: string[];
  /** Pods that landed on the node after the marks and still ran when the drain stopped. */
  returned: number;
  /**
   * `namespace/owner: reason` of the workloads whose pods landed back on the node after the marks, e.g.
   * `shop/ReplicaSet/web-7d9c: tolerates every taint (tolerations: [{operator: Exists}])`.
   */
  returningPods: string[];
  /** Marks an admission policy refused (`taint`, `annotations`, `label`); empty when all were written. */
  marksRefused: string[];
  deadline: string | null;
  deadlineMet: boolean;
  deadlineStatus: DeadlineStatus;
  cordonMs: number | null;
  durationMs: number;
  startedAt: string;
  /** Invocations the drain took: more than 1 when it went on in continuations. */
  invocations: number;
  /** Milliseconds from the first invocation of a continuation chain to its report; null without a chain. */
  chainMs: number | null;
}

/** [infinitive, past tense] of each action. */
const ACTION_VERBS: Record<DrainAction, [string, string]> = {
  drain: ['drain', 'Drained'],
  cordon: ['cordon', 'Cordoned'],
  cleanup: ['clean up', 'Cleaned up'],
  'cordon-or-cleanup': ['cordon', 'Cordoned'],
  release: ['release', 'Released'],
};

/** Actions that evict or delete pods; the others only mark the node. */
const POD_ACTIONS: ReadonlySet<DrainAction> = new Set(['drain', 'cleanup', 'cordon-or-cleanup']);

/**
 * The facts of `report` every notification target shows, with a one-line headline. Pure; labels come
 * from `context` (the provider's words for the machine and the kind).
 */
export function summarize(
  report: DrainReport,
  context: Pick<NotifyContext, 'cluster' | 'machine' | 'kindLabel'>,
): NotificationSummary {
  const blockedPods = report.pods
    .filter((pod) => pod.outcome === 'blocked-by-pdb')
    .map((pod) => `${pod.namespace}/${pod.name}`);
  const summary: Omit<NotificationSummary, 'headline'> = {
    node: report.node,
    cluster: context.cluster || null,
    cloud: report.cloud,
    machineId: context.machine.id,
    machineNoun: context.machine.noun,
    kind: report.kind,
    kindLabel: context.kindLabel ?? report.kind.replaceAll('-', ' '),
    action: report.action,
    outcome: report.outcome,
    dryRun: report.dryRun,
    eventId: report.eventId,
    evicted: report.counts.evicted,
    deleted: report.counts.deleted,
    evictable: report.counts.evictable,
    blocked: report.counts.blockedByPdb,
    failed: report.counts.failed,
    timedOut: report.counts.timedOut,
    blockedPods,
    returned: report.counts.returned ?? 0,
    returningPods: (report.returningPods ?? []).map(
      (pod) => `${pod.namespace}/${pod.owner ?? pod.name}: ${pod.reason}`,
    ),
    marksRefused: report.marksRefused ?? [],
    deadline: report.deadline ?? null,
    deadlineMet: report.deadlineMet,
    deadlineStatus: deadlineStatus(report),
    cordonMs: report.timings.cordonMs ?? null,
    durationMs: report.timings.totalMs,
    startedAt: report.startedAt,
    invocations: report.chain?.invocations ?? 1,
    chainMs: report.chain?.totalMs ?? null,
  };
  return { headline: headline(summary), ...summary };
}

/** `none` when the interruption set no deadline, else whether the drain met it. */
export function deadlineStatus(report: Pick<DrainReport, 'deadline' | 'deadlineMet'>): DeadlineStatus {
  if (report.deadline === undefined) return 'none';
  return report.deadlineMet ? 'met' : 'missed';
}

/** e.g. `Drained node ip-10-0-1-23 (cluster prod) after spot interruption: 12 of 14 pods evicted, 2 blocked by PDBs; deadline missed` */
function headline(summary: Omit<NotificationSummary, 'headline'>): string {
  const cluster = summary.cluster ? ` (cluster ${summary.cluster})` : '';
  const pods = POD_ACTIONS.has(summary.action) ? `: ${podsPhrase(summary)}` : '';
  const deadline =
    summary.dryRun || summary.deadlineStatus === 'none' ? '' : `; deadline ${summary.deadlineStatus}`;
  const refused =
    summary.marksRefused.length > 0 ? `; marks refused by admission: ${summary.marksRefused.join(', ')}` : '';
  const returning =
    summary.returningPods.length > 0
      ? `; pods landed back on the node: ${summary.returningPods.join('; ')}`
      : '';
  return `${verb(summary)} node ${summary.node}${cluster} after ${summary.kindLabel}${pods}${deadline}${refused}${returning}`;
}

function verb(summary: Pick<NotificationSummary, 'action' | 'outcome'>): string {
  const [infinitive, past] = ACTION_VERBS[summary.action];
  switch (summary.outcome) {
    case 'dry-run':
      return `[dry run] Would ${infinitive}`;
    case 'completed':
      return past;
    case 'partial':
      return `Partially ${past.toLowerCase()}`;
    case 'failed':
      return `Could not ${infinitive}`;
  }
}

/** `12 of 14 pods evicted, 2 blocked by PDBs`: the pod counts of a summary, for people. */
export function podsPhrase(summary: Omit<NotificationSummary, 'headline'>): string {
  if (summary.dryRun) return `${summary.evictable} evictable pods`;
  const parts = [`${summary.evicted} of ${summary.evictable} pods evicted`];
  if (summary.deleted > 0) parts.push(`${summary.deleted} deleted`);
  if (summary.blocked > 0) parts.push(`${summary.blocked} blocked by PDBs`);
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.timedOut > 0) parts.push(`${summary.timedOut} timed out`);
  if (summary.returned > 0) parts.push(`${summary.returned} came back`);
  return parts.join(', ');
}

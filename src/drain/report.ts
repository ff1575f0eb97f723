import type { Cloud, DrainAction, InterruptionKind } from '../events/interruption.ts';

/** Why a pod is or is not evicted. */
export type PodDisposition =
  | 'evict'
  | 'skip-mirror'
  | 'skip-finished'
  | 'skip-daemonset'
  | 'skip-local-storage'
  | 'already-terminating';

/** What happened to a pod. */
export type PodOutcome =
  | 'planned' // dry run
  | 'evicted' // eviction accepted
  | 'deleted' // deleted (cleanup action, or the force-delete deadline policy)
  | 'gone' // already gone, or replaced (404 / 409 on the UID precondition)
  | 'blocked-by-pdb' // still refused by a PodDisruptionBudget when time ran out
  | 'timed-out' // still failing transiently when time ran out
  | 'failed' // refused for good (403, 400, ...)
  | 'skipped'
  | 'terminating' // was already terminating; waited for, not evicted again
  | 'returned'; // landed on the node after the marks (again) and was still running when the drain stopped

/** One pod of the node, as the drain planned and left it. */
export interface PodResult {
  namespace: string;
  name: string;
  uid: string;
  disposition: PodDisposition;
  outcome: PodOutcome;
  critical: boolean;
  attempts: number;
  gracePeriodSeconds?: number;
  /** Milliseconds from the start of the drain until the eviction or deletion was accepted. */
  acceptedAfterMs?: number;
  error?: string;
  /** The pod was scheduled onto the node after the marks were written (found by a later listing). */
  arrivedAfterMarks?: boolean;
  /** Why the pod could land on the cordoned, tainted node (e.g. `tolerates every taint`), when it did. */
  landedBecause?: string;
}

/** A workload whose pods keep landing back on the node the drain empties. */
export interface ReturningPod {
  namespace: string;
  name: string;
  /** `ReplicaSet/web-7d9c…`, the controller that recreated it, when there is one. */
  owner?: string;
  /** Why the scheduler put it back, e.g. `tolerates every taint (tolerations: [{operator: Exists}])`. */
  reason: string;
}

/** How the drain as a whole ended. */
export type DrainOutcome =
  | 'completed' // the action finished: every evictable pod was evicted or deleted (or nothing to do)
  | 'partial' // marks are on, some pods could not be evicted in time
  | 'failed' // the action could not be carried out (marks not written, or permanent API refusal)
  | 'dry-run';

/** Milliseconds from the start of the drain (`DrainReport.startedAt`). */
export interface DrainTimings {
  /** From the start of the drain until the cordon patch was acknowledged (or seen to be in place). */
  cordonMs?: number;
  /** Until the last eviction or deletion was accepted. */
  lastEvictionAcceptedMs?: number;
  /** Until no evicted pod was left on the node (when the engine waited). */
  emptyMs?: number;
  totalMs: number;
}

/** Pods by outcome (`PodResult.outcome`); `evictable` counts those to evict or already terminating. */
export interface DrainCounts {
  pods: number;
  evictable: number;
  evicted: number;
  deleted: number;
  gone: number;
  blockedByPdb: number;
  failed: number;
  timedOut: number;
  skipped: number;
  /** Pods that landed on the node after the marks and were still running when the drain stopped. */
  returned: number;
  /** Evicted or deleted pods still on the node when the engine stopped waiting. */
  stillTerminating: number;
}

/**
 * The continuation chain a report ends (src/pipeline/continuation.ts): a drain that outlived one
 * invocation went on in further invocations, and the last one reports for all of them.
 */
export interface ChainSummary {
  /** The chain's id, recorded in the node's marks while it holds the event. */
  id: string;
  /** Invocations of the chain, this one included (1: the drain finished in the first). */
  invocations: number;
  /** When the chain's first invocation started (ISO 8601). */
  startedAt: string;
  /** From the chain's start until this report, in ms. */
  totalMs: number;
  /** The chain's first invocation wrote the node's marks for the event: the chain, not a duplicate, reports. */
  markedByChain: boolean;
}

/**
 * What `drainNode` did to one node for one interruption: logged as JSON, counted as metrics and sent to
 * Slack or a webhook. Times are ISO 8601 strings, durations ms; `errors` are redacted API messages.
 */
export interface DrainReport {
  node: string;
  providerId?: string;
  cloud: Cloud;
  kind: InterruptionKind;
  eventId: string;
  action: DrainAction;
  dryRun: boolean;
  outcome: DrainOutcome;
  startedAt: string;
  deadline?: string;
  /** Every evictable pod's eviction was accepted before the interruption deadline. */
  deadlineMet: boolean;
  /** This invocation wrote the marks for this event (false: a duplicate delivery found them in place). */
  markedByThisInvocation: boolean;
  /**
   * Pods scheduled onto the node after the marks (their tolerations let them past the cordon and the
   * taint), evicted again while the budget allowed; those still running at the end have outcome `returned`.
   * Absent when none came.
   */
  returningPods?: ReturningPod[];
  /**
   * The node was not Ready (or tainted unreachable): its kubelet could not finish the graceful deletions,
   * so the pods the drain moved were deleted with grace period 0 rather than waited for. Absent otherwise.
   */
  nodeUnreachable?: boolean;
  /**
   * Marks an admission policy refused (`taint`, `annotations`, `label`): the node carries only the rest.
   * Absent when every mark was written (or found in place).
   */
  marksRefused?: string[];
  /**
   * SPOT_DRAINER_OUT_OF_SERVICE_TAINT on a cleanup: whether the node was tainted
   * `node.kubernetes.io/out-of-service` (or found so), and why, or why not. Absent when not considered.
   */
  outOfService?: { tainted: boolean; reason: string };
  /** Incomplete for a reason another attempt could fix (transient errors, the function's own time). */
  retryable: boolean;
  timings: DrainTimings;
  counts: DrainCounts;
  pods: PodResult[];
  errors: string[];
  /** Requests the drain sent to the API server. */
  apiRequests: number;
  /** Set by the pipeline on the last report of a continuation chain; absent without continuations. */
  chain?: ChainSummary;
}

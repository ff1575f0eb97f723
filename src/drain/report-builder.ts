import type { V1Node } from '@kubernetes/client-node';
import type { Interruption } from '../events/interruption.ts';
import type { EvictionResult } from './evict.ts';
import type { PlannedPod } from './plan.ts';
import type { DrainCounts, DrainOutcome, DrainReport, PodResult, ReturningPod } from './report.ts';

/** What the report needs to know from the start. Times are epoch ms. */
export interface ReportBuilderOptions {
  node: V1Node;
  interruption: Interruption;
  dryRun: boolean;
  /** Epoch ms the drain started; every duration in the report is measured from it. */
  started: number;
  clock: () => number;
  /** Epoch ms of the interruption itself (`TimeBudget.deadline`), if the event named one. */
  deadline?: number;
  /** API requests made so far by the drain's client; the report counts those made after `started`. */
  requestCount: () => number;
}

/** Counts the pods' outcomes; `stillTerminating` is the number of evicted pods still on the node. */
export function countOutcomes(results: PodResult[], stillTerminating: number): DrainCounts {
  const count = (outcome: PodResult['outcome']) =>
    results.filter((result) => result.outcome === outcome).length;
  return {
    pods: results.length,
    evictable: results.filter(
      (result) => result.disposition === 'evict' || result.disposition === 'already-terminating',
    ).length,
    evicted: count('evicted'),
    deleted: count('deleted'),
    gone: count('gone'),
    blockedByPdb: count('blocked-by-pdb'),
    failed: count('failed'),
    timedOut: count('timed-out'),
    skipped: count('skipped'),
    returned: count('returned'),
    stillTerminating,
  };
}

/**
 * The state of one drain, filled in by its phases (mark, plan, evict, wait, conclude) and turned into a
 * `DrainReport` (src/drain/report.ts) by `build()`, which may be called at any point: a drain that stops
 * early reports what it did so far. Never throws.
 */
export class DrainReportBuilder {
  /** The node as last read or written (the marks patch returns it). */
  node: V1Node;
  outcome: DrainOutcome = 'completed';
  retryable = false;
  markedByThisInvocation = false;
  /** The node's kubelet could not finish graceful deletions; evicted pods were deleted with grace 0. */
  nodeUnreachable = false;
  /** Marks an admission policy refused (`MARKS_LEFT_OUT`); the rest were written. */
  marksRefused: string[] = [];
  /** Whether the out-of-service taint was applied, and why (not); set by that phase only. */
  outOfService?: { tainted: boolean; reason: string };
  /** Evictions or deletions accepted, plus pods found gone (for progress reports). */
  accepted = 0;
  /** Pods still held by a PodDisruptionBudget when their attempts ended. */
  blocked = 0;
  /** Pods the drain acts on (evict, or delete on cleanup). */
  acting = 0;
  readonly errors: string[] = [];
  private readonly results = new Map<string, PodResult>();
  private readonly requestsAtStart: number;
  /** Milliseconds from the start until the marks were in place. */
  cordonMs?: number;
  private lastAcceptedAt?: number;
  private emptyAt?: number;
  private stillTerminating = 0;
  private readonly options: ReportBuilderOptions;

  constructor(options: ReportBuilderOptions) {
    this.options = options;
    this.node = options.node;
    this.requestsAtStart = options.requestCount();
  }

  /** Milliseconds since the drain started. */
  elapsedMs(): number {
    return this.options.clock() - this.options.started;
  }

  /**
   * True while a retry could still help: the interruption deadline (if any) has not passed, or the
   * action is cleanup, whose machine is gone already and whose pods are worth deleting however late.
   */
  beforeDeadline(): boolean {
    if (this.options.interruption.action === 'cleanup') return true;
    return this.options.deadline === undefined || this.options.clock() < this.options.deadline;
  }

  /** The marks are in place on `node`; `wrote`: this invocation wrote them (not a duplicate delivery). */
  cordoned(node: V1Node, wrote: boolean): void {
    this.node = node;
    this.markedByThisInvocation = wrote;
    this.cordonMs = this.elapsedMs();
  }

  /** The drain could not carry out `what`; `retryable`: another invocation could. */
  failed(what: string, message: string, retryable: boolean): void {
    this.errors.push(`${what}: ${message}`);
    this.outcome = 'failed';
    this.retryable = retryable;
  }

  /**
   * Records the plan: one entry per pod, and returns the pods to act on (evict, or on `cleanup` delete,
   * terminating ones included, except those being deleted with no grace period already: another
   * delivery of the same cleanup got there first). Their outcome is `timed-out` (`planned` in a dry run) until a result comes.
   */
  planned(pods: PlannedPod[], cleanup: boolean): PlannedPod[] {
    const toAct: PlannedPod[] = [];
    for (const pod of pods) {
      const acts =
        pod.disposition === 'evict' ||
        (cleanup && pod.disposition === 'already-terminating' && !forceDeletedAlready(pod));
      if (acts) toAct.push(pod);
      const idle = pod.disposition === 'already-terminating' ? 'terminating' : 'skipped';
      this.results.set(pod.uid, {
        namespace: pod.namespace,
        name: pod.name,
        uid: pod.uid,
        disposition: pod.disposition,
        critical: pod.critical,
        attempts: 0,
        outcome: acts ? (this.options.dryRun ? 'planned' : 'timed-out') : idle,
      });
    }
    this.acting = toAct.length;
    return toAct;
  }

  /** Records how the eviction (or deletion) of `pod` ended. */
  podResult(pod: PlannedPod, result: EvictionResult): void {
    const entry = this.results.get(pod.uid);
    if (entry) {
      entry.outcome = result.outcome;
      entry.attempts = result.attempts;
      entry.gracePeriodSeconds = result.gracePeriodSeconds;
      entry.error = result.error;
      if (result.acceptedAt !== undefined) entry.acceptedAfterMs = result.acceptedAt - this.options.started;
    }
    if (result.acceptedAt !== undefined) {
      this.accepted++;
      this.lastAcceptedAt = Math.max(this.lastAcceptedAt ?? 0, result.acceptedAt);
    } else if (result.outcome === 'gone') {
      this.accepted++;
    } else if (result.outcome === 'blocked-by-pdb') {
      this.blocked++;
    }
  }

  /**
   * The node's kubelet could not finish the graceful deletions (the pods were deleted with grace period 0
   * instead): `pod` was deleted so, or found gone, after its eviction (`result`).
   */
  forceDeleted(pod: PlannedPod, result: EvictionResult): void {
    const entry = this.results.get(pod.uid);
    if (!entry) return;
    if (result.outcome === 'deleted') {
      entry.outcome = 'deleted';
      entry.gracePeriodSeconds = 0;
      if (entry.acceptedAfterMs === undefined && result.acceptedAt !== undefined) {
        entry.acceptedAfterMs = result.acceptedAt - this.options.started;
        this.accepted++;
      }
    } else if (result.error) {
      entry.error = `eviction accepted, but the pod could not be deleted from the unreachable node: ${result.error}`;
    }
  }

  /** `namespace/name` of the pods whose eviction or deletion was accepted, in the order they were planned. */
  moved(): string[] {
    return [...this.results.values()]
      .filter((entry) => entry.acceptedAfterMs !== undefined)
      .map((entry) => `${entry.namespace}/${entry.name}`);
  }

  /** Whether the pod (by UID) is in the report already. */
  has(uid: string): boolean {
    return this.results.has(uid);
  }

  /** Workloads whose pods landed on the node after the marks. */
  readonly returning: ReturningPod[] = [];

  /**
   * Pods found on the node after the marks, scheduled there since (`landedBecause` says how): recorded
   * like planned pods (`arrived` ones to act on, outcome `timed-out` until a result comes), or, when the
   * drain no longer acts on them, with outcome `returned`. Returns the pods to act on.
   */
  arrived(
    pods: PlannedPod[],
    landedBecause: (pod: PlannedPod) => string,
    owner: (pod: PlannedPod) => string | undefined,
    acts: boolean,
  ): PlannedPod[] {
    for (const pod of pods) {
      const reason = landedBecause(pod);
      this.results.set(pod.uid, {
        namespace: pod.namespace,
        name: pod.name,
        uid: pod.uid,
        disposition: pod.disposition,
        critical: pod.critical,
        attempts: 0,
        outcome: acts ? 'timed-out' : 'returned',
        arrivedAfterMarks: true,
        landedBecause: reason,
        ...(acts ? {} : { error: `landed on the node after the marks and still runs: ${reason}` }),
      });
      const ownerName = owner(pod);
      if (
        !this.returning.some((known) =>
          ownerName
            ? known.owner === ownerName && known.namespace === pod.namespace
            : known.name === pod.name,
        )
      )
        this.returning.push({
          namespace: pod.namespace,
          name: pod.name,
          ...(ownerName ? { owner: ownerName } : {}),
          reason,
        });
    }
    if (acts) this.acting += pods.length;
    return acts ? pods : [];
  }

  /** UIDs of the pods evicted, deleted or already terminating: those a drain waits for. */
  leaving(): Set<string> {
    return new Set(
      [...this.results.values()]
        .filter((entry) => ['evicted', 'deleted', 'terminating'].includes(entry.outcome))
        .map((entry) => entry.uid),
    );
  }

  /** `left` of the leaving pods are still on the node; none: the node became empty now. */
  podsLeft(left: number): void {
    this.stillTerminating = left;
    if (left === 0) this.emptyAt = this.options.clock();
  }

  counts(): DrainCounts {
    return countOutcomes([...this.results.values()], this.stillTerminating);
  }

  /**
   * Settles the outcome once every pod has been acted on: `completed` when none is blocked, refused or
   * timed out, else `partial`, retryable when time (not a refusal) was short and the deadline is ahead.
   * Copies the pods' errors into the report's list. `functionTimeLimited`: `TimeBudget.limitedByFunctionTime()`.
   */
  conclude(functionTimeLimited: boolean): DrainCounts {
    const counts = this.counts();
    const incomplete = counts.blockedByPdb + counts.failed + counts.timedOut + counts.returned;
    this.outcome = incomplete === 0 ? 'completed' : 'partial';
    this.retryable =
      this.outcome === 'partial' &&
      counts.failed === 0 &&
      (counts.timedOut > 0 || functionTimeLimited) &&
      this.beforeDeadline();
    for (const entry of this.results.values())
      if (entry.error) this.errors.push(`${entry.namespace}/${entry.name}: ${entry.error}`);
    return counts;
  }

  /** The report as things stand. */
  build(): DrainReport {
    const { interruption, started, clock, deadline } = this.options;
    const pods = [...this.results.values()];
    const counts = countOutcomes(pods, this.stillTerminating);
    const allAccepted = counts.blockedByPdb + counts.failed + counts.timedOut + counts.returned === 0;
    const deadlineMet =
      this.outcome !== 'failed' &&
      allAccepted &&
      (deadline === undefined || (this.lastAcceptedAt ?? started) <= deadline);
    const since = (at: number | undefined) => (at === undefined ? undefined : at - started);
    return {
      node: this.node.metadata?.name ?? '',
      providerId: this.node.spec?.providerID,
      cloud: interruption.cloud,
      kind: interruption.kind,
      eventId: interruption.eventId,
      action: interruption.action,
      dryRun: this.options.dryRun,
      outcome: this.outcome,
      startedAt: new Date(started).toISOString(),
      deadline: interruption.deadline?.toISOString(),
      deadlineMet,
      markedByThisInvocation: this.markedByThisInvocation,
      ...(this.returning.length > 0 ? { returningPods: this.returning } : {}),
      ...(this.nodeUnreachable ? { nodeUnreachable: true } : {}),
      ...(this.marksRefused.length > 0 ? { marksRefused: this.marksRefused } : {}),
      ...(this.outOfService ? { outOfService: this.outOfService } : {}),
      retryable: this.retryable,
      timings: {
        cordonMs: this.cordonMs,
        lastEvictionAcceptedMs: since(this.lastAcceptedAt),
        emptyMs: since(this.emptyAt),
        totalMs: clock() - started,
      },
      counts,
      pods,
      errors: this.errors,
      apiRequests: this.options.requestCount() - this.requestsAtStart,
    };
  }
}

/** Whether the pod is being deleted with grace period 0 already (a force delete by another delivery). */
function forceDeletedAlready(planned: PlannedPod): boolean {
  return planned.pod.metadata?.deletionGracePeriodSeconds === 0;
}

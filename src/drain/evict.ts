import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeCore } from '../kube/client.ts';
import { isStatus } from '../kube/errors.ts';
import { type AttemptDecision, type AttemptFailure, runAttempts } from './attempts.ts';
import type { BackoffOptions } from './backoff.ts';
import type { TimeBudget } from './budget.ts';
import {
  classifyEvictionRefusal,
  type EvictionRefusal,
  heldByPdb,
  pdbsSelecting,
} from './eviction-answer.ts';
import { cappedGraceSeconds, type PlannedPod } from './plan.ts';
import type { PodOutcome } from './report.ts';

/** How the eviction or deletion of one pod ended. */
export interface EvictionResult {
  outcome: PodOutcome;
  /** Eviction (or delete) requests sent for the pod. */
  attempts: number;
  /** Grace period sent with the accepted eviction or deletion, in seconds. */
  gracePeriodSeconds?: number;
  /** Epoch ms the eviction or deletion was accepted. */
  acceptedAt?: number;
  /** The last refusal's message (redacted), when the pod was not evicted. */
  error?: string;
}

/** How `evictPod` treats one pod. Times are epoch ms, durations ms. */
export interface EvictionPolicy {
  /** 'force-delete': when `forceDeleteLeadMs` is left before the deadline, delete pods a PDB still holds. */
  deadlinePolicy: 'respect-pdb' | 'force-delete';
  forceDeleteLeadMs: number;
  /** When the machine goes away: grace periods are capped to end before it. */
  graceDeadline?: number;
  /** Seconds sent instead of each pod's own grace period; -1 or absent: the pod's own. */
  gracePeriodOverrideSeconds?: number;
  /** When the pod list the PlannedPod comes from was read (epoch ms). */
  listedAt?: number;
  backoff?: BackoffOptions;
}

/**
 * Deletes a pod (cleanup action, or the force-delete deadline policy), retrying transient failures
 * within `budget`. The delete is of the pod as listed (UID and resourceVersion as preconditions): when it
 * changed meanwhile (409), it is read again, and a pod that is gone, replaced, or already being deleted
 * with a grace period no longer than ours (another delivery got there first) is left alone as `gone`;
 * otherwise the delete is sent again for the pod as it now is. `gracePeriodSeconds` 0 deletes at once.
 * Never throws: refusals give `failed`, time running out `timed-out`.
 */
export async function deletePodNow(
  core: KubeCore,
  planned: PlannedPod,
  budget: TimeBudget,
  gracePeriodSeconds: number,
  backoff?: BackoffOptions,
): Promise<EvictionResult> {
  let resourceVersion = planned.pod.metadata?.resourceVersion;
  const outcome = await runAttempts(
    budget,
    async (attempt): Promise<EvictionResult> => {
      for (let conflicts = 0; ; conflicts++) {
        try {
          await core.deleteNamespacedPod({
            name: planned.name,
            namespace: planned.namespace,
            gracePeriodSeconds,
            body: {
              gracePeriodSeconds,
              preconditions: { uid: planned.uid, ...(resourceVersion ? { resourceVersion } : {}) },
            },
          });
          return { outcome: 'deleted', attempts: attempt, gracePeriodSeconds, acceptedAt: budget.now() };
        } catch (error) {
          if (isStatus(error, 404)) return { outcome: 'gone', attempts: attempt };
          if (!isStatus(error, 409) || conflicts >= 3) throw error;
          const current = await podNow(core, planned);
          if (
            !current ||
            current.metadata?.uid !== planned.uid ||
            deletingWithin(current, gracePeriodSeconds)
          ) {
            return { outcome: 'gone', attempts: attempt };
          }
          resourceVersion = current.metadata?.resourceVersion;
        }
      }
    },
    { backoff },
  );
  if (outcome.ok) return outcome.value;
  const error = outcome.classification.message;
  return {
    outcome: outcome.stoppedBy === 'budget' ? 'timed-out' : 'failed',
    attempts: outcome.attempts,
    error,
  };
}

/** Whether the pod is being deleted already with a grace period of at most `seconds`. */
function deletingWithin(pod: V1Pod, seconds: number): boolean {
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  return pod.metadata?.deletionTimestamp !== undefined && grace !== undefined && grace <= seconds;
}

/** A resourceVersion from the node's pod list is sent as a precondition only this soon after the list. */
const FRESH_LIST_MS = 1000;

/** The pod as it is now; undefined when it is gone. */
async function podNow(core: KubeCore, planned: PlannedPod): Promise<V1Pod | undefined> {
  try {
    return await core.readNamespacedPod({ name: planned.name, namespace: planned.namespace });
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/** The eviction of one pod: state carried from one attempt to the next. */
interface EvictionState {
  sent: number;
  /** What the last refusal meant (src/drain/eviction-answer.ts). */
  refusal?: EvictionRefusal;
  resourceVersion?: string;
}

/**
 * Keep at least this long between the force-delete and the end of the time budget, for the delete request
 * itself: a moment at or after the end of the budget is never reached (the attempt loop does not wait
 * past it).
 */
export const FORCE_DELETE_RESERVE_MS = 500;

/**
 * When the force-delete policy deletes the pods a PDB still holds (epoch ms): `forceDeleteLeadMs` before
 * the interruption deadline, but never later than `FORCE_DELETE_RESERVE_MS` before the work stops
 * (`graceDeadline`, the deadline less the safety margin), so that a lead of 0, or one at or below the safety
 * margin, still deletes at the latest moment that is reached. Undefined without a deadline or the policy.
 */
export function forceDeleteAt(policy: EvictionPolicy, deadline?: number): number | undefined {
  if (policy.deadlinePolicy !== 'force-delete' || policy.graceDeadline === undefined) return undefined;
  const machineGone = deadline ?? policy.graceDeadline;
  return Math.min(machineGone - policy.forceDeleteLeadMs, policy.graceDeadline - FORCE_DELETE_RESERVE_MS);
}

/** Whether the force-delete policy applies now: a PDB still holds the pod and the delete moment has come. */
function forceDeleteDue(policy: EvictionPolicy, state: EvictionState, budget: TimeBudget): boolean {
  const at = forceDeleteAt(policy, budget.deadline);
  return heldByPdb(state.refusal) && at !== undefined && budget.now() >= at;
}

/**
 * Eviction-specific decisions for the attempt loop, by what the refusal means (`classifyEvictionRefusal`):
 * a 409 (the pod was replaced, or changed since it was read) is retried (the next attempt reads it again
 * and decides); a 429 naming a PodDisruptionBudget is retried like throttling, but under the force-delete
 * policy the wait ends in time to delete at the delete moment rather than oversleeping it; a pod selected
 * by several PDBs (500) is never retried, except to force-delete it at the delete moment; a namespace
 * being terminated and invalid requests are refused for good; other 403s, throttling and server errors
 * follow the default policy.
 */
function evictionDecision(policy: EvictionPolicy, state: EvictionState, budget: TimeBudget) {
  return ({ error, classification, retryByDefault }: AttemptFailure): AttemptDecision => {
    const refusal = classifyEvictionRefusal(error, classification);
    state.refusal = refusal;
    const deleteAt = forceDeleteAt(policy, budget.deadline);
    // Waiting for a delete moment the budget does not reach (the function's own time ends first) would
    // outlive the budget: stop now instead, and let the next invocation delete it in time.
    if (refusal === 'multiple-pdbs')
      return deleteAt === undefined || deleteAt >= budget.stopAt()
        ? { retry: false }
        : { retry: true, maxDelayMs: 0 };
    if (refusal === 'namespace-terminating' || refusal === 'invalid') return { retry: false };
    const retry = refusal === 'changed' || retryByDefault;
    if (refusal !== 'pdb' || deleteAt === undefined) return { retry };
    return { retry, maxDelayMs: deleteAt - budget.now() };
  };
}

/**
 * One attempt: re-read the pod (after the first, unless it was throttled), maybe force-delete, else send
 * the eviction.
 */
async function attemptEviction(
  core: KubeCore,
  planned: PlannedPod,
  budget: TimeBudget,
  policy: EvictionPolicy,
  state: EvictionState,
  attempt: number,
): Promise<EvictionResult> {
  // A throttled attempt never reached the pod (Priority and Fairness turned it away): nothing to re-read.
  if (attempt > 1 && state.refusal !== 'throttled') {
    try {
      const current = await podNow(core, planned);
      if (!current || current.metadata?.uid !== planned.uid) return { outcome: 'gone', attempts: state.sent };
      if (current.metadata?.deletionTimestamp) return { outcome: 'terminating', attempts: state.sent };
      state.resourceVersion = current.metadata?.resourceVersion;
    } catch {
      // Not readable just now: the eviction below still carries the version last read.
    }
  }
  if (state.refusal === 'multiple-pdbs') {
    // No eviction can succeed: wait for the delete moment (the decision retries only under force-delete).
    const at = forceDeleteAt(policy, budget.deadline) ?? budget.now();
    if (at > budget.now()) await sleep(at - budget.now());
  }
  const gracePeriodSeconds = cappedGraceSeconds(
    planned.pod,
    policy.graceDeadline,
    budget.now(),
    policy.gracePeriodOverrideSeconds,
  );
  if (forceDeleteDue(policy, state, budget)) {
    const deleted = await deletePodNow(core, planned, budget, gracePeriodSeconds, policy.backoff);
    return { ...deleted, attempts: state.sent + deleted.attempts };
  }
  const { resourceVersion } = state;
  try {
    state.sent++;
    await core.createNamespacedPodEviction({
      name: planned.name,
      namespace: planned.namespace,
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: planned.name, namespace: planned.namespace },
        deleteOptions: {
          gracePeriodSeconds,
          preconditions: { uid: planned.uid, ...(resourceVersion ? { resourceVersion } : {}) },
        },
      },
    });
    return { outcome: 'evicted', attempts: state.sent, gracePeriodSeconds, acceptedAt: budget.now() };
  } catch (error) {
    if (isStatus(error, 404)) return { outcome: 'gone', attempts: state.sent };
    throw error;
  }
}

/**
 * Evicts one pod through the Eviction API (policy/v1 Eviction,
 * https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/) with its UID as precondition,
 * retrying PDB refusals (429), throttling and transient failures with backoff (`runAttempts`) until the
 * budget runs out. The grace period is the pod's own (or `policy.gracePeriodOverrideSeconds`), capped to
 * end before `policy.graceDeadline`.
 *
 * Each eviction also carries the pod's resourceVersion as read moments before (from the pod list on the
 * first try, from a fresh read before each retry), so an eviction is accepted only while the pod is as it
 * was read: a pod that a concurrent invocation (a duplicate delivery, another event for the machine) or
 * anyone else has evicted meanwhile is not evicted a second time (409, then seen terminating). A version
 * older than that is never sent: the API server counts an eviction against the PodDisruptionBudget before
 * the delete fails on it, which would hold the budget for minutes.
 *
 * Never throws: the outcome is `evicted`, `gone`, `terminating`, `deleted` (force-delete policy),
 * `blocked-by-pdb` or `timed-out` (time ran out), or `failed` (refused for good, e.g. a persisting 403).
 */
export async function evictPod(
  core: KubeCore,
  planned: PlannedPod,
  budget: TimeBudget,
  policy: EvictionPolicy,
): Promise<EvictionResult> {
  const fresh = policy.listedAt !== undefined && budget.now() - policy.listedAt <= FRESH_LIST_MS;
  const state: EvictionState = {
    sent: 0,
    resourceVersion: fresh ? planned.pod.metadata?.resourceVersion : undefined,
  };
  const outcome = await runAttempts(
    budget,
    (attempt) => attemptEviction(core, planned, budget, policy, state, attempt),
    { backoff: policy.backoff, decide: evictionDecision(policy, state, budget) },
  );
  if (outcome.ok) return outcome.value;
  if (state.refusal === 'multiple-pdbs') {
    const budgets = await pdbsSelecting(core, planned);
    const named = budgets?.length ? ` (${budgets.join(', ')})` : '';
    const error = `refused for good: selected by more than one PodDisruptionBudget${named}, which the Eviction API does not support; no eviction can succeed while they all select it`;
    return { outcome: 'blocked-by-pdb', attempts: state.sent, error };
  }
  const error = outcome.classification.message;
  if (outcome.stoppedBy === 'refused') {
    const why =
      state.refusal === 'namespace-terminating' ? 'refused for good (namespace being terminated): ' : '';
    return { outcome: 'failed', attempts: state.sent, error: `${why}${error}` };
  }
  if (state.refusal === 'changed') {
    const settled = await settledAfterConflict(core, planned, budget, state.sent);
    if (settled) return settled;
  }
  return { outcome: heldByPdb(state.refusal) ? 'blocked-by-pdb' : 'timed-out', attempts: state.sent, error };
}

/**
 * The read the next attempt would have made after a 409, made once when no time is left for that attempt:
 * a pod another delivery has just evicted is `terminating` (or `gone`), not timed out. Made only while the
 * budget has not ended; undefined when the pod is still there unchanged in kind, or cannot be read.
 */
async function settledAfterConflict(
  core: KubeCore,
  planned: PlannedPod,
  budget: TimeBudget,
  attempts: number,
): Promise<EvictionResult | undefined> {
  if (budget.expired()) return undefined;
  try {
    const current = await podNow(core, planned);
    if (!current || current.metadata?.uid !== planned.uid) return { outcome: 'gone', attempts };
    if (current.metadata?.deletionTimestamp) return { outcome: 'terminating', attempts };
  } catch {
    // Unreadable: the eviction stays timed out, as it would without this read.
  }
  return undefined;
}

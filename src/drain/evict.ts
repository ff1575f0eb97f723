import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeCore } from '../kube/client.ts';
import { describeApiError, isStatus, retryPolicy } from '../kube/errors.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import type { TimeBudget } from './budget.ts';
import { cappedGraceSeconds, type PlannedPod } from './plan.ts';
import type { PodOutcome } from './report.ts';

export interface EvictionResult {
  outcome: PodOutcome;
  attempts: number;
  gracePeriodSeconds?: number;
  acceptedAt?: number;
  error?: string;
}

export interface EvictionPolicy {
  /** 'force-delete': when `forceDeleteLeadMs` is left before the deadline, delete pods a PDB still holds. */
  deadlinePolicy: 'respect-pdb' | 'force-delete';
  forceDeleteLeadMs: number;
  /** When the machine goes away: grace periods are capped to end before it. */
  graceDeadline?: number;
  /** When the pod list the PlannedPod comes from was read (epoch ms). */
  listedAt?: number;
  backoff?: BackoffOptions;
}

function isPdbRefusal(message: string): boolean {
  return /disruption budget/i.test(message);
}

async function deletePod(core: KubeCore, planned: PlannedPod, gracePeriodSeconds: number): Promise<void> {
  await core.deleteNamespacedPod({
    name: planned.name,
    namespace: planned.namespace,
    gracePeriodSeconds,
    body: { gracePeriodSeconds, preconditions: { uid: planned.uid } },
  });
}

/** Deletes a pod (cleanup action): 404 and 409 mean it is already gone or replaced. */
export async function deletePodNow(
  core: KubeCore,
  planned: PlannedPod,
  budget: TimeBudget,
  gracePeriodSeconds: number,
  backoff?: BackoffOptions,
): Promise<EvictionResult> {
  const retryable = retryPolicy(budget.now);
  for (let attempt = 1; ; attempt++) {
    try {
      await deletePod(core, planned, gracePeriodSeconds);
      return { outcome: 'deleted', attempts: attempt, gracePeriodSeconds, acceptedAt: budget.now() };
    } catch (error) {
      if (isStatus(error, 404, 409)) return { outcome: 'gone', attempts: attempt };
      const info = describeApiError(error);
      if (!retryable(error)) return { outcome: 'failed', attempts: attempt, error: info.message };
      const delay = backoffDelay(attempt, info.retryAfterMs, backoff);
      if (budget.remainingMs() <= delay)
        return { outcome: 'timed-out', attempts: attempt, error: info.message };
      await sleep(delay);
    }
  }
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

/**
 * Evicts one pod through the Eviction API with its UID as precondition, retrying PDB refusals (429),
 * throttling and transient failures with backoff until the budget runs out.
 *
 * Each eviction also carries the pod's resourceVersion as read moments before (from the pod list on the
 * first try, from a fresh read before each retry), so an eviction is accepted only while the pod is as it
 * was read: a pod that a concurrent invocation (a duplicate delivery, another event for the machine) or
 * anyone else has evicted meanwhile is not evicted a second time (409, then seen terminating). A version
 * older than that is never sent: the API server counts an eviction against the PodDisruptionBudget before
 * the delete fails on it, which would hold the budget for minutes.
 */
export async function evictPod(
  core: KubeCore,
  planned: PlannedPod,
  budget: TimeBudget,
  policy: EvictionPolicy,
): Promise<EvictionResult> {
  let lastError = '';
  let blockedByPdb = false;
  let sent = 0;
  const retryable = retryPolicy(budget.now);
  let resourceVersion =
    policy.listedAt !== undefined && budget.now() - policy.listedAt <= FRESH_LIST_MS
      ? planned.pod.metadata?.resourceVersion
      : undefined;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) {
      try {
        const current = await podNow(core, planned);
        if (!current || current.metadata?.uid !== planned.uid) return { outcome: 'gone', attempts: sent };
        if (current.metadata?.deletionTimestamp) return { outcome: 'terminating', attempts: sent };
        resourceVersion = current.metadata?.resourceVersion;
      } catch {
        // Not readable just now: the eviction below still carries the version last read.
      }
    }
    const gracePeriodSeconds = cappedGraceSeconds(planned.pod, policy.graceDeadline, budget.now());
    if (
      blockedByPdb &&
      policy.deadlinePolicy === 'force-delete' &&
      policy.graceDeadline !== undefined &&
      policy.graceDeadline - budget.now() <= policy.forceDeleteLeadMs
    ) {
      const deleted = await deletePodNow(core, planned, budget, gracePeriodSeconds, policy.backoff);
      return { ...deleted, attempts: sent + deleted.attempts };
    }
    try {
      sent++;
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
      return { outcome: 'evicted', attempts: sent, gracePeriodSeconds, acceptedAt: budget.now() };
    } catch (error) {
      if (isStatus(error, 404)) return { outcome: 'gone', attempts: sent };
      const info = describeApiError(error);
      lastError = info.message;
      blockedByPdb = info.status === 429 && isPdbRefusal(info.message);
      // 409: replaced, or changed since it was read; the next attempt reads it again and decides.
      if (!isStatus(error, 409) && !retryable(error))
        return { outcome: 'failed', attempts: sent, error: lastError };
      let delay = backoffDelay(attempt, info.retryAfterMs, policy.backoff);
      if (policy.deadlinePolicy === 'force-delete' && blockedByPdb && policy.graceDeadline !== undefined) {
        // Wake up in time to delete before the deadline rather than oversleeping it.
        const untilForce = policy.graceDeadline - policy.forceDeleteLeadMs - budget.now();
        delay = Math.max(0, Math.min(delay, untilForce));
      }
      if (budget.remainingMs() <= delay) {
        return {
          outcome: blockedByPdb ? 'blocked-by-pdb' : 'timed-out',
          attempts: sent,
          error: lastError,
        };
      }
      await sleep(delay);
    }
  }
}

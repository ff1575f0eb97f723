import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeCore } from '../kube/client.ts';
import { describeApiError, isRetryable, isStatus } from '../kube/errors.ts';
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
  for (let attempt = 1; ; attempt++) {
    try {
      await deletePod(core, planned, gracePeriodSeconds);
      return { outcome: 'deleted', attempts: attempt, gracePeriodSeconds, acceptedAt: budget.now() };
    } catch (error) {
      if (isStatus(error, 404, 409)) return { outcome: 'gone', attempts: attempt };
      const info = describeApiError(error);
      if (!isRetryable(error, attempt)) return { outcome: 'failed', attempts: attempt, error: info.message };
      const delay = backoffDelay(attempt, info.retryAfterMs, backoff);
      if (budget.remainingMs() <= delay)
        return { outcome: 'timed-out', attempts: attempt, error: info.message };
      await sleep(delay);
    }
  }
}

/**
 * Evicts one pod through the Eviction API with its UID as precondition, retrying PDB refusals (429),
 * throttling and transient failures with backoff until the budget runs out.
 */
export async function evictPod(
  core: KubeCore,
  planned: PlannedPod,
  budget: TimeBudget,
  policy: EvictionPolicy,
): Promise<EvictionResult> {
  let lastError = '';
  let blockedByPdb = false;
  for (let attempt = 1; ; attempt++) {
    const gracePeriodSeconds = cappedGraceSeconds(planned.pod, policy.graceDeadline, budget.now());
    if (
      blockedByPdb &&
      policy.deadlinePolicy === 'force-delete' &&
      policy.graceDeadline !== undefined &&
      policy.graceDeadline - budget.now() <= policy.forceDeleteLeadMs
    ) {
      const deleted = await deletePodNow(core, planned, budget, gracePeriodSeconds, policy.backoff);
      return { ...deleted, attempts: attempt - 1 + deleted.attempts };
    }
    try {
      await core.createNamespacedPodEviction({
        name: planned.name,
        namespace: planned.namespace,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: planned.name, namespace: planned.namespace },
          deleteOptions: { gracePeriodSeconds, preconditions: { uid: planned.uid } },
        },
      });
      return { outcome: 'evicted', attempts: attempt, gracePeriodSeconds, acceptedAt: budget.now() };
    } catch (error) {
      if (isStatus(error, 404, 409)) return { outcome: 'gone', attempts: attempt };
      const info = describeApiError(error);
      lastError = info.message;
      blockedByPdb = info.status === 429 && isPdbRefusal(info.message);
      if (!isRetryable(error, attempt)) return { outcome: 'failed', attempts: attempt, error: lastError };
      let delay = backoffDelay(attempt, info.retryAfterMs, policy.backoff);
      if (policy.deadlinePolicy === 'force-delete' && blockedByPdb && policy.graceDeadline !== undefined) {
        // Wake up in time to delete before the deadline rather than oversleeping it.
        const untilForce = policy.graceDeadline - policy.forceDeleteLeadMs - budget.now();
        delay = Math.max(0, Math.min(delay, untilForce));
      }
      if (budget.remainingMs() <= delay) {
        return {
          outcome: blockedByPdb ? 'blocked-by-pdb' : 'timed-out',
          attempts: attempt,
          error: lastError,
        };
      }
      await sleep(delay);
    }
  }
}

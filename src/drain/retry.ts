import { setTimeout as sleep } from 'node:timers/promises';
import { describeApiError, retryPolicy } from '../kube/errors.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import type { TimeBudget } from './budget.ts';

/** Calls the API again on transient failures (and a briefly persisting 403), with backoff, within the budget. */
export async function retryWithin<T>(
  budget: TimeBudget,
  call: () => Promise<T>,
  backoff?: BackoffOptions,
): Promise<T> {
  const retryable = retryPolicy(budget.now);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const delay = backoffDelay(attempt, describeApiError(error).retryAfterMs, backoff);
      if (!retryable(error) || budget.remainingMs() <= delay) throw error;
      await sleep(delay);
    }
  }
}

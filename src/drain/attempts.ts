import { setTimeout as sleep } from 'node:timers/promises';
import { classifyError, type ErrorClassification, FORBIDDEN_GRACE_MS } from '../kube/errors.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import type { TimeBudget } from './budget.ts';

/** One failed attempt, as a `decide` callback sees it. */
export interface AttemptFailure {
  error: unknown;
  classification: ErrorClassification;
  /** 1-based number of the attempt that failed. */
  attempt: number;
  /**
   * What the default policy says: `transient` and `throttled` are retried; a 403 (`forbidden-for-now`) is
   * retried until refusals have lasted the grace period; anything else is not.
   */
  retryByDefault: boolean;
}

/** What to do after a failed attempt. */
export interface AttemptDecision {
  retry: boolean;
  /**
   * Retry at once: no backoff wait, and no budget check (the first call of a loop is never refused for
   * lack of time either). For retries that only redo work with fresher data, such as a patch rebuilt after
   * a conflict; the decider must bound how often it says so.
   */
  immediate?: boolean;
  /** Wait at most this long (ms) before the next attempt, even below the Retry-After floor. */
  maxDelayMs?: number;
}

/** Options of `withAttempts` / `runAttempts`. */
export interface AttemptOptions {
  /** Shape of the backoff between attempts (src/drain/backoff.ts). */
  backoff?: BackoffOptions;
  /** How failures are classified (default `classifyError`; AWS calls pass `classifyAwsError`). */
  classify?: (error: unknown) => ErrorClassification;
  /** How long persisting 403s are retried, in ms (default FORBIDDEN_GRACE_MS). */
  forbiddenGraceMs?: number;
  /** Caller-specific decisions (eviction: 429 from a PDB, 409); without it, the default policy applies. */
  decide?: (failure: AttemptFailure) => AttemptDecision;
}

/** How a loop of attempts ended. `attempts` counts the calls made. */
export type AttemptsOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | {
      ok: false;
      /** The last attempt's error, as thrown by the call. */
      error: unknown;
      classification: ErrorClassification;
      attempts: number;
      /** `refused`: the error is not worth another try; `budget`: it was, but no time for the next wait. */
      stoppedBy: 'refused' | 'budget';
    };

/**
 * The one attempt loop. Calls `call(attempt)` (attempt is 1-based) until it resolves, an error is not
 * worth another try, or the budget cannot afford the wait before the next attempt. The wait is
 * `backoffDelay` (exponential with jitter; the server's Retry-After as a floor), capped by a decision's
 * `maxDelayMs`. The first call is always made, whatever the budget. Never rejects: the outcome says how
 * it ended. `withAttempts` is the same loop for callers that want the value or the error.
 */
export async function runAttempts<T>(
  budget: TimeBudget,
  call: (attempt: number) => Promise<T>,
  options: AttemptOptions = {},
): Promise<AttemptsOutcome<T>> {
  const classify = options.classify ?? classifyError;
  const graceMs = options.forbiddenGraceMs ?? FORBIDDEN_GRACE_MS;
  let forbiddenSince: number | undefined;
  const retryByDefault = (classification: ErrorClassification): boolean => {
    if (classification.class === 'transient' || classification.class === 'throttled') return true;
    // 401 means the credentials themselves were refused; they are renewed by the next invocation.
    if (classification.status !== 403) return false;
    forbiddenSince ??= budget.now();
    return budget.now() - forbiddenSince < graceMs;
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await call(attempt), attempts: attempt };
    } catch (error) {
      const classification = classify(error);
      const failure = { error, classification, attempt, retryByDefault: retryByDefault(classification) };
      const decision = options.decide?.(failure) ?? { retry: failure.retryByDefault };
      const stop = { ok: false as const, error, classification, attempts: attempt };
      if (!decision.retry) return { ...stop, stoppedBy: 'refused' };
      if (decision.immediate) continue;
      let delay = backoffDelay(attempt, classification.retryAfterMs, options.backoff);
      if (decision.maxDelayMs !== undefined) delay = Math.max(0, Math.min(delay, decision.maxDelayMs));
      if (budget.remainingMs() <= delay) return { ...stop, stoppedBy: 'budget' };
      await sleep(delay);
    }
  }
}

/**
 * `runAttempts` for callers that want the value: resolves with the first successful call's value, or
 * rejects with the last attempt's error (unchanged, so `classifyError` and `describeApiError` still read
 * it) when it is not worth another try or the budget (src/drain/budget.ts) cannot afford the next wait.
 */
export async function withAttempts<T>(
  budget: TimeBudget,
  call: (attempt: number) => Promise<T>,
  options: AttemptOptions = {},
): Promise<T> {
  const outcome = await runAttempts(budget, call, options);
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

/** Shape of the waits between attempts; every field is optional (tests shorten them). */
export interface BackoffOptions {
  /** Delay scale of the first retry, in ms (default 100: the first wait is 50–100 ms). */
  initialMs?: number;
  /** Cap of the exponential part, in ms (default 3000). */
  maxMs?: number;
  /** Source of jitter in [0, 1) (default `Math.random`). */
  random?: () => number;
}

/**
 * Milliseconds to wait before the attempt after attempt number `attempt` (1-based): exponential backoff
 * with equal jitter (half fixed, half random), `initialMs * 2^(attempt-1)` capped at `maxMs`.
 *
 * `retryAfterMs` (the server's Retry-After, in ms, as API Priority and Fairness sends with its 429s:
 * https://kubernetes.io/docs/concepts/cluster-administration/flow-control/) is a floor, not a cap: waiting
 * less than asked only earns another refusal. Never throws.
 */
export function backoffDelay(attempt: number, retryAfterMs?: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 3000;
  const random = options.random ?? Math.random;
  const exponential = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (random() * exponential) / 2;
  return Math.max(jittered, retryAfterMs ?? 0);
}

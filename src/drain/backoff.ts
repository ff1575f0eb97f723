export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  random?: () => number;
}

/**
 * Exponential backoff with equal jitter (half fixed, half random), starting near `initialMs` and capped at
 * `maxMs`. A Retry-After from the server is a floor: waiting less than asked only earns another refusal.
 */
export function backoffDelay(attempt: number, retryAfterMs?: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 3000;
  const random = options.random ?? Math.random;
  const exponential = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (random() * exponential) / 2;
  return Math.max(jittered, retryAfterMs ?? 0);
}

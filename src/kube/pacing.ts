/**
 * One client's requests paced by what the API server says about its load. Many invocations draining at
 * once (an availability-zone wave: hundreds of Lambdas, one identity, one Priority and Fairness flow) each
 * see only their own requests. A client starts with one request in flight and doubles that with each
 * window of answers (slow start: under a loaded server answers come slowly, and so does the growth), and
 * stops growing while answers take over a second (they waited in a queue); when API Priority and Fairness
 * rejects one (429, Retry-After) the whole client pauses for the
 * Retry-After and halves the requests it keeps in flight, then grows them back by one per window of
 * answers (additive increase, multiplicative decrease, as TCP congestion control does), instead of every
 * one of its requests retrying on its own timer into a full queue.
 * https://kubernetes.io/docs/concepts/cluster-administration/flow-control/
 */
import pLimit from 'p-limit';
import { classifyError, DISRUPTION_BUDGET_REFUSAL } from './errors.ts';

/** The Retry-After assumed when a rejection names none (API Priority and Fairness sends 1 s). */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * An answer slower than this (ms) says the request waited in a Priority and Fairness queue: the window
 * stops growing (and slow start ends) before the queues fill up and requests are turned away.
 */
export const QUEUED_ANSWER_MS = 1000;

/**
 * Whether a failed request says the API server is overloaded, and for how long to hold off (ms): a 429 that
 * is not a PodDisruptionBudget refusing an eviction (those concern one pod, not the server) gives its
 * Retry-After (default 1 s); a request that got no answer in time gives 0 (shrink, no pause). Undefined for
 * any other outcome.
 */
export function overloadHoldMs(error: unknown): number | undefined {
  const { status, retryAfterMs, message } = classifyError(error);
  if (status === 429) {
    const body = (error as { body?: unknown }).body;
    if (DISRUPTION_BUDGET_REFUSAL.test(`${typeof body === 'string' ? body : ''}\n${message}`))
      return undefined;
    return retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  }
  return status === undefined && /ETIMEDOUT/.test(message) ? 0 : undefined;
}

/** Paces one client's requests (createRequestPacer). */
export interface RequestPacer {
  /**
   * Sends one request when a slot of the window is free and no pause is running; its outcome adjusts the
   * window. Resolves or rejects as `send` does.
   */
  run<T>(send: () => Promise<T>): Promise<T>;
  /** Waits out a running pause only: for long-lived requests (watches), which take no slot. */
  paused(): Promise<void>;
  /** Requests allowed in flight now (1 … `maxInFlight`). */
  window(): number;
}

/** Options of createRequestPacer. */
export interface PacerOptions {
  /** The window's ceiling: requests in flight at most. */
  maxInFlight: number;
  /** The window's starting size (default 1). */
  initialInFlight?: number;
  /** Epoch ms (tests). */
  now?: () => number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A pacer for one client: `initialInFlight` requests in flight at first, doubled by each window's worth of
 * successful answers until the first overload answer (`overloadHoldMs`) or answer slower than
 * `QUEUED_ANSWER_MS` (a slow answer never widens the window); after an overload answer every request waits
 * out the Retry-After and the window halves (at most once per Retry-After, so one burst of rejections
 * counts once), down to 1, and each window's worth of successful answers to requests sent since widens it
 * by one. Never above `maxInFlight`. Never rejects of its own.
 */
export function createRequestPacer({
  maxInFlight,
  initialInFlight = 1,
  now = Date.now,
}: PacerOptions): RequestPacer {
  const limit = pLimit(Math.min(initialInFlight, maxInFlight));
  let slowStart = true;
  let pauseUntil = 0;
  let shrunkAt = Number.NEGATIVE_INFINITY;
  let answered = 0;
  // Bumped at each shrink: answers to requests sent before it say nothing about the smaller window.
  let generation = 0;

  const paused = async () => {
    for (let wait = pauseUntil - now(); wait > 0; wait = pauseUntil - now()) await delay(wait);
  };
  const succeeded = (sentIn: number, tookMs: number) => {
    if (tookMs > QUEUED_ANSWER_MS) {
      slowStart = false;
      return;
    }
    if (sentIn !== generation || limit.concurrency >= maxInFlight || ++answered < limit.concurrency) return;
    answered = 0;
    limit.concurrency = Math.min(maxInFlight, slowStart ? limit.concurrency * 2 : limit.concurrency + 1);
  };
  const failed = (error: unknown) => {
    const holdMs = overloadHoldMs(error);
    if (holdMs === undefined) return;
    slowStart = false;
    const at = now();
    pauseUntil = Math.max(pauseUntil, at + holdMs);
    if (at - shrunkAt < Math.max(holdMs, DEFAULT_RETRY_AFTER_MS)) return;
    shrunkAt = at;
    answered = 0;
    generation++;
    limit.concurrency = Math.max(1, Math.floor(limit.concurrency / 2));
  };

  return {
    run: (send) =>
      limit(async () => {
        await paused();
        const sentIn = generation;
        const sentAt = now();
        try {
          const value = await send();
          succeeded(sentIn, now() - sentAt);
          return value;
        } catch (error) {
          failed(error);
          throw error;
        }
      }),
    paused,
    window: () => limit.concurrency,
  };
}

/**
 * Continuations that fail for good, and the dead letters that say why.
 *
 * A continuation fails for good when its drain fails for a reason no retry fixes (a `failed` result that
 * is not retryable: the cluster is gone, the API server refuses the request as malformed), or when it
 * fails on its last delivery (`SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES`: the queue's maxReceiveCount or
 * the host's maxDequeueCount). Then the entry point sends a dead letter (`DeadLetter`: the continuation
 * and the reason) to the dead-letter queue (SQS) or the poison queue (Azure) and acknowledges the
 * message. The queue's own redrive stays as the safety net for what the function cannot report itself
 * (a crash, a timeout, a dead letter the queue refused): those arrive as the bare continuation.
 *
 * A chain that ends with a report (any outcome) is not a failure here: its report, metrics and
 * notification say how it ended, as for an event delivery. A message that is not a continuation is
 * logged and acknowledged (src/pipeline/continuation.ts).
 */
import { describeApiError } from '../kube/errors.ts';
import type { Logger } from '../logging.ts';
import type { DeadLetterQueue } from '../providers/provider.ts';
import { type ContinuationMessage, DEAD_LETTER_TYPE } from './continuation.ts';
import { type DeliveryOutcome, type InterruptionResult, retryReasons } from './results.ts';

/** A reason is cut to this length in a dead letter (a Storage queue message holds at most 64 KiB). */
export const DEAD_LETTER_REASON_MAX_CHARS = 4096;

/** Which delivery of its message this is, of how many the queue allows. */
export interface Delivery {
  /** 1 for the first delivery (SQS ApproximateReceiveCount, Azure dequeueCount). */
  count: number;
  /** SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES. */
  max: number;
}

/**
 * What to do with a continuation's message after its invocation: `acknowledge` (done, or left to
 * another chain), `retry` (deliver it again: a retry may help and deliveries are left), or `dead-letter`
 * with the reason (`exhausted`: retries would help but the deliveries are spent).
 */
export type ContinuationVerdict =
  | { action: 'acknowledge' }
  | { action: 'retry'; reasons: string[] }
  | { action: 'dead-letter'; reason: string; exhausted: boolean };

/** Decides from the invocation's results and its delivery (see the module comment). Pure. */
export function continuationVerdict(
  results: readonly InterruptionResult[],
  delivery: Delivery,
): ContinuationVerdict {
  const refused = results.flatMap((result) =>
    result.status === 'failed' && !result.retryable ? [result.reason] : [],
  );
  if (refused.length > 0) return { action: 'dead-letter', reason: refused.join('; '), exhausted: false };
  const reasons = retryReasons(results);
  if (reasons.length === 0) return { action: 'acknowledge' };
  if (delivery.count < delivery.max) return { action: 'retry', reasons };
  return {
    action: 'dead-letter',
    reason: `${reasons.join('; ')} (delivery ${delivery.count} of ${delivery.max})`,
    exhausted: true,
  };
}

/**
 * A dead letter as the function writes it (JSON). `continuation` is the message as it was received, so
 * sending the dead letter back to the continuation queue runs the continuation again
 * (`parseContinuation` takes either).
 */
export interface DeadLetter {
  type: typeof DEAD_LETTER_TYPE;
  version: 1;
  /** Why it failed for good (the results' reasons), at most DEAD_LETTER_REASON_MAX_CHARS. */
  reason: string;
  /** Whether a retry could have helped but the deliveries were spent (false: refused for good). */
  retriesExhausted: boolean;
  /** ISO 8601. */
  failedAt: string;
  /** How many times the continuation was delivered. */
  deliveries: number;
  chain: string;
  invocation: number;
  /** The node and event, for people reading the queue. */
  eventId: string;
  continuation: ContinuationMessage;
}

/** The dead letter of `message` for a `dead-letter` verdict. Pure. */
export function deadLetter(
  message: ContinuationMessage,
  verdict: { reason: string; exhausted: boolean },
  deliveries: number,
  failedAt: Date,
): DeadLetter {
  return {
    type: DEAD_LETTER_TYPE,
    version: 1,
    reason: verdict.reason.slice(0, DEAD_LETTER_REASON_MAX_CHARS),
    retriesExhausted: verdict.exhausted,
    failedAt: failedAt.toISOString(),
    deliveries,
    chain: message.chain.id,
    invocation: message.chain.invocation,
    eventId: message.interruption.eventId,
    continuation: message,
  };
}

/** What `settleContinuation` needs from the entry point. */
export interface SettleOptions {
  delivery: Delivery;
  /** Unset: the function dead-letters nothing itself (SPOT_DRAINER_DEAD_LETTER_QUEUE_URL unset). */
  deadLetters?: DeadLetterQueue;
  logger: Logger;
  /** Where the message came from, for the logs (message id, queue). */
  where?: Record<string, unknown>;
  clock?: () => number;
}

/**
 * Acts on a continuation's outcome: `acknowledged` (delete the message) or `retry` (the entry point
 * reports a batch item failure, or throws). A dead letter is sent before `acknowledged`; when the queue
 * refuses it the message is retried instead, and the queue's redrive takes it after its last delivery.
 * Without a dead-letter queue, a spent message is retried (the redrive takes it, without a reason) and
 * one refused for good is acknowledged. Every failure is logged with the chain and its reason. Never throws.
 */
export async function settleContinuation(
  message: ContinuationMessage,
  outcome: DeliveryOutcome,
  options: SettleOptions,
): Promise<'acknowledged' | 'retry'> {
  const { logger, delivery } = options;
  const verdict = continuationVerdict(outcome.results, delivery);
  if (verdict.action === 'acknowledge') return 'acknowledged';
  const about = {
    ...options.where,
    chain: message.chain.id,
    invocation: message.chain.invocation,
    deliveries: delivery.count,
    maxDeliveries: delivery.max,
  };
  if (verdict.action === 'retry') {
    logger.error('continuation failed', { ...about, reasons: verdict.reasons });
    return 'retry';
  }
  if (!options.deadLetters) {
    logger.error('continuation failed for good', { ...about, reason: verdict.reason });
    return verdict.exhausted ? 'retry' : 'acknowledged';
  }
  const letter = deadLetter(message, verdict, delivery.count, new Date((options.clock ?? Date.now)()));
  try {
    await options.deadLetters.send(JSON.stringify(letter), {
      reason: letter.reason,
      chain: letter.chain,
      invocation: letter.invocation,
      deliveries: letter.deliveries,
    });
  } catch (error) {
    logger.error('continuation failed for good, and its dead letter was not sent', {
      ...about,
      reason: verdict.reason,
      queue: options.deadLetters.kind,
      error: describeApiError(error).message,
    });
    return 'retry';
  }
  logger.error('continuation dead-lettered', {
    ...about,
    reason: letter.reason,
    retriesExhausted: verdict.exhausted,
    queue: options.deadLetters.kind,
  });
  return 'acknowledged';
}

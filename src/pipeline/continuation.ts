/**
 * Continuations: how a drain outlives the invocation that starts it, the same way on both clouds.
 *
 * When an invocation's own time runs short (Lambda: its remaining time; Azure: Event Grid's 30 s answer
 * window) while the interruption's deadline is still ahead and pods remain, the pipeline acknowledges
 * the delivery and sends a `ContinuationMessage` to a queue with a delay (SQS `DelaySeconds`; a Storage
 * queue message's initial visibility timeout). The queue triggers the same function, which takes the
 * interruption up where the node's marks say it stands (the drain engine is idempotent). The chain ends
 * at the deadline or when the work is done, with one report for the whole chain (`DrainReport.chain`).
 *
 * A second delivery of the event while a chain holds it (an Event Grid redelivery, a duplicate
 * EventBridge event) leaves the drain to the chain: see src/pipeline/chain.ts.
 */
import type { Interruption } from '../events/interruption.ts';
import * as z from '../zod.ts';

/** Where a chain stands, carried from one invocation to the next. */
export interface ChainState {
  /** Random id (UUID), recorded in the node's marks while the chain holds the event. */
  id: string;
  /** The invocation of the chain this is: 1 for the delivery that started it. */
  invocation: number;
  /** When the chain's first invocation started. */
  startedAt: Date;
  /** Whether the chain's first invocation wrote the node's marks (then the chain's last report notifies). */
  markedByChain: boolean;
}

/** What a continuation carries: the interruption as parsed from the original event, and the chain. */
export interface ContinuationMessage {
  type: typeof CONTINUATION_TYPE;
  version: 1;
  chain: ChainState;
  interruption: Interruption;
}

/** The `type` of every continuation message, so a foreign message on the queue is recognised. */
export const CONTINUATION_TYPE = 'spot-drainer.continuation';

export type { ContinuationQueue } from '../providers/provider.ts';

/** The message as JSON text (dates as ISO 8601). */
export function serializeContinuation(message: ContinuationMessage): string {
  return JSON.stringify(message);
}

const isoDate = z.pipe(
  z.string().check(z.refine((text: string) => !Number.isNaN(Date.parse(text)), 'not an ISO 8601 time')),
  z.transform((text: string) => new Date(text)),
);

const messageSchema = z.object({
  type: z.literal(CONTINUATION_TYPE),
  version: z.literal(1),
  chain: z.object({
    id: z.string().check(z.minLength(1), z.maxLength(100)),
    invocation: z.number().check(z.int(), z.gte(2)),
    startedAt: isoDate,
    markedByChain: z.boolean(),
  }),
  interruption: z.object({
    cloud: z.string().check(z.minLength(1)),
    kind: z.string().check(z.minLength(1)),
    eventId: z.string().check(z.minLength(1)),
    machine: z.pipe(
      z.looseObject({ cloud: z.string() }),
      z.transform((machine) => machine as Interruption['machine']),
    ),
    action: z.enum(['drain', 'cordon', 'cleanup', 'cordon-or-cleanup', 'release']),
    deadline: z.optional(isoDate),
    eventTime: isoDate,
    region: z.optional(z.string()),
    account: z.optional(z.string()),
    details: z.record(z.string(), z.string()),
  }),
});

/** A continuation read back, or why the message is not one (logged and acknowledged, never retried). */
export type ParsedContinuation = { ok: true; message: ContinuationMessage } | { ok: false; reason: string };

/** The `type` of the dead letters the function writes (src/pipeline/dead-letter.ts); read back here for a replay. */
export const DEAD_LETTER_TYPE = 'spot-drainer.dead-letter';

/**
 * Reads a message body (JSON text, or the object a trigger already parsed): a continuation, or a dead
 * letter sent back to the continuation queue (its `continuation` runs again). Never throws.
 */
export function parseContinuation(body: unknown): ParsedContinuation {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
  }
  if ((value as { type?: unknown } | null)?.type === DEAD_LETTER_TYPE)
    value = (value as { continuation?: unknown }).continuation;
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.map(String).join('.') ?? '';
    return {
      ok: false,
      reason: `not a spot-drainer continuation (${where}: ${issue?.message ?? 'invalid'})`,
    };
  }
  return { ok: true, message: result.data as ContinuationMessage };
}

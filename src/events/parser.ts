import type { Interruption } from './interruption.ts';
import type { ParseOptions } from './options.ts';

export type { ParseOptions } from './options.ts';

/**
 * What parsing a cloud event gives:
 * - interruptions: the event is ours and names one or more machines to act on;
 * - ignored: well formed, but nothing to do (foreign type, a state we do not act on, a test notification);
 * - invalid: it claims to be a kind we handle but is malformed. Logged and acknowledged, never retried.
 */
export type ParseResult =
  | { status: 'interruptions'; interruptions: Interruption[] }
  | { status: 'ignored'; reason: string }
  | { status: 'invalid'; reason: string };

/**
 * What a parser is given besides the event. Parsers are pure: they read the time from here, never the clock.
 */
export interface ParseContext {
  /** The time the event is handled, for deadlines that run from "now". */
  now: Date;
  /** Behaviour switches; every one left out takes its default (see options.ts). */
  options?: ParseOptions;
}

/** One parser per event kind. The registry picks it by source and type. */
export interface EventParser {
  /** Event source as it appears on the envelope (`aws.ec2`), or `*` when only the type decides (Azure). */
  readonly source: string;
  /**
   * Event types (detail-type on AWS, eventType/type on Azure) this parser handles. Matched exactly on
   * AWS; case-insensitively for source `*`, because Azure spells the same type in more than one case.
   */
  readonly types: readonly string[];
  parse(event: unknown, context: ParseContext): ParseResult;
}

/** Source of parsers that match on the type alone (Azure: the source is a subscription or resource id). */
export const ANY_SOURCE = '*';

/** One (source, type) pair a parser handles; source `*` means any source. */
export interface HandledEventType {
  /** `aws.ec2`, or `*` when any source is accepted. */
  source: string;
  type: string;
}

/**
 * A delivery envelope a cloud wraps its events in (EventBridge; Event Grid and CloudEvents), and where in
 * it the routing address is. Each provider contributes its own.
 */
export interface EnvelopeFormat {
  /** For messages, naming the fields looked for: `detail-type (EventBridge)`. */
  readonly name: string;
  /**
   * The event's (source, type); a reason when the event is in this format but its address is malformed;
   * undefined when the event is not in this format at all.
   */
  address(event: Record<string, unknown>): HandledEventType | string | undefined;
}

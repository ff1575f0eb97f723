import type { Interruption } from './interruption.ts';
import type { ParseResult } from './parser.ts';

/** The event names machines to act on: `{ status: 'interruptions', interruptions }`. */
export function found(interruptions: Interruption[]): ParseResult {
  return { status: 'interruptions', interruptions };
}

/** Well formed but nothing to do: `{ status: 'ignored', reason }`, logged at info and acknowledged. */
export function ignored(reason: string): ParseResult {
  return { status: 'ignored', reason };
}

/**
 * Claims a kind we handle but is malformed: `{ status: 'invalid', reason }`, logged and acknowledged, not
 * retried.
 */
export function invalid(reason: string): ParseResult {
  return { status: 'invalid', reason };
}

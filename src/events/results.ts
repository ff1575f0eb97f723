import type { Interruption } from './interruption.ts';
import type { ParseResult } from './parser.ts';

export function found(interruptions: Interruption[]): ParseResult {
  return { status: 'interruptions', interruptions };
}

export function ignored(reason: string): ParseResult {
  return { status: 'ignored', reason };
}

export function invalid(reason: string): ParseResult {
  return { status: 'invalid', reason };
}

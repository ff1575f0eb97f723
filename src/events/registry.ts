import {
  ANY_SOURCE,
  type EnvelopeFormat,
  type EventParser,
  type HandledEventType,
  type ParseContext,
  type ParseResult,
} from './parser.ts';
import { ignored, invalid } from './results.ts';

/** Where an event asks to be routed. */
type EventAddress = HandledEventType;

/** Routes each cloud event to the one parser of its kind. */
export interface EventRegistry {
  /**
   * Parses one cloud event. Never throws: an event no parser claims is `ignored`, one that a parser claims
   * but finds malformed (or that makes the parser throw) is `invalid`.
   */
  parseEvent(event: unknown, context: ParseContext): ParseResult;
  /**
   * Parses a delivery: Event Grid and CloudEvents batches arrive as arrays, EventBridge as one object.
   * Gives one result per event, in order.
   */
  parseEvents(body: unknown, context: ParseContext): ParseResult[];
  /** Every (source, type) pair some parser handles, for documentation, templates and the CLI. */
  handledEventTypes(): HandledEventType[];
}

function routingKey({ source, type }: EventAddress): string {
  // Azure spells one type in several cases (`microsoft.maintenance/scheduledevents/write`).
  return source === ANY_SOURCE ? `${ANY_SOURCE} ${type.toLowerCase()}` : `${source} ${type}`;
}

/**
 * A registry over `parsers` (each provider contributes its own; a function bundle registers only its
 * cloud's). Throws at creation when two parsers claim the same (source, type): a routing mistake found at
 * load, not at the first event.
 */
export function createEventRegistry(
  parsers: readonly EventParser[],
  formats: readonly EnvelopeFormat[],
): EventRegistry {
  const parserByRoute = new Map<string, EventParser>();
  for (const parser of parsers) {
    for (const type of parser.types) {
      const key = routingKey({ source: parser.source, type });
      if (parserByRoute.has(key)) throw new Error(`two event parsers claim ${parser.source} / ${type}`);
      parserByRoute.set(key, parser);
    }
  }
  const parseEvent = (event: unknown, context: ParseContext): ParseResult => {
    const address = addressOf(event, formats);
    if (typeof address === 'string') return ignored(`not ours: ${address}`);
    const parser = parserByRoute.get(routingKey(address));
    if (!parser) return ignored(`not ours: ${describeAddress(address)}`);
    try {
      return parser.parse(event, context);
    } catch (error) {
      // A parser bug must not fail the whole batch, nor make the cloud redeliver the event forever.
      const message = error instanceof Error ? error.message : String(error);
      return invalid(`${describeAddress(address)}: parser failed: ${message}`);
    }
  };
  return {
    parseEvent,
    parseEvents: (body, context) => (Array.isArray(body) ? body : [body]).map((e) => parseEvent(e, context)),
    handledEventTypes: () =>
      parsers.flatMap((parser) => parser.types.map((type) => ({ source: parser.source, type }))),
  };
}

/** The (source, type) the event asks to be routed by, or why it has none. */
function addressOf(event: unknown, formats: readonly EnvelopeFormat[]): EventAddress | string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return `expected an event object, got ${kindOfValue(event)}`;
  }
  for (const format of formats) {
    const address = format.address(event as Record<string, unknown>);
    if (address !== undefined) return address;
  }
  return `no ${formats.map((format) => format.name).join(', ') || 'known envelope'}`;
}

function describeAddress({ source, type }: EventAddress): string {
  return source === ANY_SOURCE ? type : `${source} / ${type}`;
}

function kindOfValue(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

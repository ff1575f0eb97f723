import { capacityReservationParser } from './aws/capacity-reservation.ts';
import { healthParser } from './aws/health.ts';
import { lifecycleParser } from './aws/lifecycle.ts';
import { rebalanceParser } from './aws/rebalance.ts';
import { spotInterruptionParser } from './aws/spot-interruption.ts';
import { stateChangeParser } from './aws/state-change.ts';
import { availabilityStatusParser } from './azure/availability-status.ts';
import { azureEventType } from './azure/envelope.ts';
import { resourceAnnotatedParser } from './azure/resource-annotated.ts';
import { scheduledEventParser } from './azure/scheduled-event.ts';
import { simulateEvictionParser } from './azure/simulate-eviction.ts';
import type { EventParser, ParseContext, ParseResult } from './parser.ts';
import { ignored, invalid } from './results.ts';

const PARSERS: readonly EventParser[] = [
  spotInterruptionParser,
  rebalanceParser,
  stateChangeParser,
  capacityReservationParser,
  lifecycleParser,
  healthParser,
  scheduledEventParser,
  resourceAnnotatedParser,
  availabilityStatusParser,
  simulateEvictionParser,
];

/** Parsers that match on the type alone (Azure: the source is a subscription or resource id). */
const ANY_SOURCE = '*';

export interface HandledEventType {
  /** `aws.ec2`, or `*` when any source is accepted. */
  source: string;
  type: string;
}

/** Where an event asks to be routed. */
type EventAddress = HandledEventType;

function routingKey({ source, type }: EventAddress): string {
  // Azure spells one type in several cases (`microsoft.maintenance/scheduledevents/write`).
  return source === ANY_SOURCE ? `${ANY_SOURCE} ${type.toLowerCase()}` : `${source} ${type}`;
}

const parserByRoute = new Map<string, EventParser>();
for (const parser of PARSERS) {
  for (const type of parser.types) {
    const key = routingKey({ source: parser.source, type });
    if (parserByRoute.has(key)) throw new Error(`two event parsers claim ${parser.source} / ${type}`);
    parserByRoute.set(key, parser);
  }
}

/**
 * Parses one cloud event. Never throws: an event that is not ours is `ignored`, one that is ours but
 * malformed is `invalid`.
 */
export function parseEvent(event: unknown, context: ParseContext): ParseResult {
  const address = addressOf(event);
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
}

/**
 * Parses a delivery: Event Grid and CloudEvents batches arrive as arrays, EventBridge as one object.
 * Gives one result per event, in order.
 */
export function parseEvents(body: unknown, context: ParseContext): ParseResult[] {
  const events: readonly unknown[] = Array.isArray(body) ? body : [body];
  return events.map((event) => parseEvent(event, context));
}

/** Every (source, type) pair some parser handles, for documentation and the CLI. */
export function listHandledEventTypes(): HandledEventType[] {
  return PARSERS.flatMap((parser) => parser.types.map((type) => ({ source: parser.source, type })));
}

/** The (source, type) the event asks to be routed by, or why it has none. */
function addressOf(event: unknown): EventAddress | string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return `expected an event object, got ${kindOfValue(event)}`;
  }
  if ('detail-type' in event) {
    const { source, 'detail-type': detailType } = event as { source?: unknown; 'detail-type'?: unknown };
    if (typeof source !== 'string' || typeof detailType !== 'string') {
      return 'EventBridge event without a string source and detail-type';
    }
    return { source, type: detailType };
  }
  const azureType = azureEventType(event);
  if (azureType !== undefined) return { source: ANY_SOURCE, type: azureType };
  return 'no detail-type (EventBridge), eventType (Event Grid) or type (CloudEvents)';
}

function describeAddress({ source, type }: EventAddress): string {
  return source === ANY_SOURCE ? type : `${source} / ${type}`;
}

function kindOfValue(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

import type { Interruption } from '../../../events/interruption.ts';
import { ANY_SOURCE, type EnvelopeFormat } from '../../../events/parser.ts';
import { timestamp } from '../../../events/time.ts';
import { nonEmptyString, type Validated, validate } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';

/** An Azure event in either delivery schema, reduced to the fields the parsers read. */
export interface AzureEvent {
  schema: 'event-grid' | 'cloud-events';
  id: string;
  type: string;
  /** Event Grid `topic` or CloudEvents `source`: the subscription, or the resource group, that emitted it. */
  source?: string | undefined;
  subject?: string | undefined;
  time: Date;
  data: unknown;
}

const eventGridEvent = z.object({
  id: nonEmptyString,
  eventType: z.string(),
  eventTime: timestamp,
  topic: z.optional(z.string()),
  subject: z.optional(z.string()),
  data: z.unknown(),
});

const cloudEvent = z.object({
  specversion: z.literal('1.0'),
  id: nonEmptyString,
  type: z.string(),
  source: z.string(),
  time: timestamp,
  subject: z.optional(z.string()),
  data: z.unknown(),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** CloudEvents carry `specversion`; Event Grid schema events never do. */
export function isCloudEvent(event: unknown): boolean {
  return isRecord(event) && 'specversion' in event;
}

/** The type under which the event asks to be handled: `eventType` (Event Grid) or `type` (CloudEvents). */
export function azureEventType(event: unknown): string | undefined {
  if (!isRecord(event)) return undefined;
  const type = isCloudEvent(event) ? event.type : event.eventType;
  return typeof type === 'string' ? type : undefined;
}

/** Event Grid schema (`eventType`) and CloudEvents (`type`): routed by type alone, from any source. */
export const eventGridEnvelope: EnvelopeFormat = {
  name: 'eventType (Event Grid) or type (CloudEvents)',
  address(event) {
    const type = azureEventType(event);
    return type === undefined ? undefined : { source: ANY_SOURCE, type };
  },
};

/**
 * Validates either delivery schema (CloudEvents 1.0 when `specversion` is present, else the Event Grid
 * schema: https://learn.microsoft.com/azure/event-grid/event-schema) and reduces it to an AzureEvent, `time`
 * parsed to a Date. Never throws: a malformed envelope is `{ ok: false, reason }`.
 */
export function readAzureEvent(event: unknown): Validated<AzureEvent> {
  if (isCloudEvent(event)) {
    const parsed = validate(cloudEvent, event);
    if (!parsed.ok) return parsed;
    const { id, type, source, subject, time, data } = parsed.value;
    return { ok: true, value: { schema: 'cloud-events', id, type, source, subject, time, data } };
  }
  const parsed = validate(eventGridEvent, event);
  if (!parsed.ok) return parsed;
  const { id, eventType, topic, subject, eventTime, data } = parsed.value;
  return {
    ok: true,
    value: { schema: 'event-grid', id, type: eventType, source: topic, subject, time: eventTime, data },
  };
}

/** Validates the payload; reasons name the field from the top of the event (`data.resourceInfo...`). */
export function readData<S extends z.core.$ZodType>(event: AzureEvent, schema: S): Validated<z.output<S>> {
  return validate(schema, event.data, 'data');
}

/** The fields every Azure interruption takes from the envelope. */
export function envelopeFacts(event: AzureEvent): Pick<Interruption, 'cloud' | 'eventId' | 'eventTime'> {
  return { cloud: 'azure', eventId: event.id, eventTime: event.time };
}

/** Azure Resource Notifications (health and maintenance) wrap the resource's state this way. */
export function resourceNotification<P extends z.core.$ZodType>(properties: P) {
  return z.object({
    resourceInfo: z.object({
      id: z.optional(z.string()),
      name: z.optional(z.string()),
      location: z.optional(z.string()),
      properties,
    }),
  });
}

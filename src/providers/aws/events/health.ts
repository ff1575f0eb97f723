import type { Interruption } from '../../../events/interruption.ts';
import type { EventParser } from '../../../events/parser.ts';
import { found, ignored, invalid } from '../../../events/results.ts';
import { timestamp } from '../../../events/time.ts';
import { nonEmptyString, validate } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';
import { ec2Machine } from '../machine.ts';
import { awsEvent, envelopeFacts, isInstanceId } from './envelope.ts';

const healthEventScope = awsEvent(
  z.object({
    service: z.string(),
    eventTypeCategory: z.string(),
    statusCode: z.optional(z.string()),
  }),
);

const scheduledChange = awsEvent(
  z.object({
    eventTypeCode: nonEmptyString,
    eventArn: z.optional(z.string()),
    startTime: timestamp,
    affectedEntities: z.array(z.object({ entityValue: z.string() })),
  }),
);

/** EC2 scheduled maintenance and retirement; other services and categories are not ours. */
export const healthParser: EventParser = {
  source: 'aws.health',
  types: ['AWS Health Event'],
  parse(event) {
    const scope = validate(healthEventScope, event);
    if (!scope.ok) return invalid(scope.reason);
    const { service, eventTypeCategory, statusCode } = scope.value.detail;
    if (service !== 'EC2' || eventTypeCategory !== 'scheduledChange') {
      return ignored(`AWS Health ${service} ${eventTypeCategory} event is not an EC2 scheduled change`);
    }
    // A closed scheduled change is over: the instance was already retired, or it survived the maintenance.
    if (statusCode === 'closed') return ignored('AWS Health scheduled change is closed');

    const parsed = validate(scheduledChange, event);
    if (!parsed.ok) return invalid(parsed.reason);
    const envelope = parsed.value;
    const { detail } = envelope;
    // Entities can be other resources (volumes, hosts); only instances have nodes.
    const instanceIds = [
      ...new Set(detail.affectedEntities.map((entity) => entity.entityValue).filter(isInstanceId)),
    ];
    if (instanceIds.length === 0) return ignored('AWS Health scheduled change names no EC2 instance');

    const details = {
      eventTypeCode: detail.eventTypeCode,
      ...(detail.eventArn !== undefined && { eventArn: detail.eventArn }),
      ...(statusCode !== undefined && { statusCode }),
    };
    return found(
      instanceIds.map(
        (id): Interruption => ({
          ...envelopeFacts(envelope),
          kind: 'scheduled-change',
          machine: ec2Machine(id),
          action: 'drain',
          deadline: detail.startTime,
          details: { ...details },
        }),
      ),
    );
  },
};

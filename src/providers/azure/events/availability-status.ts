import type { EventParser } from '../../../events/parser.ts';
import { found, ignored, invalid } from '../../../events/results.ts';
import * as z from '../../../zod.ts';
import { envelopeFacts, readAzureEvent, readData, resourceNotification } from './envelope.ts';
import { accountOf, resolveMachine } from './machine.ts';

const availabilityStatusData = resourceNotification(
  z.object({
    availabilityState: z.string(),
    previousAvailabilityState: z.optional(z.string()),
    targetResourceId: z.optional(z.string()),
  }),
);

/**
 * An Unavailable VM may be rebooting or already gone; the engine cordons, and cleans up only if the
 * node has stopped reporting.
 */
export const availabilityStatusParser: EventParser = {
  source: '*',
  types: ['Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged'],
  parse(event, context) {
    const envelope = readAzureEvent(event);
    if (!envelope.ok) return invalid(envelope.reason);
    const data = readData(envelope.value, availabilityStatusData);
    if (!data.ok) return invalid(data.reason);
    const { resourceInfo } = data.value;
    const { availabilityState, previousAvailabilityState } = resourceInfo.properties;
    if (availabilityState.toLowerCase() !== 'unavailable') {
      return ignored(`availability state "${availabilityState}" needs no action`);
    }

    const target = resolveMachine([
      {
        field: 'data.resourceInfo.properties.targetResourceId',
        value: resourceInfo.properties.targetResourceId,
      },
      { field: 'data.resourceInfo.id', value: resourceInfo.id },
      { field: 'subject', value: envelope.value.subject },
    ]);
    // Resource Health reports on every kind of resource; a storage account going Unavailable is not ours.
    if (!target.ok && target.problem === 'not-a-vm') return ignored(target.reason);
    if (!target.ok) return invalid(target.reason);
    return found([
      {
        ...envelopeFacts(envelope.value),
        ...accountOf(target.vm),
        kind: 'availability-unavailable',
        machine: target.machine,
        action: 'cordon-or-cleanup',
        deadline: context.now,
        details: {
          availabilityState,
          ...(previousAvailabilityState !== undefined && { previousAvailabilityState }),
        },
      },
    ]);
  },
};

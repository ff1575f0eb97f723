import type { EventParser } from '../../../events/parser.ts';
import { found, ignored, invalid } from '../../../events/results.ts';
import * as z from '../../../zod.ts';
import { envelopeFacts, readAzureEvent, readData, resourceNotification } from './envelope.ts';
import { accountOf, resolveMachine } from './machine.ts';

/** Annotations (compared lowercased) saying the VM is stopped or going: whatever ran on it is lost. */
const MACHINE_GONE_ANNOTATIONS = new Set([
  'virtualmachinepreempted',
  'virtualmachinedeallocationinitiated',
  'virtualmachinestopinitiatedbycontrolplane',
]);

const resourceAnnotatedData = resourceNotification(
  z.object({
    annotationName: z.string(),
    targetResourceId: z.optional(z.string()),
    reason: z.optional(z.string()),
    context: z.optional(z.string()),
    category: z.optional(z.string()),
  }),
);

/**
 * Resource Health `ResourceAnnotated` events
 * (https://learn.microsoft.com/azure/event-grid/event-schema-health-resources): the annotations saying the VM
 * was preempted, or its deallocation or stop began, clean the node up at once (deadline `now`); other
 * annotations are ignored.
 */
export const resourceAnnotatedParser: EventParser = {
  source: '*',
  types: ['Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated'],
  parse(event, context) {
    const envelope = readAzureEvent(event);
    if (!envelope.ok) return invalid(envelope.reason);
    const data = readData(envelope.value, resourceAnnotatedData);
    if (!data.ok) return invalid(data.reason);
    const { resourceInfo } = data.value;
    const { annotationName, reason, category } = resourceInfo.properties;
    if (!MACHINE_GONE_ANNOTATIONS.has(annotationName.toLowerCase())) {
      return ignored(`resource annotation "${annotationName}" needs no action`);
    }

    const target = resolveMachine([
      {
        field: 'data.resourceInfo.properties.targetResourceId',
        value: resourceInfo.properties.targetResourceId,
      },
      { field: 'data.resourceInfo.id', value: resourceInfo.id },
      { field: 'subject', value: envelope.value.subject },
    ]);
    if (!target.ok) return invalid(target.reason);
    return found([
      {
        ...envelopeFacts(envelope.value),
        ...accountOf(target.vm),
        kind: 'resource-annotated',
        machine: target.machine,
        action: 'cleanup',
        deadline: context.now,
        details: {
          annotationName,
          ...(reason !== undefined && { reason }),
          ...(category !== undefined && { category }),
        },
      },
    ]);
  },
};

import type { DrainAction, Interruption } from '../../../events/interruption.ts';
import { resolveParseOptions } from '../../../events/options.ts';
import type { EventParser, ParseContext, ParseResult } from '../../../events/parser.ts';
import { found, ignored, invalid } from '../../../events/results.ts';
import { addSeconds, parseTimestamp } from '../../../events/time.ts';
import { nonEmptyString } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';
import { azureMachine } from '../machine.ts';
import {
  parseVmResourceId,
  resourceGroupScopeOf,
  type VmResourceIdResult,
  vmFromScheduledEventResource,
} from '../resource-id.ts';
import {
  type AzureEvent,
  envelopeFacts,
  readAzureEvent,
  readData,
  resourceNotification,
} from './envelope.ts';
import { accountOf } from './machine.ts';

const PROPERTIES = 'data.resourceInfo.properties';

/** Preempt promises at least 30 s; it is the shortest notice of any type, so it stands in when NotBefore is empty. */
const MINIMUM_NOTICE_SECONDS = 30;

const EVICTION_TYPES = new Set(['preempt', 'terminate']);
const MAINTENANCE_TYPES = new Set(['redeploy', 'reboot', 'freeze']);

const scheduledEventData = resourceNotification(
  z.object({
    EventId: z.optional(z.string()),
    EventType: z.string(),
    EventStatus: z.string(),
    Resources: z.optional(z.array(nonEmptyString)),
    NotBefore: z.optional(z.string()),
    EventSource: z.optional(z.string()),
  }),
);
type ScheduledEventData = z.output<typeof scheduledEventData>;

const SCHEDULED_EVENT_ID = /\/scheduledevents\/([^/]+)\/?$/i;

/**
 * Scheduled events relayed by Azure Resource Notifications
 * (https://learn.microsoft.com/azure/virtual-machines/linux/scheduled-events), one interruption per VM in
 * `Resources`: Preempt and Terminate drain by NotBefore (30 s from now when empty; now once Started);
 * Redeploy, Reboot and Freeze follow `maintenanceAction`; Canceled and Completed release the marks.
 */
export const scheduledEventParser: EventParser = {
  source: '*',
  // Microsoft documents the event under both names.
  types: [
    'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted',
    'microsoft.maintenance/scheduledevents/write',
  ],
  parse(event, context) {
    const envelope = readAzureEvent(event);
    if (!envelope.ok) return invalid(envelope.reason);
    const data = readData(envelope.value, scheduledEventData);
    if (!data.ok) return invalid(data.reason);

    const decision = decide(data.value.resourceInfo.properties, context);
    if ('status' in decision) return decision;
    return interruptionsFor(envelope.value, data.value, decision);
  },
};

interface Decision {
  action: DrainAction;
  deadline: Date | undefined;
}

function decide(
  properties: ScheduledEventData['resourceInfo']['properties'],
  context: ParseContext,
): Decision | ParseResult {
  const { EventType, EventStatus, NotBefore } = properties;
  const type = EventType.toLowerCase();
  const status = EventStatus.toLowerCase();
  const isEviction = EVICTION_TYPES.has(type);
  if (!isEviction && !MAINTENANCE_TYPES.has(type)) {
    return ignored(`scheduled event type "${EventType}" needs no action`);
  }
  // Marks left by the Scheduled event are released whatever the current options say.
  if (status === 'canceled' || status === 'completed') return { action: 'release', deadline: undefined };
  if (status !== 'scheduled' && status !== 'started') {
    return ignored(`scheduled event status "${EventStatus}" needs no action`);
  }

  let action: DrainAction = 'drain';
  if (!isEviction) {
    const maintenanceAction = resolveParseOptions(context.options).maintenanceAction;
    if (maintenanceAction === 'ignore') return ignored(`${EventType} scheduled events are set to be ignored`);
    action = maintenanceAction;
  }
  if (status === 'started') return { action, deadline: context.now };
  if (NotBefore === undefined || NotBefore.trim() === '') {
    return { action, deadline: addSeconds(context.now, MINIMUM_NOTICE_SECONDS) };
  }
  const notBefore = parseTimestamp(NotBefore);
  if (!notBefore) {
    return invalid(`${PROPERTIES}.NotBefore: expected an RFC 7231 timestamp, got "${NotBefore}"`);
  }
  return { action, deadline: notBefore };
}

function interruptionsFor(event: AzureEvent, data: ScheduledEventData, decision: Decision): ParseResult {
  const { resourceInfo } = data;
  const properties = resourceInfo.properties;
  const machines = resolveResources(event, data);
  if (!machines.ok) return invalid(machines.reason);

  const eventId = scheduledEventId(event, data);
  const interruptions = machines.value.map(
    ({ resource, target }): Interruption => ({
      ...envelopeFacts(event),
      eventId,
      ...accountOf(target.vm),
      ...(resourceInfo.location !== undefined && { region: resourceInfo.location }),
      kind: 'scheduled-event',
      machine: azureMachine(target.resourceId),
      action: decision.action,
      ...(decision.deadline !== undefined && { deadline: decision.deadline }),
      details: {
        EventType: properties.EventType,
        EventStatus: properties.EventStatus,
        Resource: resource,
        ...(properties.NotBefore && { NotBefore: properties.NotBefore }),
        ...(properties.EventSource && { EventSource: properties.EventSource }),
      },
    }),
  );
  return found(interruptions);
}

/**
 * The scheduled event's own id, so that its later Canceled or Completed event finds the marks this one
 * left. Older payloads lack `EventId`; the id is then the last segment of the scheduled-event resource id.
 */
function scheduledEventId(event: AzureEvent, data: ScheduledEventData): string {
  const fromProperties = data.resourceInfo.properties.EventId;
  if (fromProperties) return fromProperties;
  for (const resourceId of [data.resourceInfo.id, event.subject]) {
    const match = resourceId && SCHEDULED_EVENT_ID.exec(resourceId);
    if (match?.[1]) return match[1];
  }
  return event.id;
}

type OkVm = Extract<VmResourceIdResult, { ok: true }>;
/** A `Resources` entry and the virtual machine it names. */
type ResourceTarget = { resource: string; target: OkVm };
type ResolvedResources = { ok: true; value: ResourceTarget[] } | { ok: false; reason: string };

/**
 * `Resources` holds bare names (`<vmss>_<instanceId>`, or a VM name); the subscription and resource group
 * come from the resource ids around them. `subject` is sometimes the VM's own id rather than the
 * scheduled event's, which also settles a standalone VM whose name merely looks like `<vmss>_<n>`.
 */
function resolveResources(event: AzureEvent, data: ScheduledEventData): ResolvedResources {
  const resources = data.resourceInfo.properties.Resources ?? [];
  const aroundIds = [data.resourceInfo.id, event.subject, event.source].filter((id) => id !== undefined);
  const namedVm = aroundIds.map(parseVmResourceId).find((parsed): parsed is OkVm => parsed.ok);

  if (resources.length === 0) {
    if (namedVm) return { ok: true, value: [{ resource: namedVm.resourceId, target: namedVm }] };
    return { ok: false, reason: `${PROPERTIES}.Resources: expected at least one resource` };
  }
  const scope = aroundIds.map(resourceGroupScopeOf).find((scope) => scope !== undefined);
  if (!scope) {
    return {
      ok: false,
      reason: `${PROPERTIES}.Resources: no resource group to place them in (data.resourceInfo.id, subject and topic name none)`,
    };
  }

  const resolved = new Map<string, ResourceTarget>();
  for (const [index, resource] of resources.entries()) {
    const target =
      namedVm?.vm.kind === 'virtual-machine' && namedVm.vm.name === resource.toLowerCase()
        ? namedVm
        : vmFromScheduledEventResource(resource, scope);
    if (!target.ok) return { ok: false, reason: `${PROPERTIES}.Resources[${index}]: ${target.reason}` };
    if (!resolved.has(target.resourceId)) resolved.set(target.resourceId, { resource, target });
  }
  return { ok: true, value: [...resolved.values()] };
}

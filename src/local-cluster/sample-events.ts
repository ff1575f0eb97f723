/**
 * The cloud events the demo fires, as the clouds send them: an EC2 Spot Instance Interruption Warning
 * (EventBridge) and an Azure scheduled-event Preempt (Event Grid schema), each retargeted at a node of
 * the local spot pool. The samples are the same documents as test/fixtures/events/aws/
 * spot-interruption-warning.json and test/fixtures/events/azure/scheduled-event-preempt.eventgrid.json
 * (a unit test keeps them equal); they live here so the shipped CLI reads nothing from test/.
 */

/** The EventBridge spot interruption warning sample (instance i-0b662ef9931388ba0). */
export const SAMPLE_SPOT_INTERRUPTION_WARNING = {
  version: '0',
  id: '1e5527d7-bb36-4607-3370-4164db56a40e',
  'detail-type': 'EC2 Spot Instance Interruption Warning',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2026-11-20T14:03:11Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1b:instance/i-0b662ef9931388ba0'],
  detail: {
    'instance-id': 'i-0b662ef9931388ba0',
    'instance-action': 'terminate',
  },
} as const;

const SAMPLE_VMSS_PARTS = {
  subscription: '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64',
  resourceGroup: 'MC_rg-shop_aks-shop_westeurope',
  vmss: 'aks-spot1-30918274-vmss',
  instance: '7',
};

const SAMPLE_SCHEDULED_EVENT_ID = 'C7E1F0A2-3B4D-4E5F-8A9B-0C1D2E3F4A5B';
const sampleScheduledEventResource = `/subscriptions/${SAMPLE_VMSS_PARTS.subscription}/resourceGroups/${SAMPLE_VMSS_PARTS.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${SAMPLE_VMSS_PARTS.vmss}/providers/microsoft.maintenance/scheduledevents/${SAMPLE_SCHEDULED_EVENT_ID}`;

/** The Event Grid scheduled-event Preempt sample (scale set aks-spot1-30918274-vmss, instance 7). */
export const SAMPLE_SCHEDULED_EVENT_PREEMPT = {
  id: '4a7c2e91-0b3d-4f56-8e21-9c0d7b6a5f43',
  topic: `/subscriptions/${SAMPLE_VMSS_PARTS.subscription}`,
  subject: sampleScheduledEventResource,
  data: {
    resourceInfo: {
      id: sampleScheduledEventResource,
      name: SAMPLE_SCHEDULED_EVENT_ID,
      type: 'microsoft.maintenance/scheduledEvents',
      location: 'westeurope',
      properties: {
        EventId: SAMPLE_SCHEDULED_EVENT_ID,
        EventType: 'Preempt',
        ResourceType: 'VirtualMachine',
        Resources: [`${SAMPLE_VMSS_PARTS.vmss}_${SAMPLE_VMSS_PARTS.instance}`],
        EventStatus: 'Scheduled',
        NotBefore: 'Fri, 20 Nov 2026 09:14:37 GMT',
        Description: '',
        EventSource: 'Platform',
        DurationInSeconds: -1,
      },
    },
    apiVersion: '2024-07-01',
  },
  eventType: 'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted',
  dataVersion: '3.0',
  metadataVersion: '1',
  eventTime: '2026-11-20T09:14:08.1234567Z',
} as const;

/**
 * An EventBridge EC2 event with its instance replaced by `instanceId` everywhere it appears (detail and
 * resources), a fresh id and `time` (second precision, as EventBridge writes it), as if the cloud had
 * just sent it. `sample` must name its instance in `detail['instance-id']` or `detail.EC2InstanceId`;
 * throws otherwise. The sample is not modified.
 */
export function retargetAwsEvent(
  sample: object,
  instanceId: string,
  time: Date = new Date(),
): Record<string, unknown> {
  const text = JSON.stringify(sample);
  const detail = (sample as { detail?: Record<string, unknown> }).detail ?? {};
  const original = detail['instance-id'] ?? detail.EC2InstanceId;
  if (typeof original !== 'string' || original === '') {
    throw new Error('the sample event names no instance (detail.instance-id or detail.EC2InstanceId)');
  }
  const event = JSON.parse(text.replaceAll(original, instanceId)) as Record<string, unknown>;
  event.time = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  event.id = crypto.randomUUID();
  return event;
}

/** The spot interruption warning for EC2 instance `instanceId` (e.g. `i-0abc…`), sent at `time`. */
export function spotInterruptionWarning(
  instanceId: string,
  time: Date = new Date(),
): Record<string, unknown> {
  return retargetAwsEvent(SAMPLE_SPOT_INTERRUPTION_WARNING, instanceId, time);
}

/** Options of {@link azureScheduledEvent}. */
export interface ScheduledEventOptions {
  /** When the platform acts: the event's NotBefore (written as an HTTP date, second precision). */
  notBefore: Date;
  /** EventStatus; `Scheduled` by default. */
  status?: 'Scheduled' | 'Canceled' | 'Completed';
  /** EventId; the sample's by default. A Canceled or Completed event names the id it settles. */
  eventId?: string;
}

/**
 * The scheduled-event Preempt sample retargeted at a scale-set VM: `machineId` is its ARM resource id
 * (`/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/virtualMachineScaleSets/<vmss>/
 * virtualMachines/<n>`), whose subscription, resource group, scale set and instance replace the
 * sample's. The event gets a fresh id, eventTime now, and the given NotBefore and status. Throws when
 * `machineId` is not a scale-set VM id.
 */
export function azureScheduledEvent(
  machineId: string,
  options: ScheduledEventOptions,
): Record<string, unknown> {
  const match = machineId.match(
    /\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)\/virtualMachines\/(\d+)$/,
  );
  if (!match) throw new Error(`not a scale-set VM: ${machineId}`);
  const [, subscription, resourceGroup, vmss, instance] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const text = JSON.stringify(SAMPLE_SCHEDULED_EVENT_PREEMPT)
    .replaceAll(SAMPLE_VMSS_PARTS.subscription, subscription)
    .replaceAll(SAMPLE_VMSS_PARTS.resourceGroup, resourceGroup)
    .replaceAll(`${SAMPLE_VMSS_PARTS.vmss}_${SAMPLE_VMSS_PARTS.instance}`, `${vmss}_${instance}`)
    .replaceAll(SAMPLE_VMSS_PARTS.vmss, vmss);
  const event = JSON.parse(text) as {
    id: string;
    eventTime: string;
    data: { resourceInfo: { properties: Record<string, unknown> } };
  };
  event.id = crypto.randomUUID();
  event.eventTime = new Date().toISOString();
  const properties = event.data.resourceInfo.properties;
  properties.NotBefore = options.notBefore.toUTCString();
  properties.EventStatus = options.status ?? 'Scheduled';
  if (options.eventId) properties.EventId = options.eventId;
  return event as unknown as Record<string, unknown>;
}

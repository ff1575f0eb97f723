import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'events');

/** A sample event with its time set to now and its machine replaced, as if the cloud had just sent it. */
export function awsEvent(file: string, instanceId: string, time = new Date()): Record<string, unknown> {
  const text = readFileSync(join(fixtures, 'aws', file), 'utf8');
  const sample = JSON.parse(text) as { detail: Record<string, unknown> };
  const original = (sample.detail['instance-id'] ?? sample.detail.EC2InstanceId) as string;
  const event = JSON.parse(text.replaceAll(original, instanceId)) as Record<string, unknown>;
  event.time = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  event.id = crypto.randomUUID();
  return event;
}

export function azureEventText(file: string): string {
  return readFileSync(join(fixtures, 'azure', file), 'utf8');
}

const SAMPLE_VMSS_PARTS = {
  subscription: '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64',
  resourceGroup: 'MC_rg-shop_aks-shop_westeurope',
  vmss: 'aks-spot1-30918274-vmss',
};

function httpDate(date: Date): string {
  return date.toUTCString();
}

/**
 * The scheduled-event sample retargeted at a pool node's VM: its subscription, resource group, scale set
 * and instance, with NotBefore `notBefore` and the given status.
 */
export function azureScheduledEvent(
  machineId: string,
  options: { notBefore: Date; status?: 'Scheduled' | 'Canceled' | 'Completed'; eventId?: string },
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
  const text = azureEventText('scheduled-event-preempt.eventgrid.json')
    .replaceAll(SAMPLE_VMSS_PARTS.subscription, subscription)
    .replaceAll(SAMPLE_VMSS_PARTS.resourceGroup, resourceGroup)
    .replaceAll(`${SAMPLE_VMSS_PARTS.vmss}_7`, `${vmss}_${instance}`)
    .replaceAll(SAMPLE_VMSS_PARTS.vmss, vmss);
  const event = JSON.parse(text) as {
    id: string;
    eventTime: string;
    data: { resourceInfo: { properties: Record<string, unknown> } };
  };
  event.id = crypto.randomUUID();
  event.eventTime = new Date().toISOString();
  const properties = event.data.resourceInfo.properties;
  properties.NotBefore = httpDate(options.notBefore);
  properties.EventStatus = options.status ?? 'Scheduled';
  if (options.eventId) properties.EventId = options.eventId;
  return event as unknown as Record<string, unknown>;
}

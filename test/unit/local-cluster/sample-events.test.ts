import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  azureScheduledEvent,
  SAMPLE_SCHEDULED_EVENT_PREEMPT,
  SAMPLE_SPOT_INTERRUPTION_WARNING,
  spotInterruptionWarning,
} from '../../../src/local-cluster/sample-events.ts';
import { parseEvents } from '../../fixtures/events/registry.ts';

const fixture = (path: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'events', path), 'utf8'));

describe("the demo's sample events", () => {
  it('are the fixtures the parsers are tested with', () => {
    expect(SAMPLE_SPOT_INTERRUPTION_WARNING).toEqual(fixture('aws/spot-interruption-warning.json'));
    expect(SAMPLE_SCHEDULED_EVENT_PREEMPT).toEqual(fixture('azure/scheduled-event-preempt.eventgrid.json'));
  });

  it('retarget the spot warning at an instance, sent now', () => {
    const time = new Date('2026-11-29T10:00:00.123Z');
    const event = spotInterruptionWarning('i-0123456789abcdef0', time);
    expect(event).toMatchObject({
      time: '2026-11-29T10:00:00Z',
      resources: ['arn:aws:ec2:us-east-1b:instance/i-0123456789abcdef0'],
      detail: { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'terminate' },
    });
    expect(event.id).not.toBe(SAMPLE_SPOT_INTERRUPTION_WARNING.id);
    const [result] = parseEvents(event, { now: time });
    expect(result).toMatchObject({ status: 'interruptions' });
  });

  it('retarget the Preempt at a scale-set VM, with its NotBefore', () => {
    const vm =
      '/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/MC_rg-spot_aks-spot_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-12345678-vmss/virtualMachines/3';
    const notBefore = new Date('2026-11-29T10:00:30Z');
    const event = azureScheduledEvent(vm, { notBefore });
    const text = JSON.stringify(event);
    expect(text).not.toContain('9b2f4c1e');
    expect(text).not.toContain('aks-spot1-30918274-vmss');
    expect(event).toMatchObject({
      topic: '/subscriptions/00000000-0000-0000-0000-0000000000aa',
      data: {
        resourceInfo: {
          properties: {
            Resources: ['aks-spot1-12345678-vmss_3'],
            NotBefore: 'Sun, 29 Nov 2026 10:00:30 GMT',
            EventStatus: 'Scheduled',
          },
        },
      },
    });
    const [result] = parseEvents(event, { now: new Date('2026-11-29T10:00:00Z') });
    expect(result).toMatchObject({ status: 'interruptions' });
    expect(() => azureScheduledEvent('/subscriptions/x/virtualMachines/vm1', { notBefore })).toThrow(
      /not a scale-set VM/,
    );
  });
});

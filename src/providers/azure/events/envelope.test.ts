import { describe, expect, it } from 'vitest';
import { loadEvent, toCloudEvent, withField } from '../../../../test/fixtures/events/helpers.ts';
import { azureEventType, readAzureEvent } from './envelope.ts';

const eventGrid = loadEvent('azure/availability-status-unavailable.eventgrid.json');
const cloudEvent = loadEvent('azure/resource-annotated-preempted.cloudevent.json');

describe('Azure event envelope', () => {
  it('reads the Event Grid schema', () => {
    expect(readAzureEvent(eventGrid)).toEqual({
      ok: true,
      value: {
        schema: 'event-grid',
        id: '9a4b1e73-0c2d-4f8e-8b51-2e6f7a9d3c11',
        type: 'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
        source: '/subscriptions/9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64',
        subject: eventGrid.subject,
        time: new Date('2026-11-20T09:14:45.221Z'),
        data: eventGrid.data,
      },
    });
  });

  it('reads CloudEvents 1.0, fractional seconds and all', () => {
    expect(readAzureEvent(cloudEvent)).toEqual({
      ok: true,
      value: {
        schema: 'cloud-events',
        id: 'e3b1c9a2-7f44-4d0a-9f3e-6c2b8e1d5a77',
        type: 'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated',
        source: '/subscriptions/9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64',
        subject: cloudEvent.subject,
        time: new Date('2026-11-20T09:14:41.552Z'),
        data: cloudEvent.data,
      },
    });
  });

  it('gives the same event whichever schema delivers it, bar the schema name', () => {
    const fromEventGrid = readAzureEvent(eventGrid);
    const fromCloudEvent = readAzureEvent(toCloudEvent(eventGrid));
    expect(fromCloudEvent).toEqual({
      ok: true,
      value: { ...(fromEventGrid.ok ? fromEventGrid.value : {}), schema: 'cloud-events' },
    });
  });

  it('tells the routing type from either schema', () => {
    expect(azureEventType(eventGrid)).toBe(
      'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
    );
    expect(azureEventType(cloudEvent)).toBe(
      'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated',
    );
    expect(azureEventType(withField(eventGrid, 'eventType', 3))).toBeUndefined();
    expect(azureEventType({ type: 'no specversion, so not a CloudEvent' })).toBeUndefined();
    expect(azureEventType(null)).toBeUndefined();
    expect(azureEventType(['an array'])).toBeUndefined();
  });

  it('names the schema-specific field that is wrong', () => {
    expect(readAzureEvent(withField(eventGrid, 'eventTime', 'now'))).toEqual({
      ok: false,
      reason: 'eventTime: expected an ISO 8601 or RFC 7231 timestamp, got "now"',
    });
    expect(readAzureEvent(withField(cloudEvent, 'type', undefined))).toEqual({
      ok: false,
      reason: 'type: required',
    });
  });
});

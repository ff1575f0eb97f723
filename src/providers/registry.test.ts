import { afterEach, describe, expect, it, vi } from 'vitest';
import { context, loadEvent, toCloudEvent, withField } from '../../test/fixtures/events/helpers.ts';
import { listHandledEventTypes, parseEvent, parseEvents } from '../../test/fixtures/events/registry.ts';
import type { InterruptionKind } from '../events/interruption.ts';
import type { ParseResult } from '../events/parser.ts';
import { createEventRegistry } from '../events/registry.ts';
import { spotInterruptionParser } from './aws/events/spot-interruption.ts';

function kindsOf(result: ParseResult): InterruptionKind[] {
  return result.status === 'interruptions'
    ? result.interruptions.map((interruption) => interruption.kind)
    : [];
}

const spotWarning = loadEvent('aws/spot-interruption-warning.json');
const scheduledPreempt = loadEvent('azure/scheduled-event-preempt.eventgrid.json');
const scheduledCanceled = loadEvent('azure/scheduled-event-canceled.eventgrid.json');

describe('parseEvent', () => {
  it.each([
    ['aws/spot-interruption-warning.json', 'spot-interruption'],
    ['aws/rebalance-recommendation.json', 'rebalance-recommendation'],
    ['aws/instance-state-change-shutting-down.json', 'instance-state-change'],
    ['aws/asg-terminate-lifecycle-action.json', 'lifecycle-terminate'],
    ['aws/health-scheduled-change.json', 'scheduled-change'],
    ['aws/capacity-reservation-interruption.json', 'capacity-reservation-interruption'],
    ['aws/capacity-reservation-interruptible-spelling.json', 'capacity-reservation-interruption'],
    ['azure/scheduled-event-preempt.eventgrid.json', 'scheduled-event'],
    ['azure/scheduled-event-preempt.cloudevent.json', 'scheduled-event'],
    ['azure/scheduled-event-canceled.eventgrid.json', 'scheduled-event'],
    ['azure/resource-annotated-preempted.cloudevent.json', 'resource-annotated'],
    ['azure/availability-status-unavailable.eventgrid.json', 'availability-unavailable'],
    ['azure/simulate-eviction-action.eventgrid.json', 'simulated-eviction'],
    ['azure/simulate-eviction-vm.cloudevent.json', 'simulated-eviction'],
  ] as const)('routes %s to its %s parser', (fixture, kind) => {
    expect(kindsOf(parseEvent(loadEvent(fixture), context))).toEqual([kind]);
  });

  it('gives the Health event one interruption per instance', () => {
    const result = parseEvent(loadEvent('aws/health-scheduled-change-several-instances.json'), context);
    expect(kindsOf(result)).toEqual(['scheduled-change', 'scheduled-change', 'scheduled-change']);
  });

  it('passes the options on to the parser', () => {
    const rebalance = loadEvent('aws/rebalance-recommendation.json');
    const result = parseEvent(rebalance, { ...context, options: { rebalanceAction: 'drain' } });
    expect(result).toMatchObject({ status: 'interruptions', interruptions: [{ action: 'drain' }] });
  });

  it.each([
    ['the ASG test notification', 'aws/asg-test-notification.json', 'Auto Scaling test notification'],
    [
      'a resource action other than simulateEviction',
      'azure/resource-action-restart.eventgrid.json',
      'resource action "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/restart/action" is not a simulated eviction',
    ],
  ])('lets the parser ignore %s', (_case, fixture, reason) => {
    expect(parseEvent(loadEvent(fixture), context)).toEqual({ status: 'ignored', reason });
  });

  it('routes Azure types whatever their case', () => {
    for (const type of [
      'microsoft.resourcenotifications.maintenanceresources.scheduledeventemitted',
      'MICROSOFT.MAINTENANCE/SCHEDULEDEVENTS/WRITE',
      'Microsoft.Maintenance/scheduledEvents/write',
    ]) {
      expect(kindsOf(parseEvent(withField(scheduledPreempt, 'eventType', type), context))).toEqual([
        'scheduled-event',
      ]);
      const cloudEvent = withField(toCloudEvent(scheduledPreempt), 'type', type);
      expect(kindsOf(parseEvent(cloudEvent, context))).toEqual(['scheduled-event']);
    }
  });

  it.each([
    [
      'a foreign detail-type from aws.ec2',
      withField(spotWarning, 'detail-type', 'EC2 AMI State Change'),
      'not ours: aws.ec2 / EC2 AMI State Change',
    ],
    [
      'a known detail-type from a foreign source',
      withField(spotWarning, 'source', 'custom.chaos'),
      'not ours: custom.chaos / EC2 Spot Instance Interruption Warning',
    ],
    [
      'a detail-type in another case (AWS matches exactly)',
      withField(spotWarning, 'detail-type', 'ec2 spot instance interruption warning'),
      'not ours: aws.ec2 / ec2 spot instance interruption warning',
    ],
    [
      'a numeric detail-type',
      withField(spotWarning, 'detail-type', 7),
      'not ours: EventBridge event without a string source and detail-type',
    ],
    [
      'a missing source',
      withField(spotWarning, 'source', undefined),
      'not ours: EventBridge event without a string source and detail-type',
    ],
    [
      'a foreign Azure event type',
      withField(scheduledPreempt, 'eventType', 'Microsoft.Storage.BlobCreated'),
      'not ours: Microsoft.Storage.BlobCreated',
    ],
    [
      'the Event Grid subscription handshake',
      {
        id: '1',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        data: { validationCode: 'x' },
      },
      'not ours: Microsoft.EventGrid.SubscriptionValidationEvent',
    ],
    ['null', null, 'not ours: expected an event object, got null'],
    ['undefined', undefined, 'not ours: expected an event object, got undefined'],
    ['a string', JSON.stringify(spotWarning), 'not ours: expected an event object, got string'],
    ['a number', 42, 'not ours: expected an event object, got number'],
    ['an array', [spotWarning], 'not ours: expected an event object, got an array'],
    [
      'an empty object',
      {},
      'not ours: no detail-type (EventBridge), eventType (Event Grid) or type (CloudEvents)',
    ],
    [
      'a type without specversion',
      { type: 'Microsoft.Resources.ResourceActionSuccess' },
      'not ours: no detail-type (EventBridge), eventType (Event Grid) or type (CloudEvents)',
    ],
  ])('ignores %s as not ours', (_case, event, reason) => {
    expect(parseEvent(event, context)).toEqual({ status: 'ignored', reason });
  });

  it('reports a malformed event of a handled kind as invalid', () => {
    expect(parseEvent(withField(spotWarning, 'detail', null), context)).toEqual({
      status: 'invalid',
      reason: 'detail: expected object, received null',
    });
  });

  describe('when a parser throws', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('turns the exception into an invalid result', () => {
      vi.spyOn(spotInterruptionParser, 'parse').mockImplementation(() => {
        throw new TypeError('boom');
      });
      expect(parseEvent(spotWarning, context)).toEqual({
        status: 'invalid',
        reason: 'aws.ec2 / EC2 Spot Instance Interruption Warning: parser failed: boom',
      });
    });

    it('does the same for a thrown non-Error', () => {
      vi.spyOn(spotInterruptionParser, 'parse').mockImplementation(() => {
        throw 'plain string';
      });
      expect(parseEvent(spotWarning, context)).toEqual({
        status: 'invalid',
        reason: 'aws.ec2 / EC2 Spot Instance Interruption Warning: parser failed: plain string',
      });
    });
  });
});

describe('parseEvents', () => {
  it('parses a batch with mixed events, one result per event in order', () => {
    const results = parseEvents(
      [
        scheduledPreempt,
        loadEvent('azure/resource-action-restart.eventgrid.json'),
        withField(scheduledPreempt, 'data', null),
        loadEvent('azure/availability-status-unavailable.eventgrid.json'),
        'garbage',
        scheduledCanceled,
      ],
      context,
    );
    expect(results.map((result) => result.status)).toEqual([
      'interruptions',
      'ignored',
      'invalid',
      'interruptions',
      'ignored',
      'interruptions',
    ]);
    expect(results.flatMap((result) => kindsOf(result))).toEqual([
      'scheduled-event',
      'availability-unavailable',
      'scheduled-event',
    ]);
  });

  it('pairs the Canceled event with the Scheduled one in the same batch', () => {
    const [scheduled, canceled] = parseEvents([scheduledPreempt, scheduledCanceled], context);
    expect(scheduled).toMatchObject({ status: 'interruptions', interruptions: [{ action: 'drain' }] });
    expect(canceled).toMatchObject({ status: 'interruptions', interruptions: [{ action: 'release' }] });
    if (scheduled?.status !== 'interruptions' || canceled?.status !== 'interruptions')
      throw new Error('unreachable');
    expect(canceled.interruptions[0]?.eventId).toBe(scheduled.interruptions[0]?.eventId);
    expect(canceled.interruptions[0]?.machine).toEqual(scheduled.interruptions[0]?.machine);
  });

  it('parses a single object as a batch of one', () => {
    const results = parseEvents(spotWarning, context);
    expect(results).toHaveLength(1);
    expect(kindsOf(results[0]!)).toEqual(['spot-interruption']);
  });

  it('gives no results for an empty batch', () => {
    expect(parseEvents([], context)).toEqual([]);
  });

  it('reports a body that is not an event as one ignored result', () => {
    expect(parseEvents(null, context)).toEqual([
      { status: 'ignored', reason: 'not ours: expected an event object, got null' },
    ]);
  });
});

describe('listHandledEventTypes', () => {
  it('lists every source and type a parser handles, once', () => {
    const handled = listHandledEventTypes();
    expect(handled).toEqual([
      { source: 'aws.ec2', type: 'EC2 Spot Instance Interruption Warning' },
      { source: 'aws.ec2', type: 'EC2 Instance Rebalance Recommendation' },
      { source: 'aws.ec2', type: 'EC2 Instance State-change Notification' },
      { source: 'aws.ec2', type: 'EC2 Capacity Reservation Instance Interruption Warning' },
      { source: 'aws.ec2', type: 'EC2 Interruptible Capacity Reservation Instance Interruption Warning' },
      { source: 'aws.autoscaling', type: 'EC2 Instance-terminate Lifecycle Action' },
      { source: 'aws.health', type: 'AWS Health Event' },
      { source: '*', type: 'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted' },
      { source: '*', type: 'microsoft.maintenance/scheduledevents/write' },
      { source: '*', type: 'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated' },
      { source: '*', type: 'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged' },
      { source: '*', type: 'Microsoft.Resources.ResourceActionSuccess' },
    ]);
  });

  it('routes every listed type to a parser', () => {
    for (const { source, type } of listHandledEventTypes()) {
      const event =
        source === '*'
          ? { id: 'x', eventType: type, eventTime: 'bad' }
          : { source, 'detail-type': type, time: 'bad' };
      expect(parseEvent(event, context).status, `${source} / ${type}`).toBe('invalid');
    }
  });
});

describe('createEventRegistry', () => {
  it('refuses two parsers that claim one (source, type) when it is created', () => {
    const twin = { ...spotInterruptionParser };
    expect(() => createEventRegistry([spotInterruptionParser, twin], [])).toThrow(
      'two event parsers claim aws.ec2 / EC2 Spot Instance Interruption Warning',
    );
  });

  it('routes only through the envelopes it was given: without EventBridge, an AWS event is not recognised', () => {
    const registry = createEventRegistry([spotInterruptionParser], []);
    expect(registry.parseEvent(spotWarning, context)).toEqual({
      status: 'ignored',
      reason: 'not ours: no known envelope',
    });
  });
});

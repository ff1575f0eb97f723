import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  interruptionsOf,
  loadEvent,
  onlyInterruption,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { healthParser } from './health.ts';

const retirement = loadEvent('aws/health-scheduled-change.json');
const maintenance = loadEvent('aws/health-scheduled-change-several-instances.json');

describe('AWS Health Event', () => {
  it('drains a retiring instance, due at the start of the scheduled change', () => {
    expect(onlyInterruption(healthParser.parse(retirement, context))).toStrictEqual({
      cloud: 'aws',
      kind: 'scheduled-change',
      eventId: '7fb65329-1628-4cf3-a740-95fd457a1402',
      eventTime: dateAt(retirement, 'time'),
      account: '123456789012',
      region: 'us-east-1',
      machine: { cloud: 'aws', instanceId: 'i-0c1d2e3f405162738' },
      action: 'drain',
      deadline: dateAt(retirement, 'detail.startTime'),
      details: {
        eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
        eventArn:
          'arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_1a2b3c4d',
        statusCode: 'upcoming',
      },
    });
    expect(dateAt(retirement, 'detail.startTime').toISOString()).toBe('2026-11-20T10:00:00.000Z');
  });

  it('drains every affected instance once, skipping entities that are not instances', () => {
    const interruptions = interruptionsOf(healthParser.parse(maintenance, context));
    expect(interruptions.map((interruption) => interruption.machine)).toEqual([
      { cloud: 'aws', instanceId: 'i-0c1d2e3f405162738' },
      { cloud: 'aws', instanceId: 'i-1a2b3c4d' },
      { cloud: 'aws', instanceId: 'i-0f9e8d7c6b5a49382' },
    ]);
    for (const interruption of interruptions) {
      expect(interruption).toMatchObject({
        kind: 'scheduled-change',
        action: 'drain',
        eventId: '0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a',
        region: 'eu-west-1',
        deadline: dateAt(maintenance, 'detail.startTime'),
        details: { eventTypeCode: 'AWS_EC2_SYSTEM_MAINTENANCE_EVENT' },
      });
    }
  });

  it('ignores a scheduled change that names no instance', () => {
    const volumesOnly = withField(retirement, 'detail.affectedEntities', [
      { entityValue: 'vol-0123456789abcdef0' },
    ]);
    expect(healthParser.parse(volumesOnly, context)).toEqual({
      status: 'ignored',
      reason: 'AWS Health scheduled change names no EC2 instance',
    });
  });

  it.each([
    [
      'another service',
      'detail.service',
      'RDS',
      'AWS Health RDS scheduledChange event is not an EC2 scheduled change',
    ],
    [
      'an issue',
      'detail.eventTypeCategory',
      'issue',
      'AWS Health EC2 issue event is not an EC2 scheduled change',
    ],
    [
      'an account notification',
      'detail.eventTypeCategory',
      'accountNotification',
      'AWS Health EC2 accountNotification event is not an EC2 scheduled change',
    ],
    ['a closed scheduled change', 'detail.statusCode', 'closed', 'AWS Health scheduled change is closed'],
  ])('ignores %s', (_case, path, value, reason) => {
    expect(healthParser.parse(withField(retirement, path, value), context)).toEqual({
      status: 'ignored',
      reason,
    });
  });

  it.each([
    ['a missing startTime', 'detail.startTime', undefined, 'detail.startTime: required'],
    [
      'a startTime that is no timestamp',
      'detail.startTime',
      'next Friday',
      'detail.startTime: expected an ISO 8601 or RFC 7231 timestamp, got "next Friday"',
    ],
    ['a missing service', 'detail.service', undefined, 'detail.service: required'],
    ['missing affectedEntities', 'detail.affectedEntities', undefined, 'detail.affectedEntities: required'],
    [
      'a numeric entity',
      'detail.affectedEntities',
      [{ entityValue: 'i-0c1d2e3f405162738' }, { entityValue: 12 }],
      'detail.affectedEntities[1].entityValue: expected string, received number',
    ],
    ['a missing eventTypeCode', 'detail.eventTypeCode', undefined, 'detail.eventTypeCode: required'],
  ])('rejects %s', (_case, path, value, reason) => {
    expect(healthParser.parse(withField(retirement, path, value), context)).toEqual({
      status: 'invalid',
      reason,
    });
  });
});

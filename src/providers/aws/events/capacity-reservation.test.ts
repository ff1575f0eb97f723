import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  loadEvent,
  onlyInterruption,
  plusSeconds,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { capacityReservationParser } from './capacity-reservation.ts';

const warning = loadEvent('aws/capacity-reservation-interruption.json');
const interruptibleSpelling = loadEvent('aws/capacity-reservation-interruptible-spelling.json');
const withTerminationTime = loadEvent('aws/capacity-reservation-termination-time.json');

describe('EC2 Capacity Reservation Instance Interruption Warning', () => {
  it('handles both documented detail-types', () => {
    expect(capacityReservationParser.types).toEqual([
      'EC2 Capacity Reservation Instance Interruption Warning',
      'EC2 Interruptible Capacity Reservation Instance Interruption Warning',
    ]);
  });

  it('drains the instance, due two minutes after the warning', () => {
    expect(onlyInterruption(capacityReservationParser.parse(warning, context))).toStrictEqual({
      cloud: 'aws',
      kind: 'capacity-reservation-interruption',
      eventId: '3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b',
      eventTime: dateAt(warning, 'time'),
      account: '123456789012',
      region: 'us-east-1',
      machine: { cloud: 'aws', instanceId: 'i-0d2e3f405162738a9' },
      action: 'drain',
      deadline: plusSeconds(dateAt(warning, 'time'), 120),
      details: { 'instance-action': 'terminate' },
    });
  });

  it('needs no instance-action', () => {
    const interruption = onlyInterruption(capacityReservationParser.parse(interruptibleSpelling, context));
    expect(interruption.machine).toEqual({ cloud: 'aws', instanceId: 'i-0e3f405162738a9b0' });
    expect(interruption.deadline).toEqual(plusSeconds(dateAt(interruptibleSpelling, 'time'), 120));
    expect(interruption.details).toEqual({});
  });

  it('takes the deadline from instance-termination-time when the warning carries one, and keeps azId', () => {
    const interruption = onlyInterruption(capacityReservationParser.parse(withTerminationTime, context));
    expect(interruption.deadline).toEqual(dateAt(withTerminationTime, 'detail.instance-termination-time'));
    expect(interruption.deadline).toEqual(plusSeconds(dateAt(withTerminationTime, 'time'), 300));
    expect(interruption.details).toEqual({ 'instance-action': 'terminate', azId: 'use1-az6' });
  });

  it('falls back to two minutes after the warning when instance-termination-time is unreadable', () => {
    const event = withField(withTerminationTime, 'detail.instance-termination-time', 'soon');
    const interruption = onlyInterruption(capacityReservationParser.parse(event, context));
    expect(interruption.deadline).toEqual(plusSeconds(dateAt(event, 'time'), 120));
  });

  it('rejects a bad instance id, naming the field', () => {
    const result = capacityReservationParser.parse(withField(warning, 'detail.instance-id', 'i-'), context);
    expect(result).toEqual({ status: 'invalid', reason: 'detail.instance-id: expected an EC2 instance id' });
  });
});

import { describe, expect, it } from 'vitest';
import type { DrainAction, Interruption } from '../events/interruption.ts';
import { actionForLateDelivery } from './late-delivery.ts';

const deadline = Date.parse('2030-01-01T10:02:00Z');
const interruption = (action: DrainAction, withDeadline = true): Interruption => ({
  cloud: 'aws',
  kind: 'spot-interruption',
  eventId: 'e-1',
  machine: { cloud: 'aws', instanceId: 'i-0abc1234' },
  action,
  eventTime: new Date(deadline - 120_000),
  ...(withDeadline ? { deadline: new Date(deadline) } : {}),
  details: { 'instance-action': 'terminate' },
});

describe('actionForLateDelivery', () => {
  it('keeps a drain that still has time', () => {
    const early = interruption('drain');
    expect(actionForLateDelivery(early, undefined, deadline - 5_000, 1_000)).toBe(early);
  });

  it('turns a drain into cleanup once the deadline, less the safety margin, has passed', () => {
    expect(actionForLateDelivery(interruption('drain'), undefined, deadline - 1_000, 1_000)).toMatchObject({
      action: 'cleanup',
      details: {
        'instance-action': 'terminate',
        cleanupBecause: 'handled -1 s after its deadline 2030-01-01T10:02:00.000Z',
      },
    });
    expect(
      actionForLateDelivery(interruption('drain'), undefined, deadline + 180_000, 1_000).details
        .cleanupBecause,
    ).toBe('handled 180 s after its deadline 2030-01-01T10:02:00.000Z');
  });

  it('turns a drain into cleanup when the cloud says the machine is gone, deadline or not', () => {
    const gone = actionForLateDelivery(
      interruption('drain', false),
      'EC2 reports instance i-0abc1234 terminated',
      0,
      1_000,
    );
    expect(gone).toMatchObject({
      action: 'cleanup',
      details: { cleanupBecause: 'EC2 reports instance i-0abc1234 terminated' },
    });
    expect(actionForLateDelivery(interruption('cordon-or-cleanup', false), 'gone', 0, 1_000).action).toBe(
      'cleanup',
    );
  });

  it.each<DrainAction>(['cordon', 'release', 'cleanup'])(
    'leaves %s alone: nothing graceful to give up',
    (action) => {
      const late = interruption(action);
      expect(actionForLateDelivery(late, 'gone', deadline + 60_000, 1_000)).toBe(late);
    },
  );
});

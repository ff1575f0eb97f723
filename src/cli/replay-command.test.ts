import { describe, expect, it } from 'vitest';
import type { Interruption } from '../events/interruption.ts';
import { staleReason } from './replay-command.ts';

const warning = (eventTime: string, deadline?: string): Interruption => ({
  cloud: 'aws',
  kind: 'spot-interruption',
  eventId: 'e-1',
  machine: { cloud: 'aws', instanceId: 'i-0abc1234' },
  action: 'drain',
  eventTime: new Date(eventTime),
  ...(deadline ? { deadline: new Date(deadline) } : {}),
  details: {},
});

describe('staleReason: replay refuses to act on an event a user cannot mean to act on now', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');

  it('names a deadline that has passed, and what the function would do about it', () => {
    expect(staleReason([warning('2026-11-20T14:03:11Z', '2026-11-20T14:05:11Z')], now)).toBe(
      'event e-1 (spot-interruption): its deadline 2026-11-20T14:05:11.000Z passed 12835 min ago, so the function would clean the node up at once (delete its pods)',
    );
  });

  it('names an event dated in the future (a sample)', () => {
    expect(staleReason([warning('2030-01-01T10:00:00Z', '2030-01-01T10:02:00Z')], now)).toBe(
      'event e-1 (spot-interruption) is dated 2030-01-01T10:00:00.000Z, in the future',
    );
  });

  it('lets through a live event, one a few minutes early (clock skew), and one with no deadline', () => {
    expect(staleReason([warning('2026-11-29T11:59:30Z', '2026-11-29T12:01:30Z')], now)).toBeUndefined();
    expect(staleReason([warning('2026-11-29T12:04:00Z', '2026-11-29T12:06:00Z')], now)).toBeUndefined();
    expect(staleReason([warning('2026-11-29T11:00:00Z')], now)).toBeUndefined();
  });
});

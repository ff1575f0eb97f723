import { describe, expect, it } from 'vitest';
import { addSeconds, parseTimestamp } from './time.ts';

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-20T14:03:11Z', '2026-11-20T14:03:11.000Z'],
    ['2026-11-20T09:14:45.2210000Z', '2026-11-20T09:14:45.221Z'],
    ['2026-11-20T09:14:40.0000000+00:00', '2026-11-20T09:14:40.000Z'],
    ['2026-11-20T10:14:40+01:00', '2026-11-20T09:14:40.000Z'],
    ['Fri, 20 Nov 2026 10:00:00 GMT', '2026-11-20T10:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseTimestamp(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '',
    '1',
    '2026-11-20',
    '2026-11-20T14:03:11',
    'Friday',
    'Fri, 20 Nov 2026 10:00:00',
    '2026-13-45T99:99:99Z',
  ])('refuses "%s", which Date.parse might half accept', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});

describe('addSeconds', () => {
  it('adds without touching the original', () => {
    const start = new Date('2026-11-20T14:03:11Z');
    expect(addSeconds(start, 120).toISOString()).toBe('2026-11-20T14:05:11.000Z');
    expect(start.toISOString()).toBe('2026-11-20T14:03:11.000Z');
  });
});

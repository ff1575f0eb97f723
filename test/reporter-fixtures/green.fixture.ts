import { describe, expect, it } from 'vitest';

describe('green', () => {
  it('passes', () => expect(1 + 1).toBe(2));
  it('passes too', () => expect('a').toBe('a'));
  it.skip('is skipped', () => {});
});

import { afterAll, describe, expect, it } from 'vitest';

describe('a suite whose afterAll fails', () => {
  afterAll(() => {
    throw new Error('fixture: afterAll failed');
  });
  it('passes', () => expect(1).toBe(1));
  it('passes too', () => expect(1).toBe(1));
});

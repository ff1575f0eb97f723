import { beforeAll, describe, expect, it } from 'vitest';

it('passes outside the suite', () => expect(1).toBe(1));

describe('a suite whose beforeAll fails', () => {
  beforeAll(() => {
    throw new Error('fixture: beforeAll failed');
  });
  it('never runs', () => expect(1).toBe(1));
  it('never runs either', () => expect(1).toBe(1));
});

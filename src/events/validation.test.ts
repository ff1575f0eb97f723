import { describe, expect, it } from 'vitest';
import * as z from '../zod.ts';
import { validate } from './validation.ts';

const schema = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string() });

describe('validate', () => {
  it('gives the value when it fits', () => {
    expect(validate(z.object({ n: z.number() }), { n: 1, extra: true })).toEqual({
      ok: true,
      value: { n: 1 },
    });
  });

  it('names the whole event when the input is no object', () => {
    expect(validate(schema, null)).toEqual({ ok: false, reason: 'event: expected object, received null' });
  });

  it('prefixes paths with where the input sits, and writes array indices in brackets', () => {
    const items = z.object({ items: z.array(z.object({ id: z.string() })) });
    expect(validate(items, { items: [{ id: 'x' }, {}] }, 'data')).toEqual({
      ok: false,
      reason: 'data.items[1].id: required',
    });
  });

  it('keeps the reason to one line for a badly broken input', () => {
    expect(validate(schema, {})).toEqual({
      ok: false,
      reason: 'a: required; b: required; c: required; and 1 more',
    });
  });
});

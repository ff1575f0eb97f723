import { describe, expect, it } from 'vitest';
import { createAsyncCache } from './async-cache.ts';

describe('createAsyncCache', () => {
  it('loads a key once for concurrent callers, and keeps it', async () => {
    const cache = createAsyncCache<number>();
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return 42;
    };
    expect(await Promise.all([cache.get('a', load), cache.get('a', load), cache.get('a', load)])).toEqual([
      42, 42, 42,
    ]);
    expect(await cache.get('a', load)).toBe(42);
    expect(loads).toBe(1);
    expect(await cache.get('b', load)).toBe(42);
    expect(loads).toBe(2);
  });

  it('does not keep a failed load: the next call tries again', async () => {
    const cache = createAsyncCache<string>();
    let attempt = 0;
    const load = async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('throttled');
      return 'ok';
    };
    await expect(cache.get('k', load)).rejects.toThrow('throttled');
    expect(await cache.get('k', load)).toBe('ok');
    expect(attempt).toBe(2);
  });

  it('forgets everything on clear', async () => {
    const cache = createAsyncCache<number>();
    let loads = 0;
    const load = async () => ++loads;
    await cache.get('a', load);
    cache.clear();
    expect(await cache.get('a', load)).toBe(2);
  });
});

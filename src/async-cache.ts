/**
 * Values loaded once per key and kept across warm invocations (cluster endpoints, secret reads, API
 * clients). Concurrent callers of one key share a single load; a load that rejects is not kept, so the
 * next call tries again. Built on p-memoize.
 */
import pMemoize from 'p-memoize';

/** A keyed cache of async loads. */
export interface AsyncCache<V> {
  /** The value for `key`, from `load` on first use (or after a failed load). Rejects as `load` does. */
  get(key: string, load: () => Promise<V>): Promise<V>;
  /** The values loaded so far (settled or not), for closing them. */
  values(): Promise<V>[];
  clear(): void;
}

/** A new, empty cache. */
export function createAsyncCache<V>(): AsyncCache<V> {
  const results = new Map<string, Awaited<V>>();
  const pending = new Map<string, Promise<V>>();
  const memoized = pMemoize(
    (key: string, load: () => Promise<V>) => {
      const loading = load();
      pending.set(key, loading);
      loading.catch(() => pending.delete(key));
      return loading;
    },
    { cacheKey: ([key]) => key, cache: results },
  );
  return {
    get: (key, load) => memoized(key, load),
    values: () => [...pending.values()],
    clear: () => {
      results.clear();
      pending.clear();
    },
  };
}

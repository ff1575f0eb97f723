import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KubeApiError } from './client.ts';
import { createRequestPacer, DEFAULT_RETRY_AFTER_MS, overloadHoldMs, QUEUED_ANSWER_MS } from './pacing.ts';

const apf = (retryAfter?: string) =>
  new KubeApiError(
    429,
    'Too many requests, please try again later.\n',
    retryAfter === undefined ? {} : { 'retry-after': retryAfter },
    'POST',
    '/api/v1/namespaces/a/pods/p/eviction',
  );
const pdbRefusal = new KubeApiError(
  429,
  JSON.stringify({
    kind: 'Status',
    reason: 'TooManyRequests',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    details: { causes: [{ reason: 'DisruptionBudget', message: 'needs 2 healthy pods' }] },
  }),
  {},
  'POST',
  '/api/v1/namespaces/a/pods/p/eviction',
);
const noAnswer = Object.assign(new Error('GET /api/v1/pods: no answer in 15000 ms'), { code: 'ETIMEDOUT' });

describe('overloadHoldMs', () => {
  it('takes a Priority and Fairness 429 as overload, for its Retry-After or 1 s', () => {
    expect(overloadHoldMs(apf('3'))).toBe(3000);
    expect(overloadHoldMs(apf())).toBe(DEFAULT_RETRY_AFTER_MS);
  });

  it('leaves PodDisruptionBudget refusals and other failures alone; a request with no answer shrinks only', () => {
    expect(overloadHoldMs(pdbRefusal)).toBeUndefined();
    expect(overloadHoldMs(new KubeApiError(404, '{}', {}, 'GET', '/x'))).toBeUndefined();
    expect(overloadHoldMs(new KubeApiError(503, '{}', {}, 'GET', '/x'))).toBeUndefined();
    expect(overloadHoldMs(noAnswer)).toBe(0);
  });
});

/** Requests whose answers the test gives one by one, in the order they were sent. */
function scriptedRequests() {
  const pending: { settle: (error?: unknown) => void }[] = [];
  let started = 0;
  const send = () =>
    new Promise<string>((resolve, reject) => {
      started++;
      pending.push({ settle: (error) => (error ? reject(error) : resolve('ok')) });
    });
  return { send, pending, started: () => started };
}

describe('createRequestPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('on an overload answer, pauses every request for the Retry-After and halves the window', async () => {
    const pacer = createRequestPacer({ maxInFlight: 8, initialInFlight: 8 });
    const requests = scriptedRequests();
    const results = Array.from({ length: 12 }, () => pacer.run(requests.send).catch((error) => error));
    await vi.advanceTimersByTimeAsync(0);
    expect(requests.started()).toBe(8);

    requests.pending.shift()?.settle(apf('2'));
    await vi.advanceTimersByTimeAsync(0);
    expect(pacer.window()).toBe(4);
    // A second rejection of the same burst does not halve again.
    requests.pending.shift()?.settle(apf('2'));
    for (const request of requests.pending.splice(0)) request.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(pacer.window()).toBe(4);
    expect(requests.started()).toBe(8);

    await vi.advanceTimersByTimeAsync(1999);
    expect(requests.started()).toBe(8);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests.started()).toBe(12);
    for (const request of requests.pending.splice(0)) request.settle();
    const settled = await Promise.all(results);
    expect(settled.filter((result) => result === 'ok')).toHaveLength(10);
  });

  it('starts with one request in flight and doubles the window with each window of successes', async () => {
    const pacer = createRequestPacer({ maxInFlight: 6 });
    const requests = scriptedRequests();
    const all = Array.from({ length: 12 }, () => pacer.run(requests.send));
    const inFlight: number[] = [];
    while (requests.started() < 12 || requests.pending.length > 0) {
      await vi.advanceTimersByTimeAsync(0);
      inFlight.push(requests.pending.length);
      for (const request of requests.pending.splice(0)) request.settle();
    }
    await Promise.all(all);
    // 1, 2, 4, then the 5 left (the window is 6, the ceiling, by then).
    expect(inFlight.filter((count) => count > 0)).toEqual([1, 2, 4, 5]);
    expect(pacer.window()).toBe(6);
  });

  it('keeps at most the window in flight, and widens it by one per window of successes', async () => {
    const pacer = createRequestPacer({ maxInFlight: 4, initialInFlight: 4 });
    const requests = scriptedRequests();
    const first = pacer.run(requests.send).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    requests.pending.shift()?.settle(apf('0'));
    await first;
    expect(pacer.window()).toBe(2);

    const batch = Array.from({ length: 6 }, () => pacer.run(requests.send));
    await vi.advanceTimersByTimeAsync(0);
    expect(requests.pending).toHaveLength(2);
    requests.pending.shift()?.settle();
    requests.pending.shift()?.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(pacer.window()).toBe(3);
    expect(requests.pending).toHaveLength(3);
    for (const request of requests.pending.splice(0)) request.settle();
    await vi.advanceTimersByTimeAsync(0);
    for (const request of requests.pending.splice(0)) request.settle();
    await Promise.all(batch);
    expect(pacer.window()).toBe(4);
  });

  it('answers that waited in a queue (over a second) end slow start and do not widen the window', async () => {
    const pacer = createRequestPacer({ maxInFlight: 8 });
    const requests = scriptedRequests();
    const slow = pacer.run(requests.send);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(QUEUED_ANSWER_MS + 1);
    requests.pending.shift()?.settle();
    await slow;
    expect(pacer.window()).toBe(1);
    // Out of slow start: one window of quick answers adds one, not doubles.
    for (let round = 0; round < 3; round++) {
      const batch = Array.from({ length: pacer.window() }, () => pacer.run(requests.send));
      await vi.advanceTimersByTimeAsync(0);
      for (const request of requests.pending.splice(0)) request.settle();
      await Promise.all(batch);
    }
    expect(pacer.window()).toBe(4);
  });

  it('a PodDisruptionBudget refusal neither pauses nor shrinks', async () => {
    const pacer = createRequestPacer({ maxInFlight: 4, initialInFlight: 4 });
    const requests = scriptedRequests();
    const refused = pacer.run(requests.send).catch((error) => error);
    await vi.advanceTimersByTimeAsync(0);
    requests.pending.shift()?.settle(pdbRefusal);
    expect(await refused).toBe(pdbRefusal);
    const next = pacer.run(requests.send);
    await vi.advanceTimersByTimeAsync(0);
    expect(pacer.window()).toBe(4);
    expect(requests.started()).toBe(2);
    requests.pending.shift()?.settle();
    await expect(next).resolves.toBe('ok');
  });
});

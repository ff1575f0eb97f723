import { describe, expect, it } from 'vitest';
import { FORBIDDEN_GRACE_MS } from '../kube/errors.ts';
import { runAttempts, withAttempts } from './attempts.ts';
import { createBudget } from './budget.ts';

const api = (code: number, headers: Record<string, string> = {}) => ({ code, body: '', headers });
const fast = { backoff: { initialMs: 1, maxMs: 2 } };

/** A call failing with `errors` in turn, then resolving with 'ok'. */
function failing(...errors: unknown[]) {
  let calls = 0;
  const call = async () => {
    const error = errors[calls++];
    if (error !== undefined) throw error;
    return 'ok';
  };
  return { call, calls: () => calls };
}

describe('withAttempts', () => {
  it('retries transient and throttled failures, and resolves with the value', async () => {
    const flaky = failing(api(503), api(429, { 'retry-after': '0' }), { code: 'ECONNRESET' });
    await expect(withAttempts(createBudget({}), flaky.call, fast)).resolves.toBe('ok');
    expect(flaky.calls()).toBe(4);
  });

  it('rejects at once, with the error unchanged, on gone, conflict and permanent failures', async () => {
    for (const error of [api(404), api(409), api(400), new Error('boom')]) {
      const refused = failing(error, error);
      await expect(withAttempts(createBudget({}), refused.call, fast)).rejects.toBe(error);
      expect(refused.calls()).toBe(1);
    }
  });

  it('makes the first call even with no time left, and stops when the budget cannot afford the next wait', async () => {
    const expired = createBudget({ deadline: new Date(Date.now() - 1) });
    const down = failing(api(503), api(503));
    const outcome = await runAttempts(expired, down.call, fast);
    expect(outcome).toMatchObject({ ok: false, stoppedBy: 'budget', attempts: 1 });
    // 100 ms left, and the server asks for 1 s: not worth waiting for.
    const short = createBudget({ remainingTimeMs: () => 2100, functionReserveMs: 2000 });
    const throttled = failing(api(429, { 'retry-after': '1' }), api(429));
    const started = Date.now();
    await expect(runAttempts(short, throttled.call, fast)).resolves.toMatchObject({
      ok: false,
      stoppedBy: 'budget',
      attempts: 1,
      classification: { class: 'throttled', retryAfterMs: 1000 },
    });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('never retries before Retry-After, however short the backoff', async () => {
    const at: number[] = [];
    let calls = 0;
    const call = async () => {
      at.push(Date.now());
      if (calls++ === 0) throw api(429, { 'retry-after': '0.3' });
      return 'ok';
    };
    await expect(withAttempts(createBudget({}), call, fast)).resolves.toBe('ok');
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(290);
  });

  it('retries a 403 until refusals have lasted FORBIDDEN_GRACE_MS, and a 401 not at all', async () => {
    let clock = 0;
    const budget = createBudget({ clock: () => clock });
    let calls = 0;
    const forbidden = async () => {
      calls++;
      clock += 2000;
      throw api(403);
    };
    const outcome = await runAttempts(budget, forbidden, fast);
    expect(outcome).toMatchObject({ ok: false, stoppedBy: 'refused' });
    // Refusals seen at 2, 4, 6 and 8 s: the 4th comes 6 s after the first, past the 5 s grace.
    expect(FORBIDDEN_GRACE_MS).toBe(5000);
    expect(calls).toBe(4);
    const settles = failing(api(403), api(403));
    await expect(withAttempts(createBudget({}), settles.call, fast)).resolves.toBe('ok');
    const unauthorized = failing(api(401), api(401));
    await expect(withAttempts(createBudget({}), unauthorized.call, fast)).rejects.toMatchObject({
      code: 401,
    });
    expect(unauthorized.calls()).toBe(1);
  });

  it('lets the caller decide: retry a class the default refuses, at once or with a shorter wait', async () => {
    const conflicted = failing(api(409), api(409));
    const decisions: string[] = [];
    const value = await withAttempts(createBudget({ deadline: new Date(Date.now() - 1) }), conflicted.call, {
      ...fast,
      decide: ({ classification, attempt }) => {
        decisions.push(`${attempt}:${classification.class}`);
        return { retry: classification.class === 'conflict', immediate: true };
      },
    });
    expect(value).toBe('ok');
    expect(decisions).toEqual(['1:conflict', '2:conflict']);
    const throttled = failing(api(429, { 'retry-after': '5' }));
    const started = Date.now();
    await expect(
      withAttempts(createBudget({}), throttled.call, {
        ...fast,
        decide: () => ({ retry: true, maxDelayMs: 10 }),
      }),
    ).resolves.toBe('ok');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('classifies with the hook it is given', async () => {
    const sdkThrottled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { classifyAwsError } = await import('../providers/aws/errors.ts');
    const once = failing(sdkThrottled);
    await expect(
      withAttempts(createBudget({}), once.call, { ...fast, classify: classifyAwsError }),
    ).resolves.toBe('ok');
    const refused = failing(sdkThrottled);
    await expect(withAttempts(createBudget({}), refused.call, fast)).rejects.toBe(sdkThrottled);
  });
});

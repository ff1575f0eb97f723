/** Waiting and timing helpers shared by the benchmarks. */
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Polls `probe` until it returns a truthy value, and returns it; throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${reason}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** Milliseconds since `start`, rounded to 0.1 ms. */
export function since(start: number, now = Date.now()): number {
  return round(now - start);
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Progress lines on stderr, so stdout stays clean. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

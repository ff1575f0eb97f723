import { describe, expect, it } from 'vitest';
import type { Interruption } from '../events/interruption.ts';
import type { Logger } from '../logging.ts';
import { drainReport } from '../notify/report.fixture.ts';
import type { DeadLetterAbout, DeadLetterQueue } from '../providers/provider.ts';
import { CONTINUATION_TYPE, type ContinuationMessage, parseContinuation } from './continuation.ts';
import {
  continuationVerdict,
  DEAD_LETTER_REASON_MAX_CHARS,
  deadLetter,
  settleContinuation,
} from './dead-letter.ts';
import type { DeliveryOutcome, InterruptionResult } from './results.ts';

const interruption: Interruption = {
  cloud: 'aws',
  kind: 'spot-interruption',
  eventId: 'evt-7',
  machine: { cloud: 'aws', instanceId: 'i-0a1b2c3d4e5f60718' },
  action: 'drain',
  deadline: new Date('2030-01-01T10:02:00Z'),
  eventTime: new Date('2030-01-01T10:00:00Z'),
  details: {},
};
const message: ContinuationMessage = {
  type: CONTINUATION_TYPE,
  version: 1,
  chain: { id: 'chain-a', invocation: 3, startedAt: new Date('2030-01-01T10:00:01Z'), markedByChain: true },
  interruption,
};

const failed = (reason: string, retryable: boolean): InterruptionResult => ({
  status: 'failed',
  interruption,
  reason,
  retryable,
  cloudActions: [],
});
const handled = (retryable: boolean, outcome: 'completed' | 'partial' | 'failed'): InterruptionResult => ({
  status: 'handled',
  interruption,
  cluster: 'c',
  report: drainReport({ node: 'n1', retryable, outcome }),
  cloudActions: [],
});
const skipped: InterruptionResult = { status: 'skipped', interruption, reason: 'held', cloudActions: [] };

describe('continuationVerdict', () => {
  const first = { count: 1, max: 3 };
  const last = { count: 3, max: 3 };
  it.each([
    ['a finished chain', [handled(false, 'completed')], first, 'acknowledge'],
    ['a chain that ended failed, with its report', [handled(false, 'failed')], last, 'acknowledge'],
    ['a continuation left to another chain', [skipped], last, 'acknowledge'],
    ['a transient failure with deliveries left', [failed('node resolution: 503', true)], first, 'retry'],
    ['a drain cut short with deliveries left', [handled(true, 'partial')], { count: 2, max: 3 }, 'retry'],
    ['a transient failure on the last delivery', [failed('node resolution: 503', true)], last, 'dead-letter'],
    [
      'a refusal no retry fixes, on the first delivery',
      [failed('cluster access: 404', false)],
      first,
      'dead-letter',
    ],
    // The queue may count past its maximum (SQS counts are approximate): still the last.
    ['a delivery past the maximum', [failed('x', true)], { count: 5, max: 3 }, 'dead-letter'],
  ] as const)('%s → %s', (_name, results, delivery, action) => {
    expect(continuationVerdict(results, delivery).action).toBe(action);
  });

  it('says why, and whether retries were spent or refused', () => {
    expect(
      continuationVerdict([failed('node resolution: 503 unavailable', true)], { count: 3, max: 3 }),
    ).toEqual({
      action: 'dead-letter',
      reason: 'node resolution: 503 unavailable (delivery 3 of 3)',
      exhausted: true,
    });
    expect(
      continuationVerdict([failed('cluster access: No cluster found', false)], { count: 1, max: 3 }),
    ).toEqual({
      action: 'dead-letter',
      reason: 'cluster access: No cluster found',
      exhausted: false,
    });
    expect(continuationVerdict([failed('503', true)], { count: 1, max: 3 })).toEqual({
      action: 'retry',
      reasons: ['503'],
    });
  });
});

describe('dead letters', () => {
  const failedAt = new Date('2030-01-01T10:01:00Z');

  it('carry the reason, the deliveries, the chain and the continuation as received', () => {
    const letter = deadLetter(message, { reason: 'gone', exhausted: false }, 1, failedAt);
    expect(letter).toEqual({
      type: 'spot-drainer.dead-letter',
      version: 1,
      reason: 'gone',
      retriesExhausted: false,
      failedAt: '2030-01-01T10:01:00.000Z',
      deliveries: 1,
      chain: 'chain-a',
      invocation: 3,
      eventId: 'evt-7',
      continuation: message,
    });
  });

  it('cut a huge reason', () => {
    const letter = deadLetter(message, { reason: 'x'.repeat(100_000), exhausted: true }, 3, failedAt);
    expect(letter.reason).toHaveLength(DEAD_LETTER_REASON_MAX_CHARS);
  });

  it('run again when sent back to the continuation queue', () => {
    const text = JSON.stringify(deadLetter(message, { reason: 'gone', exhausted: false }, 1, failedAt));
    expect(parseContinuation(text)).toEqual({ ok: true, message });
    expect(parseContinuation(JSON.parse(text))).toEqual({ ok: true, message });
  });

  it('without a continuation inside are refused like any foreign message', () => {
    expect(parseContinuation({ type: 'spot-drainer.dead-letter', reason: 'x' }).ok).toBe(false);
  });
});

describe('settleContinuation', () => {
  const logged: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = {
    debug: (m, f) => logged.push({ level: 'debug', message: m, fields: f }),
    info: (m, f) => logged.push({ level: 'info', message: m, fields: f }),
    warn: (m, f) => logged.push({ level: 'warn', message: m, fields: f }),
    error: (m, f) => logged.push({ level: 'error', message: m, fields: f }),
  };
  const outcome = (...results: InterruptionResult[]): DeliveryOutcome => ({ status: 'processed', results });
  function queue(refuse = false) {
    const sent: Array<{ body: string; about: DeadLetterAbout }> = [];
    const deadLetters: DeadLetterQueue = {
      kind: 'test queue',
      async send(body, about) {
        if (refuse) throw new Error('AccessDenied');
        sent.push({ body, about });
      },
    };
    return { sent, deadLetters };
  }
  const clock = () => Date.parse('2030-01-01T10:01:00Z');

  it('sends a continuation refused for good to the dead-letter queue with its reason, and acknowledges it', async () => {
    const { sent, deadLetters } = queue();
    const settled = await settleContinuation(message, outcome(failed('cluster access: gone', false)), {
      delivery: { count: 1, max: 3 },
      deadLetters,
      logger,
      clock,
    });
    expect(settled).toBe('acknowledged');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.about).toEqual({
      reason: 'cluster access: gone',
      chain: 'chain-a',
      invocation: 3,
      deliveries: 1,
    });
    expect(JSON.parse(sent[0]!.body)).toMatchObject({
      type: 'spot-drainer.dead-letter',
      reason: 'cluster access: gone',
      retriesExhausted: false,
      failedAt: '2030-01-01T10:01:00.000Z',
      continuation: { chain: { id: 'chain-a' } },
    });
  });

  it('retries a transient failure with deliveries left, sending nothing', async () => {
    const { sent, deadLetters } = queue();
    const settled = await settleContinuation(message, outcome(failed('503', true)), {
      delivery: { count: 2, max: 3 },
      deadLetters,
      logger,
    });
    expect(settled).toBe('retry');
    expect(sent).toEqual([]);
  });

  it('dead-letters a transient failure on the last delivery', async () => {
    const { sent, deadLetters } = queue();
    const settled = await settleContinuation(message, outcome(failed('503', true)), {
      delivery: { count: 3, max: 3 },
      deadLetters,
      logger,
    });
    expect(settled).toBe('acknowledged');
    expect(sent.map((letter) => JSON.parse(letter.body).retriesExhausted)).toEqual([true]);
  });

  it('leaves the message to the queue when the dead letter is refused', async () => {
    logged.length = 0;
    const { deadLetters } = queue(true);
    const settled = await settleContinuation(message, outcome(failed('gone', false)), {
      delivery: { count: 1, max: 3 },
      deadLetters,
      logger,
    });
    expect(settled).toBe('retry');
    expect(logged.filter((entry) => entry.level === 'error').map((entry) => entry.fields?.error)).toEqual([
      'AccessDenied',
    ]);
  });

  it('without a dead-letter queue: a spent message is left to the redrive, a refused one acknowledged', async () => {
    const options = { delivery: { count: 3, max: 3 }, logger };
    expect(await settleContinuation(message, outcome(failed('503', true)), options)).toBe('retry');
    expect(await settleContinuation(message, outcome(failed('gone', false)), options)).toBe('acknowledged');
  });

  it('acknowledges a finished chain without a word', async () => {
    logged.length = 0;
    const { sent, deadLetters } = queue();
    const settled = await settleContinuation(message, outcome(handled(false, 'completed')), {
      delivery: { count: 1, max: 3 },
      deadLetters,
      logger,
    });
    expect(settled).toBe('acknowledged');
    expect(sent).toEqual([]);
    expect(logged).toEqual([]);
  });
});

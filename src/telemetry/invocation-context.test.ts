import { InvocationContext, type LogLevel } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { drainReport } from '../notify/report.fixture.ts';
import {
  type InvocationLogSink,
  invocationContextLogger,
  invocationContextMetrics,
} from './invocation-context.ts';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzcG90LWRyYWluZXIifQ.c2lnbmF0dXJlLXBhcnQ';

/** A real InvocationContext of @azure/functions, its log calls recorded. */
function recordingContext(): {
  context: InvocationContext;
  calls: Array<{ level: LogLevel; args: unknown[] }>;
} {
  const calls: Array<{ level: LogLevel; args: unknown[] }> = [];
  const context = new InvocationContext({ logHandler: (level, ...args) => calls.push({ level, args }) });
  return { context, calls };
}

describe('invocationContextLogger', () => {
  it('writes one JSON string per entry at the matching level, redacted', () => {
    const { context, calls } = recordingContext();
    const logger = invocationContextLogger(context, { level: 'debug' });

    logger.debug('token read', { accessToken: JWT });
    logger.info('cordoned', { node: 'aks-spot-1', attempt: 1 });
    logger.warn(`refused with Bearer ${JWT}`);
    logger.error('failed', { error: new Error('boom') });

    expect(calls.map((call) => call.level)).toEqual(['debug', 'information', 'warning', 'error']);
    expect(calls.every((call) => call.args.length === 1 && typeof call.args[0] === 'string')).toBe(true);
    const lines = calls.map((call) => JSON.parse(call.args[0] as string));
    expect(lines).toEqual([
      { level: 'debug', message: 'token read', accessToken: '[REDACTED]' },
      { level: 'info', message: 'cordoned', node: 'aks-spot-1', attempt: 1 },
      { level: 'warn', message: 'refused with Bearer [REDACTED]' },
      { level: 'error', message: 'failed', error: { name: 'Error', message: 'boom' } },
    ]);
    expect(JSON.stringify(calls)).not.toContain('eyJ');
  });

  it('drops entries below its level', () => {
    const { context, calls } = recordingContext();
    const logger = invocationContextLogger(context);

    logger.debug('hidden');
    logger.info('shown');

    expect(calls).toHaveLength(1);
  });

  it('falls back to log() on a context without debug and info', () => {
    const lines: string[] = [];
    const sink: InvocationLogSink = {
      log: (line) => lines.push(`log ${line}`),
      warn: (line) => lines.push(`warn ${line}`),
      error: (line) => lines.push(`error ${line}`),
    };
    const logger = invocationContextLogger(sink, { level: 'debug' });

    logger.debug('d');
    logger.info('i');

    expect(lines).toEqual(['log {"level":"debug","message":"d"}', 'log {"level":"info","message":"i"}']);
  });
});

describe('invocationContextMetrics', () => {
  it('writes each point as a structured line when flushed', () => {
    const { context, calls } = recordingContext();
    const metrics = invocationContextMetrics(context);

    metrics.record(drainReport({ cloud: 'azure', kind: 'resource-annotated' }), {
      dimensions: { cluster: 'aks-prod' },
    });
    expect(calls).toEqual([]);
    metrics.flush();
    metrics.flush();

    const lines = calls.map((call) => JSON.parse(call.args[0] as string));
    expect(lines).toHaveLength(8);
    expect(lines[0]).toEqual({
      metric: 'Interruptions',
      value: 1,
      unit: 'Count',
      dimensions: { cluster: 'aks-prod', cloud: 'azure', kind: 'resource-annotated', outcome: 'completed' },
    });
    expect(lines).toContainEqual({
      metric: 'DrainDuration',
      value: 31250,
      unit: 'Milliseconds',
      dimensions: { cluster: 'aks-prod', cloud: 'azure', kind: 'resource-annotated' },
    });
    expect(calls.every((call) => call.level === 'information')).toBe(true);
  });
});

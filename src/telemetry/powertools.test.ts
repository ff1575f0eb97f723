import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blockedPod, drainReport, missedDeadlineReport } from '../notify/report.fixture.ts';
import { powertoolsLogger, powertoolsMetrics } from './powertools.ts';

const EKS_TOKEN = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20v';

let output: string[];

beforeEach(() => {
  output = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function jsonLines(): Array<Record<string, unknown>> {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

describe('powertoolsMetrics', () => {
  it('writes one EMF document per set of dimensions when flushed', () => {
    const metrics = powertoolsMetrics({ namespace: 'SpotDrainerTest', serviceName: 'spot-drainer' });

    metrics.record(missedDeadlineReport([blockedPod('shop', 'cart-0')]));
    expect(jsonLines()).toEqual([]);
    metrics.flush();

    const documents = jsonLines() as unknown as EmfDocument[];
    const interruptions = documents.find((doc) => doc.Interruptions !== undefined)!;
    expect(interruptions).toMatchObject({
      Interruptions: 1,
      cloud: 'aws',
      kind: 'spot-interruption',
      outcome: 'partial',
      service: 'spot-drainer',
    });
    expect(interruptions._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'SpotDrainerTest',
      Dimensions: [expect.arrayContaining(['cloud', 'kind', 'outcome'])],
      Metrics: [{ Name: 'Interruptions', Unit: 'Count' }],
    });

    const timings = documents.find((doc) => doc.DrainDuration !== undefined)!;
    expect(timings).toMatchObject({ TimeToCordon: 85, DrainDuration: 31250, DeadlinesMissed: 1 });
    const blocked = documents.find((doc) => doc.result === 'blocked')!;
    expect(blocked).toMatchObject({ Evictions: 1 });
    expect(documents).toHaveLength(6); // interruptions, timings, 4 eviction results
  });

  it('writes nothing when nothing was recorded, and each report once', () => {
    const metrics = powertoolsMetrics({ namespace: 'SpotDrainerTest' });

    metrics.flush();
    expect(jsonLines()).toEqual([]);

    metrics.record(drainReport());
    metrics.flush();
    metrics.flush();
    expect(jsonLines().filter((doc) => doc.Interruptions !== undefined)).toHaveLength(1);
  });

  it('writes the values of two reports with the same dimensions together', () => {
    const metrics = powertoolsMetrics({ namespace: 'SpotDrainerTest' });

    metrics.record(drainReport());
    metrics.record(drainReport({ eventId: 'evt-2', timings: { cordonMs: 40, totalMs: 1000 } }));
    metrics.flush();

    const timings = jsonLines().find((doc) => doc.DrainDuration !== undefined);
    expect(timings?.DrainDuration).toEqual([31250, 1000]);
  });
});

describe('powertoolsLogger', () => {
  it('logs JSON through Powertools with tokens redacted', () => {
    const logger = powertoolsLogger('spot-drainer', { logLevel: 'debug' });

    logger.debug('presigned', { token: EKS_TOKEN });
    logger.info(`calling with Bearer ${EKS_TOKEN}`, { node: 'n1' });
    logger.error('failed', { error: new Error(`bad token ${EKS_TOKEN}`) });

    expect(output.join('')).not.toContain('aHR0cHM6Ly9');
    const lines = jsonLines();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 'DEBUG',
      message: 'presigned',
      service: 'spot-drainer',
      token: '[REDACTED]',
    });
    expect(lines[1]).toMatchObject({ level: 'INFO', message: 'calling with Bearer [REDACTED]', node: 'n1' });
  });

  it('respects the log level', () => {
    const logger = powertoolsLogger('spot-drainer', { logLevel: 'warn' });

    logger.info('hidden');
    logger.warn('shown');

    expect(jsonLines().map((line) => line.message)).toEqual(['shown']);
  });
});

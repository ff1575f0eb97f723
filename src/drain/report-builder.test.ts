import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Interruption } from '../events/interruption.ts';
import type { PlannedPod } from './plan.ts';
import { DrainReportBuilder } from './report-builder.ts';

const started = Date.parse('2026-11-22T10:00:00Z');
const interruption: Interruption = {
  cloud: 'aws',
  kind: 'spot-interruption',
  eventId: 'evt-1',
  machine: { cloud: 'aws', instanceId: 'i-0123456789abcdef0' },
  action: 'drain',
  deadline: new Date(started + 120_000),
  eventTime: new Date(started),
  details: {},
};
const node: V1Node = { metadata: { name: 'ip-10-0-0-1' }, spec: { providerID: 'aws:///eu-west-1a/i-0123' } };

const pod = (name: string, disposition: PlannedPod['disposition'], critical = false): PlannedPod => ({
  pod: { metadata: { name, namespace: 'apps', uid: `uid-${name}` } },
  namespace: 'apps',
  name,
  uid: `uid-${name}`,
  disposition,
  critical,
});

function builder(options: { dryRun?: boolean } = {}) {
  let clock = started;
  let requests = 7;
  const report = new DrainReportBuilder({
    node,
    interruption,
    dryRun: options.dryRun ?? false,
    started,
    clock: () => clock,
    deadline: interruption.deadline!.getTime(),
    requestCount: () => requests,
  });
  return {
    report,
    advance: (ms: number) => {
      clock += ms;
    },
    request: () => requests++,
  };
}

describe('DrainReportBuilder', () => {
  it('reports a drain as it goes: cordon, plan, results, waiting, conclusion', () => {
    const { report, advance, request } = builder();
    advance(40);
    request();
    report.cordoned({ ...node, spec: { ...node.spec, unschedulable: true } }, true);
    const toAct = report.planned(
      [pod('a', 'evict'), pod('b', 'evict'), pod('ds', 'skip-daemonset'), pod('old', 'already-terminating')],
      false,
    );
    expect(toAct.map((p) => p.name)).toEqual(['a', 'b']);
    expect(report.acting).toBe(2);
    advance(60);
    report.podResult(toAct[0]!, {
      outcome: 'evicted',
      attempts: 1,
      gracePeriodSeconds: 30,
      acceptedAt: started + 100,
    });
    report.podResult(toAct[1]!, { outcome: 'gone', attempts: 2 });
    expect([report.accepted, report.blocked]).toEqual([2, 0]);
    expect(report.leaving()).toEqual(new Set(['uid-a', 'uid-old']));
    report.podsLeft(1);
    advance(400);
    report.podsLeft(0);
    const counts = report.conclude(false);
    expect(counts).toMatchObject({
      pods: 4,
      evictable: 3,
      evicted: 1,
      gone: 1,
      skipped: 1,
      stillTerminating: 0,
    });
    expect(report.build()).toMatchObject({
      node: 'ip-10-0-0-1',
      providerId: 'aws:///eu-west-1a/i-0123',
      outcome: 'completed',
      deadlineMet: true,
      markedByThisInvocation: true,
      retryable: false,
      startedAt: '2026-11-22T10:00:00.000Z',
      deadline: '2026-11-22T10:02:00.000Z',
      timings: { cordonMs: 40, lastEvictionAcceptedMs: 100, emptyMs: 500, totalMs: 500 },
      apiRequests: 1,
      errors: [],
    });
    expect(report.build().pods.find((p) => p.name === 'a')).toMatchObject({
      outcome: 'evicted',
      attempts: 1,
      acceptedAfterMs: 100,
    });
  });

  it('is partial and retryable when time ran out before the deadline, and lists the pods errors', () => {
    const { report } = builder();
    const [a, b] = report.planned([pod('a', 'evict'), pod('b', 'evict')], false);
    report.podResult(a!, { outcome: 'blocked-by-pdb', attempts: 9, error: 'disruption budget' });
    report.podResult(b!, { outcome: 'timed-out', attempts: 3, error: 'ECONNRESET' });
    report.conclude(false);
    const built = report.build();
    expect(built).toMatchObject({ outcome: 'partial', retryable: true, deadlineMet: false });
    expect(built.errors).toEqual(['apps/a: disruption budget', 'apps/b: ECONNRESET']);
    expect(report.blocked).toBe(1);
  });

  it('is not retryable once a pod was refused for good, or the deadline has passed', () => {
    const refused = builder();
    const [a] = refused.report.planned([pod('a', 'evict')], false);
    refused.report.podResult(a!, { outcome: 'failed', attempts: 1, error: 'forbidden' });
    refused.report.conclude(true);
    expect(refused.report.build()).toMatchObject({ outcome: 'partial', retryable: false });
    const late = builder();
    const [b] = late.report.planned([pod('b', 'evict')], false);
    late.report.podResult(b!, { outcome: 'blocked-by-pdb', attempts: 4 });
    late.advance(121_000);
    late.report.conclude(true);
    expect(late.report.build()).toMatchObject({ outcome: 'partial', retryable: false });
  });

  it('records a failed step, and plans without acting in a dry run', () => {
    const { report } = builder();
    report.failed('cordon', 'the server is down', true);
    expect(report.build()).toMatchObject({
      outcome: 'failed',
      retryable: true,
      deadlineMet: false,
      errors: ['cordon: the server is down'],
    });
    const dry = builder({ dryRun: true }).report;
    dry.planned([pod('a', 'evict'), pod('m', 'skip-mirror')], true);
    expect(dry.build().pods.map((p) => p.outcome)).toEqual(['planned', 'skipped']);
  });
});

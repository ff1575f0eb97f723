import { describe, expect, it } from 'vitest';
import { blockedPod, drainReport, missedDeadlineReport } from '../notify/report.fixture.ts';
import { groupByDimensions, type MetricPoint, metricPoints } from './metrics.ts';

const dims = { cloud: 'aws', kind: 'spot-interruption' };

describe('metricPoints', () => {
  it('measures a drain that met its deadline', () => {
    expect(metricPoints(drainReport())).toEqual<MetricPoint[]>([
      { name: 'Interruptions', value: 1, unit: 'Count', dimensions: { ...dims, outcome: 'completed' } },
      { name: 'TimeToCordon', value: 85, unit: 'Milliseconds', dimensions: dims },
      { name: 'DrainDuration', value: 31250, unit: 'Milliseconds', dimensions: dims },
      { name: 'Evictions', value: 14, unit: 'Count', dimensions: { ...dims, result: 'evicted' } },
      { name: 'Evictions', value: 0, unit: 'Count', dimensions: { ...dims, result: 'deleted' } },
      { name: 'Evictions', value: 0, unit: 'Count', dimensions: { ...dims, result: 'blocked' } },
      { name: 'Evictions', value: 0, unit: 'Count', dimensions: { ...dims, result: 'failed' } },
      { name: 'DeadlinesMissed', value: 0, unit: 'Count', dimensions: dims },
    ]);
  });

  it('counts blocked pods and the missed deadline', () => {
    const points = metricPoints(missedDeadlineReport([blockedPod('a', 'p1'), blockedPod('a', 'p2')]));

    expect(points).toContainEqual({
      name: 'Evictions',
      value: 2,
      unit: 'Count',
      dimensions: { ...dims, result: 'blocked' },
    });
    expect(points).toContainEqual({ name: 'DeadlinesMissed', value: 1, unit: 'Count', dimensions: dims });
    expect(points[0]?.dimensions.outcome).toBe('partial');
  });

  it('counts failed and timed-out evictions together as failed', () => {
    const base = drainReport();
    const points = metricPoints(drainReport({ counts: { ...base.counts, failed: 1, timedOut: 2 } }));
    expect(points.find((point) => point.dimensions.result === 'failed')?.value).toBe(3);
  });

  it('leaves out what the report does not have', () => {
    const report = drainReport({ deadline: undefined, timings: { totalMs: 40 } });
    const names = metricPoints(report).map((point) => point.name);

    expect(names).not.toContain('TimeToCordon');
    expect(names).not.toContain('DeadlinesMissed');
  });

  it('adds extra dimensions without letting them replace its own', () => {
    const [interruptions] = metricPoints(drainReport(), { dimensions: { cluster: 'prod', kind: 'spoofed' } });
    expect(interruptions?.dimensions).toEqual({ cluster: 'prod', ...dims, outcome: 'completed' });
  });
});

describe('groupByDimensions', () => {
  it('puts points with the same dimensions together, whatever their order', () => {
    const point = (name: MetricPoint['name'], dimensions: Record<string, string>): MetricPoint => ({
      name,
      value: 1,
      unit: 'Count',
      dimensions,
    });
    const groups = groupByDimensions([
      point('Interruptions', { a: '1', b: '2' }),
      point('DrainDuration', { b: '2', a: '1' }),
      point('Evictions', { a: '1' }),
    ]);

    expect(groups.map((group) => group.map((p) => p.name))).toEqual([
      ['Interruptions', 'DrainDuration'],
      ['Evictions'],
    ]);
  });
});

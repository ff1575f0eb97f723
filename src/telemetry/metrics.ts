/**
 * What spot-drainer measures about each drain. Handlers record every DrainReport and flush before the
 * invocation ends; powertools.ts (AWS, CloudWatch EMF) and invocation-context.ts (Azure, log lines)
 * write the points.
 *
 * Counted per handled delivery: a retried or duplicated event is recorded once per invocation that
 * handled it.
 */
import type { DrainReport } from '../drain/report.ts';

/** Units as CloudWatch spells them; durations are always in ms. */
export type MetricUnit = 'Count' | 'Milliseconds';

/** The metrics of a drain; each name's comment says its unit and dimensions. */
export type MetricName =
  | 'Interruptions' // 1 per report; dimensions cloud, kind, outcome
  | 'TimeToCordon' // ms from the start of the drain until the cordon was in place
  | 'DrainDuration' // ms the whole drain took
  | 'Evictions' // pods by result: evicted, deleted, blocked, failed
  | 'DeadlinesMissed'; // 1 when the event set a deadline and it was missed, 0 when it was met

/** Dimension name → value. Every distinct set is a separate CloudWatch metric, so values must be few. */
export type Dimensions = Record<string, string>;

/** One value of one metric, with its unit and dimensions (always `cloud` and `kind`). */
export interface MetricPoint {
  name: MetricName;
  value: number;
  unit: MetricUnit;
  dimensions: Dimensions;
}

/** What a handler adds to the report's own dimensions. */
export interface MetricExtras {
  /** Added to every point of the report (e.g. `{ cluster }`). Keep their values few. */
  dimensions?: Dimensions;
}

/** Where a handler records its reports' metrics; an implementation buffers them until `flush`. */
export interface DrainMetrics {
  record(report: DrainReport, extra?: MetricExtras): void;
  /** Writes what was recorded. Call once before the invocation returns, also when it fails. */
  flush(): void;
}

/** The values of the `result` dimension of the Evictions metric, one point each per report. */
export const EVICTION_RESULTS = ['evicted', 'deleted', 'blocked', 'failed'] as const;

/**
 * The points of one report: Interruptions (by outcome), TimeToCordon (ms, when the node was cordoned),
 * DrainDuration (ms), Evictions (one point per result; a timed-out eviction counts as failed) and
 * DeadlinesMissed (only when the interruption set a deadline).
 */
export function metricPoints(report: DrainReport, extra: MetricExtras = {}): MetricPoint[] {
  const base: Dimensions = { ...extra.dimensions, cloud: report.cloud, kind: report.kind };
  const point = (name: MetricName, value: number, unit: MetricUnit, dimensions = base): MetricPoint => ({
    name,
    value,
    unit,
    dimensions,
  });
  const { counts, timings } = report;
  const evictions: Record<(typeof EVICTION_RESULTS)[number], number> = {
    evicted: counts.evicted,
    deleted: counts.deleted,
    blocked: counts.blockedByPdb,
    failed: counts.failed + counts.timedOut,
  };

  const points = [point('Interruptions', 1, 'Count', { ...base, outcome: report.outcome })];
  if (timings.cordonMs !== undefined) points.push(point('TimeToCordon', timings.cordonMs, 'Milliseconds'));
  points.push(point('DrainDuration', timings.totalMs, 'Milliseconds'));
  for (const result of EVICTION_RESULTS) {
    points.push(point('Evictions', evictions[result], 'Count', { ...base, result }));
  }
  if (report.deadline !== undefined)
    points.push(point('DeadlinesMissed', report.deadlineMet ? 0 : 1, 'Count'));
  return points;
}

/** Points grouped by identical dimensions, as one EMF document (or log line batch) per group. */
export function groupByDimensions(points: readonly MetricPoint[]): MetricPoint[][] {
  const groups = new Map<string, MetricPoint[]>();
  for (const point of points) {
    const key = JSON.stringify(Object.entries(point.dimensions).sort(([a], [b]) => a.localeCompare(b)));
    const group = groups.get(key);
    if (group) group.push(point);
    else groups.set(key, [point]);
  }
  return [...groups.values()];
}

/** DrainMetrics that record nothing, for callers that do not measure. */
export const noopMetrics: DrainMetrics = { record() {}, flush() {} };

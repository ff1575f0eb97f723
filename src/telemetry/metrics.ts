/**
 * What spot-drainer measures about each drain, declared once: METRICS and DIMENSIONS below are what
 * metricPoints writes, what docs/metrics.md is generated from (scripts/metrics-doc.ts), and what the
 * tests hold the deployment templates' alarms, dashboard and workbook to. Handlers record every
 * DrainReport and flush before the invocation ends; powertools.ts (AWS, CloudWatch EMF) and
 * invocation-context.ts (Azure, log lines in Application Insights) write the points.
 *
 * Counted per handled delivery: a retried or duplicated event is recorded once per invocation that
 * handled it.
 */
import type { DrainOutcome, DrainReport } from '../drain/report.ts';

/** Units as CloudWatch spells them; durations are always in ms. */
export type MetricUnit = 'Count' | 'Milliseconds';

/** One metric: its unit, its own dimensions besides the common ones, and what a value means. */
export interface MetricDefinition {
  unit: MetricUnit;
  /** Dimensions of this metric only, on top of COMMON_DIMENSIONS. */
  dimensions: readonly DimensionName[];
  /** What one value is. */
  meaning: string;
  /** Which reports write it: every one, or the condition. */
  writtenFor: string;
}

/** The values of the `result` dimension of the Evictions metric, one point each per report. */
export const EVICTION_RESULTS = ['evicted', 'deleted', 'blocked', 'failed'] as const;

/** Every DrainOutcome, the values of the `outcome` dimension of Interruptions. */
export const DRAIN_OUTCOMES = [
  'completed',
  'partial',
  'failed',
  'dry-run',
] as const satisfies readonly DrainOutcome[];
// Fails to compile when DrainOutcome gains a value that DRAIN_OUTCOMES does not list.
const everyOutcomeListed: [Exclude<DrainOutcome, (typeof DRAIN_OUTCOMES)[number]>] extends [never]
  ? true
  : false = true;
void everyOutcomeListed;

/** One dimension: what its value is and, when there are few, every value it takes. */
export interface DimensionDefinition {
  meaning: string;
  values?: readonly string[];
}

/**
 * Every dimension a point can carry. Every distinct set of values is a separate CloudWatch metric, so
 * each one has few values. `cluster` is added by the entry points (src/pipeline/report-sink.ts).
 */
export const DIMENSIONS = {
  cluster: {
    meaning:
      "the cluster the node belongs to: on AWS `SPOT_DRAINER_CLUSTER_NAME` (the stack's `clusterName`), on Azure the AKS cluster's name",
  },
  cloud: { meaning: 'the cloud of the interruption', values: ['aws', 'azure'] },
  kind: {
    meaning:
      "the interruption kind, e.g. `spot-interruption`, `rebalance-recommendation`, `lifecycle-terminate`, `scheduled-event`, `resource-annotated` (the README's table of events)",
  },
  outcome: { meaning: 'how the drain ended', values: DRAIN_OUTCOMES },
  result: {
    meaning:
      'what became of the pods: `blocked` = still refused by a PodDisruptionBudget when time ran out, `failed` includes timed-out evictions',
    values: EVICTION_RESULTS,
  },
} as const satisfies Record<string, DimensionDefinition>;

/** The name of a dimension of DIMENSIONS. */
export type DimensionName = keyof typeof DIMENSIONS;

/** The dimensions every point carries. */
export const COMMON_DIMENSIONS = ['cluster', 'cloud', 'kind'] as const satisfies readonly DimensionName[];

/** Every metric of a drain report. */
export const METRICS = {
  Interruptions: {
    unit: 'Count',
    dimensions: ['outcome'],
    meaning: '1 per drain report: interruptions handled, by how the drain ended',
    writtenFor: 'every report',
  },
  TimeToCordon: {
    unit: 'Milliseconds',
    dimensions: [],
    meaning: 'from the start of the drain until the cordon was in place (or seen to be)',
    writtenFor: 'reports whose node was cordoned',
  },
  DrainDuration: {
    unit: 'Milliseconds',
    dimensions: [],
    meaning: 'how long the whole drain took, from its start to its report',
    writtenFor: 'every report',
  },
  Evictions: {
    unit: 'Count',
    dimensions: ['result'],
    meaning: 'pods of the node, by result; one value per result, 0 included',
    writtenFor: 'every report',
  },
  DeadlinesMissed: {
    unit: 'Count',
    dimensions: [],
    meaning:
      '1 when the deadline was missed, 0 when it was met: the sum counts misses, the sample count drains that had a deadline',
    writtenFor: 'reports of interruptions that set a deadline',
  },
} as const satisfies Record<string, MetricDefinition>;

/** The name of a metric of METRICS. */
export type MetricName = keyof typeof METRICS;

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

/**
 * The points of one report, as METRICS declares them: Interruptions (by outcome), TimeToCordon (ms,
 * when the node was cordoned), DrainDuration (ms), Evictions (one point per result; a timed-out
 * eviction counts as failed) and DeadlinesMissed (only when the interruption set a deadline).
 */
export function metricPoints(report: DrainReport, extra: MetricExtras = {}): MetricPoint[] {
  const base: Dimensions = { ...extra.dimensions, cloud: report.cloud, kind: report.kind };
  const point = (name: MetricName, value: number, dimensions = base): MetricPoint => ({
    name,
    value,
    unit: METRICS[name].unit,
    dimensions,
  });
  const { counts, timings } = report;
  const evictions: Record<(typeof EVICTION_RESULTS)[number], number> = {
    evicted: counts.evicted,
    deleted: counts.deleted,
    blocked: counts.blockedByPdb,
    failed: counts.failed + counts.timedOut,
  };

  const points = [point('Interruptions', 1, { ...base, outcome: report.outcome })];
  if (timings.cordonMs !== undefined) points.push(point('TimeToCordon', timings.cordonMs));
  points.push(point('DrainDuration', timings.totalMs));
  for (const result of EVICTION_RESULTS)
    points.push(point('Evictions', evictions[result], { ...base, result }));
  if (report.deadline !== undefined) points.push(point('DeadlinesMissed', report.deadlineMet ? 0 : 1));
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

// What the functions really write for their metrics, captured from the real writers (Powertools EMF on
// AWS, the InvocationContext log lines on Azure) behind the entry points' report sink, for a set of
// reports that covers every branch of metricPoints. The catalog test and the template tests compare
// METRICS, the alarms, the dashboard and the workbook against this, never against the declaration alone.
import type { DrainReport } from '../../../src/drain/report.ts';
import type { Interruption } from '../../../src/events/interruption.ts';
import { blockedPod, drainReport, missedDeadlineReport } from '../../../src/notify/report.fixture.ts';
import { reportSink } from '../../../src/pipeline/report-sink.ts';
import { invocationContextMetrics } from '../../../src/telemetry/invocation-context.ts';
import type { DrainMetrics } from '../../../src/telemetry/metrics.ts';
import { powertoolsMetrics } from '../../../src/telemetry/powertools.ts';

/** One metric as a platform writes it: its name, unit and the names of its dimensions (sorted). */
export interface EmittedMetric {
  name: string;
  unit: string;
  dimensions: string[];
}

/** An EMF document as Powertools writes it. */
export interface EmfDocument {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [field: string]: unknown;
}

/** An Azure metric line, parsed. */
export interface AzureMetricLine {
  metric: string;
  value: number;
  unit: string;
  dimensions: Record<string, string>;
}

export const CLUSTER = 'shop-prod';
export const SERVICE = 'spot-drainer';

/** Reports through every branch: deadline met and missed, none set, no cordon, each outcome. */
export function sampleReports(): DrainReport[] {
  return [
    drainReport(),
    missedDeadlineReport([blockedPod('shop', 'cart-0')]),
    drainReport({ kind: 'rebalance-recommendation', deadline: undefined, timings: { totalMs: 40 } }),
    drainReport({ outcome: 'failed', timings: { totalMs: 12 } }),
    drainReport({ outcome: 'dry-run', dryRun: true }),
    drainReport({ cloud: 'azure', kind: 'scheduled-event' }),
  ];
}

async function recordAll(metrics: DrainMetrics, reports: readonly DrainReport[]): Promise<void> {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const sink = reportSink(undefined, metrics, logger);
  for (const report of reports) {
    const interruption = {
      cloud: report.cloud,
      kind: report.kind,
      eventId: report.eventId,
    } as Interruption;
    await sink(report, {
      cluster: CLUSTER,
      interruption,
      machine: { noun: 'machine', id: 'm-1' },
      kindLabel: report.kind,
    });
  }
  metrics.flush();
}

/** The EMF documents the Lambda writes to stdout for `reports`, as deployed (service name set). */
export async function awsDocuments(
  reports = sampleReports(),
  namespace = 'SpotDrainer',
): Promise<EmfDocument[]> {
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await recordAll(powertoolsMetrics({ namespace, serviceName: SERVICE }), reports);
  } finally {
    process.stdout.write = write;
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

/** Every metric in the EMF documents, once per (name, unit, dimension set). */
export function metricsOfDocuments(documents: readonly EmfDocument[]): EmittedMetric[] {
  return unique(
    documents.flatMap((doc) =>
      doc._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Dimensions.flatMap((set) =>
          directive.Metrics.map((m) => ({ name: m.Name, unit: m.Unit, dimensions: [...set].sort() })),
        ),
      ),
    ),
  );
}

/** The lines the Azure Function writes through its InvocationContext for `reports`. */
export async function azureLines(reports = sampleReports()): Promise<string[]> {
  const lines: string[] = [];
  const capture = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  await recordAll(
    invocationContextMetrics({ log: capture, info: capture, warn: capture, error: capture }),
    reports,
  );
  return lines;
}

/** Every metric of the Azure lines, once per (name, unit, dimension set). */
export function metricsOfLines(lines: readonly string[]): EmittedMetric[] {
  return unique(
    lines.map((line) => {
      const parsed = JSON.parse(line) as AzureMetricLine;
      return { name: parsed.metric, unit: parsed.unit, dimensions: Object.keys(parsed.dimensions).sort() };
    }),
  );
}

function unique(metrics: EmittedMetric[]): EmittedMetric[] {
  const seen = new Map<string, EmittedMetric>();
  for (const metric of metrics) seen.set(JSON.stringify(metric), metric);
  return [...seen.values()];
}

// METRICS and DIMENSIONS (src/telemetry/metrics.ts) are the one declaration docs/metrics.md and the
// templates' alarms, dashboard and workbook are held to. This checks the declaration against what the
// functions really write: a metric written but not declared (so not documented), or declared but never
// written, fails here.
import { describe, expect, it } from 'vitest';
import { COMMON_DIMENSIONS, DIMENSIONS, METRICS, type MetricName } from '../../../src/telemetry/metrics.ts';
import { DEFAULT_METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../../src/telemetry/powertools.ts';
import {
  type AzureMetricLine,
  awsDocuments,
  azureLines,
  type EmittedMetric,
  metricsOfDocuments,
  metricsOfLines,
} from './emitted-metrics.ts';

const declaredNames = Object.keys(METRICS) as MetricName[];
const declaredDimensions = (name: MetricName, platformDimensions: string[] = []) =>
  [...COMMON_DIMENSIONS, ...METRICS[name].dimensions, ...platformDimensions].sort();

function expectDeclared(emitted: EmittedMetric[], platformDimensions: string[]) {
  expect(emitted.length).toBeGreaterThanOrEqual(declaredNames.length);
  for (const metric of emitted) {
    expect(declaredNames, `${metric.name} is written but not declared in METRICS`).toContain(metric.name);
    const declared = METRICS[metric.name as MetricName];
    expect(metric.unit, `${metric.name}: unit`).toBe(declared.unit);
    expect(metric.dimensions, `${metric.name}: dimensions`).toEqual(
      declaredDimensions(metric.name as MetricName, platformDimensions),
    );
  }
  const written = new Set(emitted.map((metric) => metric.name));
  for (const name of declaredNames)
    expect([...written], `${name} is declared but never written`).toContain(name);
}

describe('the metrics the functions write are the metrics declared', () => {
  it('AWS: the EMF documents hold exactly the declared metrics, units and dimensions (plus service)', async () => {
    const documents = await awsDocuments(undefined, DEFAULT_METRICS_NAMESPACE);
    expectDeclared(metricsOfDocuments(documents), [SERVICE_DIMENSION]);
    for (const doc of documents) {
      for (const directive of doc._aws.CloudWatchMetrics) expect(directive.Namespace).toBe('SpotDrainer');
    }
  });

  it('Azure: the log lines hold exactly the declared metrics, units and dimensions', async () => {
    expectDeclared(metricsOfLines(await azureLines()), []);
  });

  it('declares every dimension written, and every value of the dimensions it lists values for', async () => {
    const lines = (await azureLines()).map((line) => JSON.parse(line) as AzureMetricLine);
    const seen = new Map<string, Set<string>>();
    for (const line of lines) {
      for (const [dimension, value] of Object.entries(line.dimensions)) {
        expect(Object.keys(DIMENSIONS), `dimension ${dimension}`).toContain(dimension);
        const values = seen.get(dimension) ?? new Set();
        values.add(value);
        seen.set(dimension, values);
      }
    }
    for (const [dimension, definition] of Object.entries(DIMENSIONS)) {
      expect([...seen.keys()], `dimension ${dimension} is declared but never written`).toContain(dimension);
      const listed: readonly string[] | undefined = 'values' in definition ? definition.values : undefined;
      if (listed) {
        // every value the samples write is listed (the samples cover every listed value but none of the others)
        for (const value of seen.get(dimension)!) expect(listed, `${dimension}=${value}`).toContain(value);
      }
    }
    // the samples reach every outcome and eviction result, so the lists above are complete
    expect([...seen.get('outcome')!].sort()).toEqual([...DIMENSIONS.outcome.values].sort());
    expect([...seen.get('result')!].sort()).toEqual([...DIMENSIONS.result.values].sort());
  });

  it('keeps dimension names the declaration and the templates can share (no service clash)', () => {
    expect(Object.keys(DIMENSIONS)).not.toContain(SERVICE_DIMENSION);
  });
});

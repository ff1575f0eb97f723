import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS_DOC, renderMetricsDoc } from '../../../scripts/metrics-doc.ts';
import { METRICS } from '../../../src/telemetry/metrics.ts';

describe('docs/metrics.md', () => {
  it('is up to date (regenerate with `npm run docs:metrics`)', () => {
    expect(readFileSync(METRICS_DOC, 'utf8')).toBe(renderMetricsDoc());
  });

  it('documents every declared metric with its unit', () => {
    const doc = renderMetricsDoc();
    const names = Object.keys(METRICS);
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const [name, metric] of Object.entries(METRICS)) {
      expect(doc).toContain(`| \`${name}\` | ${metric.unit} |`);
    }
  });
});

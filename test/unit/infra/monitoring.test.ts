// The Azure alert and workbook (infra/azure/modules/monitoring.bicep) read the metric lines the function
// writes to Application Insights. Their KQL is checked against lines the function really writes
// (./../telemetry/emitted-metrics.ts) and the metrics declaration: every metric and dimension a query
// names is one the function writes, with that metric.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AZURE_METRIC_LINES_KQL } from '../../../scripts/metrics-doc.ts';
import { invocationContextLogger } from '../../../src/telemetry/invocation-context.ts';
import { DIMENSIONS, type METRICS } from '../../../src/telemetry/metrics.ts';
import { azureLines, type EmittedMetric, metricsOfLines } from '../telemetry/emitted-metrics.ts';
import {
  allResources,
  type BicepFile,
  type BicepObject,
  type BicepValue,
  isExpr,
  parseBicep,
  unescapeBicep,
} from './bicep-source.ts';

const azureDir = resolve(import.meta.dirname, '../../../infra/azure');
const monitoring = parseBicep(readFileSync(join(azureDir, 'modules/monitoring.bicep'), 'utf8'));
const main = parseBicep(readFileSync(join(azureDir, 'main.bicep'), 'utf8'));

const obj = (value: unknown): BicepObject => {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isExpr(value)) {
    throw new Error(`expected an object literal, got ${JSON.stringify(value)}`);
  }
  return value as BicepObject;
};
const text = (value: unknown): string => (isExpr(value) ? value.expr : JSON.stringify(value));

/** A Bicep string value, with `${name}` interpolations of the file's string variables filled in. */
function bicepString(file: BicepFile, value: BicepValue | undefined): string {
  if (typeof value === 'string') return value;
  const literal = isExpr(value) ? /^'((?:[^'\\]|\\.)*)'$/s.exec(value.expr)?.[1] : undefined;
  if (literal === undefined) throw new Error(`not a string: ${JSON.stringify(value)}`);
  return unescapeBicep(
    literal.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      const variable = file.vars.get(name);
      if (typeof variable !== 'string') throw new Error(`\${${name}} is not a string variable`);
      // escaped again so that unescaping the whole leaves the variable's text as it is
      return variable.replace(/\\/g, '\\\\');
    }),
  );
}

const metricLines = monitoring.vars.get('metricLines') as string;
const queries = Object.fromEntries(
  Object.entries(obj(monitoring.vars.get('queries'))).map(([name, value]) => [
    name,
    bicepString(monitoring, value as BicepValue),
  ]),
);
const alertQuery = bicepString(monitoring, monitoring.vars.get('deadlinesMissedQuery'));

/** The metric names a query compares `metric` with. */
const metricsNamed = (query: string) => [...query.matchAll(/\bmetric == '(\w+)'/g)].map(([, name]) => name!);
/** The dimension columns (of the metric-lines prelude) the rest of a query uses. */
const dimensionsUsed = (query: string) =>
  Object.keys(DIMENSIONS).filter((name) => new RegExp(`\\b${name}\\b`).test(query.slice(metricLines.length)));

describe('infra/azure monitoring: the queries read what the function writes', () => {
  it('starts every query with the metric-lines prelude of docs/metrics.md', () => {
    expect(metricLines).toBe(AZURE_METRIC_LINES_KQL);
    expect(Object.keys(queries).length).toBeGreaterThanOrEqual(3);
    for (const query of [...Object.values(queries), alertQuery])
      expect(query.startsWith(`${metricLines}\n|`)).toBe(true);
  });

  it("selects the function's metric lines and none of its other log lines", async () => {
    const prefix = /\| where message startswith '([^']+)'/.exec(metricLines)?.[1];
    expect(prefix).toBeDefined();
    const lines = await azureLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.startsWith(prefix!), line).toBe(true);

    const logged: string[] = [];
    const sink = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    const logger = invocationContextLogger({ log: sink, info: sink, warn: sink, error: sink });
    logger.info('drain report', { metric: 'Interruptions', value: 1 });
    logger.warn('node not found', { reason: 'no node has that provider id' });
    expect(logged).toHaveLength(2);
    for (const line of logged) expect(line.startsWith(prefix!), line).toBe(false);
  });

  it('reads the fields the lines carry, and a column for each declared dimension', async () => {
    const [line] = (await azureLines()).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(line!).sort()).toEqual(['dimensions', 'metric', 'unit', 'value']);
    expect(metricLines).toContain('metric = tostring(line.metric)');
    expect(metricLines).toContain('value = todouble(line.value)');
    for (const name of Object.keys(DIMENSIONS)) {
      expect(metricLines).toContain(`${name} = tostring(line.dimensions.${name})`);
    }
  });

  it.each(Object.entries({ ...queries, alert: alertQuery }))(
    '%s: names only metrics the function writes, and only their dimensions',
    async (name, query) => {
      const written: EmittedMetric[] = metricsOfLines(await azureLines());
      const named = metricsNamed(query);
      expect(named.length, `${name} names no metric`).toBeGreaterThan(0);
      for (const metric of named) {
        const forms = written.filter((w) => w.name === metric);
        expect(forms.length, `${name}: ${metric} is not written`).toBeGreaterThan(0);
        for (const dimension of dimensionsUsed(query)) {
          for (const form of forms)
            expect(form.dimensions, `${name}: ${metric} by ${dimension}`).toContain(dimension);
        }
      }
    },
  );

  it('shows interruptions, time to cordon, and deadlines met and missed in the workbook', () => {
    const charts = (monitoring.vars.get('charts') as BicepValue[]).map(obj);
    expect(charts.map((c) => c.name).sort()).toEqual(Object.keys(queries).sort());
    const shown = new Set(charts.flatMap((c) => metricsNamed(queries[c.name as string]!)));
    for (const metric of [
      'Interruptions',
      'TimeToCordon',
      'DeadlinesMissed',
    ] satisfies (keyof typeof METRICS)[]) {
      expect([...shown]).toContain(metric);
    }
    expect(queries.deadlines).toMatch(/missed = sum\(value\), met = todouble\(count\(\)\) - sum\(value\)/);
  });
});

describe('infra/azure monitoring: resources', () => {
  const byType = (type: string) => allResources(monitoring).filter((r) => r.type === type);

  it("alerts per cluster on any missed deadline, through the dead-letter alerts' action group", () => {
    const [alert] = byType('Microsoft.Insights/scheduledQueryRules');
    expect(alert?.condition).toBeUndefined(); // always deployed
    expect(alert!.body.kind).toBe('LogAlert');
    const props = obj(alert!.body.properties);
    expect(text(props.scopes)).toContain('appInsights.id');
    const [criterion] = (obj(props.criteria).allOf as BicepValue[]).map(obj);
    expect(text(criterion!.query)).toBe('deadlinesMissedQuery');
    expect(metricsNamed(alertQuery)).toEqual(['DeadlinesMissed']);
    expect(alertQuery).toMatch(/\| project timestamp, cluster, value$/);
    expect(criterion).toMatchObject({
      timeAggregation: 'Total',
      metricMeasureColumn: 'value',
      operator: 'GreaterThan',
      threshold: 0,
    });
    expect((criterion!.dimensions as BicepValue[]).map(obj).map((d) => d.name)).toEqual(['cluster']);
    expect(text(obj(props.actions).actionGroups)).toBe('empty(actionGroupId) ? [] : [actionGroupId]');
    // No published model of 2023-12-01 to check against: the properties the API documents.
    const documented = [
      'displayName',
      'description',
      'severity',
      'enabled',
      'scopes',
      'evaluationFrequency',
      'windowSize',
      'autoMitigate',
      'criteria',
      'actions',
    ];
    for (const key of Object.keys(props)) expect(documented, key).toContain(key);
    const criterionKeys = [
      'query',
      'timeAggregation',
      'metricMeasureColumn',
      'dimensions',
      'operator',
      'threshold',
      'failingPeriods',
    ];
    for (const key of Object.keys(criterion!)) expect(criterionKeys, key).toContain(key);
  });

  it('creates the workbook only with createWorkbook, over the Application Insights component', () => {
    const [workbook] = byType('Microsoft.Insights/workbooks');
    expect(workbook!.condition).toBe('createWorkbook');
    expect(workbook!.body.kind).toBe('shared');
    const props = obj(workbook!.body.properties);
    expect(text(props.sourceId)).toBe('appInsights.id');
    expect(text(props.serializedData)).toBe('string(workbookContent)');
    expect(text(obj(monitoring.vars.get('workbookContent')).items)).toBe(
      'concat([intro, timeRange], chartItems)',
    );
  });

  it("is wired from main.bicep: on by default, the app module's component, the alerts' action group", () => {
    expect(main.params.get('createWorkbook')?.default).toBe(true);
    const module = main.modules.find((m) => m.path === 'modules/monitoring.bicep');
    expect(module?.condition).toBeUndefined();
    expect(text(module!.body.scope)).toBe('rg');
    const params = obj(module!.body.params);
    expect(text(params.appInsightsName)).toBe('app.outputs.appInsightsName');
    expect(text(params.actionGroupId)).toBe('actionGroupId');
    expect(text(params.createWorkbook)).toBe('createWorkbook');
  });
});

// The CloudWatch dashboard (infra/aws/dashboard.cjs) as rendered for a stack: every widget reads a
// metric the function writes, with its exact dimension set, in the stack's namespace and cluster.
// test/unit/infra/serverless.test.ts checks the same on the packaged templates.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS } from '../../../src/telemetry/metrics.ts';
import { awsDocuments, metricsOfDocuments } from '../telemetry/emitted-metrics.ts';
import { dashboardBody, searchesIn, searchProblems, widgetExpressions } from './cloudwatch-references.ts';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: a CommonJS module of the templates, read loosely
const { dashboard, OUTCOMES, RESULTS } = require('../../../infra/aws/dashboard.cjs') as any;
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation and dashboard JSON are walked loosely
type Json = Record<string, any>;

const NAMESPACE = 'SpotDrainerTest';
const CLUSTER = 'shop-prod';

function render(createDashboard: string): Promise<Json | false> {
  const values: Record<string, string> = {
    'param:createDashboard': createDashboard,
    'param:clusterName': CLUSTER,
    'self:service': 'spot-drainer',
    'sls:stage': 'prod',
    'self:provider.environment.POWERTOOLS_METRICS_NAMESPACE': NAMESPACE,
  };
  return dashboard({
    resolveVariable: async (name: string) => {
      if (!(name in values)) throw new Error(`unexpected variable ${name}`);
      return values[name];
    },
  });
}

describe('infra/aws/dashboard.cjs', () => {
  it('renders nothing with createDashboard=false and refuses anything but true or false', async () => {
    expect(await render('false')).toBe(false);
    await expect(render('yes')).rejects.toThrow(/createDashboard must be 'true' or 'false', got "yes"/);
  });

  it('reads only metrics the function writes, with their exact dimensions, in the namespace and cluster', async () => {
    const fragment = (await render('true')) as Json;
    const body = dashboardBody(fragment.Resources.Dashboard);
    const written = metricsOfDocuments(await awsDocuments(undefined, NAMESPACE));
    const searches = widgetExpressions(body).flatMap((e) => searchesIn(e.expression));
    expect(searches.length).toBeGreaterThanOrEqual(10);
    for (const search of searches) {
      expect(searchProblems(search, NAMESPACE, written)).toEqual([]);
      expect(search.filters.cluster).toBe(CLUSTER);
      for (const [name, value] of Object.entries(search.filters)) {
        const definition = DIMENSIONS[name as keyof typeof DIMENSIONS];
        if (definition && 'values' in definition)
          expect(definition.values, `${name}=${value}`).toContain(value);
      }
    }
    const shown = new Set(searches.map((s) => s.metric));
    for (const metric of ['Interruptions', 'TimeToCordon', 'DeadlinesMissed'])
      expect([...shown]).toContain(metric);
  });

  it('shows every outcome and eviction result the function writes', () => {
    expect(OUTCOMES).toEqual(DIMENSIONS.outcome.values);
    expect(RESULTS).toEqual(DIMENSIONS.result.values);
  });

  it('shows deadlines met as those with a deadline less those missed, and both alarms', async () => {
    const fragment = (await render('true')) as Json;
    const body = dashboardBody(fragment.Resources.Dashboard);
    const deadlines = widgetExpressions(body).filter((e) => e.title === 'Deadlines met and missed');
    const byId = Object.fromEntries(deadlines.map((e) => [e.id, e.expression]));
    expect(byId.met).toBe('withdeadline - missed');
    expect(searchesIn(byId.missed!)[0]).toMatchObject({ metric: 'DeadlinesMissed', stat: 'Sum' });
    expect(searchesIn(byId.withdeadline!)[0]).toMatchObject({
      metric: 'DeadlinesMissed',
      stat: 'SampleCount',
    });
    for (const widget of body.widgets.filter((w: Json) => w.type === 'metric')) {
      const ids = widget.properties.metrics.map(([m]: Json[]) => m!.id);
      expect(new Set(ids).size, widget.properties.title).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
      expect(widget.properties.region).toBe('eu-west-1');
    }
    const [alarms] = body.widgets.filter((w: Json) => w.type === 'alarm');
    expect(alarms.properties.alarms).toEqual([
      'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:spot-drainer-prod-deadlines-missed',
      'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:spot-drainer-prod-failed-events',
    ]);
    // the kind in each percentile line's label is CloudWatch's dynamic label, not a Fn::Sub variable
    expect(JSON.stringify(body)).toContain(`\${PROP('Dim.kind')}`);
  });
});

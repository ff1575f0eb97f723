// The CloudWatch dashboard of a stack (`createDashboard`, on by default), rendered at package time by
// serverless.yml (`${file(./infra/aws/dashboard.cjs):dashboard}`): interruptions, time to cordon,
// deadlines met and missed, drain durations, evictions and the stack's alarms, for the stack's cluster.
//
// Every widget reads the function's EMF metrics with SEARCH over their exact dimension sets
// (docs/metrics.md); test/unit/infra/dashboard.test.ts holds each one to what the function writes.
'use strict';

const PERIOD = 300;

// Values of the `outcome` and `result` dimensions (src/telemetry/metrics.ts DIMENSIONS).
const OUTCOMES = ['completed', 'partial', 'failed', 'dry-run'];
const RESULTS = ['evicted', 'deleted', 'blocked', 'failed'];

const param = async (resolveVariable, name) => {
  const value = await resolveVariable(`param:${name}`);
  return value === undefined || value === null ? '' : String(value).trim();
};

/** `SEARCH(...)` of one metric of the cluster, over the dimension set it is written with. */
function search({ namespace, cluster }, metric, dimensions, stat, filters = {}) {
  const schema = [namespace, ...[...dimensions, 'cloud', 'cluster', 'kind', 'service'].sort()].join(',');
  const terms = [`MetricName="${metric}"`, `cluster="${cluster}"`];
  for (const [name, value] of Object.entries(filters)) terms.push(`${name}="${value}"`);
  return `SEARCH('{${schema}} ${terms.join(' ')}', '${stat}', ${PERIOD})`;
}

function timeSeries(title, metrics, options = {}) {
  return {
    type: 'metric',
    width: 12,
    height: 6,
    properties: {
      title,
      region: `\${AWS::Region}`,
      view: 'timeSeries',
      period: PERIOD,
      metrics: metrics.map((metric) => [metric]),
      yAxis: { left: { min: 0, ...(options.unit && { label: options.unit, showUnits: false }) } },
      ...(options.stacked && { stacked: true }),
    },
  };
}

/** One line per kind and statistic (a label per line: the kind, from the SEARCH result). */
const percentiles = (stack, metric) =>
  ['p50', 'p95', 'Maximum'].map((stat, i) => ({
    expression: search(stack, metric, [], stat),
    id: `${stat.toLowerCase()}${i}`,
    // `${!...}`: Fn::Sub leaves `${...}` for CloudWatch's dynamic label.
    label: `${stat} \${!PROP('Dim.kind')}`,
  }));

function widgets(stack) {
  const { alarms } = stack;
  return [
    timeSeries(
      'Interruptions, by outcome',
      OUTCOMES.map((outcome, i) => ({
        expression: `SUM(${search(stack, 'Interruptions', ['outcome'], 'Sum', { outcome })})`,
        id: `interruptions${i}`,
        label: outcome,
      })),
      { stacked: true },
    ),
    timeSeries(
      'Deadlines met and missed',
      [
        { expression: `SUM(${search(stack, 'DeadlinesMissed', [], 'Sum')})`, id: 'missed', label: 'missed' },
        {
          expression: `SUM(${search(stack, 'DeadlinesMissed', [], 'SampleCount')})`,
          id: 'withdeadline',
          visible: false,
        },
        { expression: 'withdeadline - missed', id: 'met', label: 'met' },
      ],
      { stacked: true },
    ),
    timeSeries('Time to cordon (ms), by kind', percentiles(stack, 'TimeToCordon'), { unit: 'ms' }),
    timeSeries('Drain duration (ms), by kind', percentiles(stack, 'DrainDuration'), { unit: 'ms' }),
    timeSeries(
      'Pods, by eviction result',
      RESULTS.map((result, i) => ({
        expression: `SUM(${search(stack, 'Evictions', ['result'], 'Sum', { result })})`,
        id: `evictions${i}`,
        label: result,
      })),
      { stacked: true },
    ),
    {
      type: 'alarm',
      width: 12,
      height: 6,
      properties: {
        title: 'Alarms',
        alarms: alarms.map(
          (name) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`,
        ),
      },
    },
  ];
}

/**
 * The dashboard resource and its output, or `false` with createDashboard=false. Any other value fails
 * packaging, as the other switches do.
 */
async function dashboard({ resolveVariable }) {
  const enabled = await param(resolveVariable, 'createDashboard');
  if (enabled === 'false') return false;
  if (enabled !== 'true') throw new Error(`createDashboard must be 'true' or 'false', got "${enabled}"`);
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const stack = {
    namespace: await resolveVariable('self:provider.environment.POWERTOOLS_METRICS_NAMESPACE'),
    cluster: await param(resolveVariable, 'clusterName'),
    alarms: [`${service}-${stage}-deadlines-missed`, `${service}-${stage}-failed-events`],
  };
  const body = { widgets: widgets(stack) };
  return {
    Resources: {
      Dashboard: {
        Type: 'AWS::CloudWatch::Dashboard',
        Properties: {
          // Dashboard names are global to the account: one stack per cluster and region.
          DashboardName: { 'Fn::Sub': `${service}-${stage}-\${AWS::Region}` },
          DashboardBody: { 'Fn::Sub': JSON.stringify(body) },
        },
      },
    },
    Outputs: {
      DashboardUrl: {
        Description: 'CloudWatch dashboard of interruptions, time to cordon and deadlines',
        Value: {
          'Fn::Sub': `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards/dashboard/\${Dashboard}`,
        },
      },
    },
  };
}

module.exports = { dashboard, OUTCOMES, RESULTS };

// Reads the CloudWatch metric references of a template (SEARCH expressions of dashboard widgets, the
// Metrics Insights query of an alarm) and holds them to the metrics the function really writes.
import type { EmittedMetric } from '../telemetry/emitted-metrics.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation and dashboard JSON are walked loosely
type Json = Record<string, any>;

/** One `SEARCH('{Namespace,dim,...} MetricName="..." dim="value" ...', 'stat', period)`. */
export interface SearchReference {
  namespace: string;
  dimensions: string[];
  metric: string;
  filters: Record<string, string>;
  stat: string;
}

/** Every SEARCH of an expression. */
export function searchesIn(expression: string): SearchReference[] {
  return [...expression.matchAll(/SEARCH\('\{([^}]*)\}((?:\s+\w+="[^"]*")+)',\s*'(\w+)',\s*\d+\)/g)].map(
    ([, schema, terms, stat]) => {
      const [namespace, ...dimensions] = schema!.split(',');
      const filters = Object.fromEntries(
        [...terms!.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!]),
      );
      const { MetricName: metric, ...rest } = filters;
      return {
        namespace: namespace!,
        dimensions: dimensions.sort(),
        metric: metric!,
        filters: rest,
        stat: stat!,
      };
    },
  );
}

/** `SELECT FN(Metric) FROM "Namespace" WHERE dim = 'value' [AND ...]`. */
export interface InsightsReference {
  metric: string;
  namespace: string;
  where: Record<string, string>;
}

/** The metric, namespace and equality filters of a Metrics Insights query. */
export function insightsQuery(query: string): InsightsReference {
  const match = /^SELECT \w+\((\w+)\) FROM "([^"]+)"(?: WHERE (.+))?$/.exec(query.trim());
  if (!match) throw new Error(`not a Metrics Insights query this test reads: ${query}`);
  const where = Object.fromEntries(
    (match[3] ?? '').split(/\s+AND\s+/).flatMap((term) => {
      const eq = /^(\w+) = '([^']*)'$/.exec(term.trim());
      if (!eq) throw new Error(`unexpected filter ${term}`);
      return [[eq[1]!, eq[2]!]];
    }),
  );
  return { metric: match[1]!, namespace: match[2]!, where };
}

/** Why a SEARCH finds nothing the function writes (empty when it finds a written metric). */
export function searchProblems(
  search: SearchReference,
  namespace: string,
  written: EmittedMetric[],
): string[] {
  const where = `SEARCH ${search.metric} {${search.dimensions.join(',')}}`;
  const problems: string[] = [];
  if (search.namespace !== namespace)
    problems.push(`${where}: namespace ${search.namespace}, not ${namespace}`);
  const exact = written.filter(
    (w) => w.name === search.metric && w.dimensions.join(',') === search.dimensions.join(','),
  );
  if (exact.length === 0) problems.push(`${where}: no metric with exactly these dimensions is written`);
  for (const name of Object.keys(search.filters)) {
    if (!search.dimensions.includes(name))
      problems.push(`${where}: filters on ${name}, not in its dimensions`);
  }
  return problems;
}

/** The dashboard body as CloudFormation's Fn::Sub leaves it in a region. */
export function dashboardBody(resource: Json, region = 'eu-west-1'): Json {
  const template: string = resource.Properties.DashboardBody['Fn::Sub'];
  const substituted = template.replace(/\$\{(!?)([^}]+)\}/g, (_, literal: string, name: string) => {
    if (literal) return `\${${name}}`;
    const pseudo: Record<string, string> = {
      'AWS::Region': region,
      'AWS::Partition': 'aws',
      'AWS::AccountId': '123456789012',
    };
    if (!(name in pseudo)) throw new Error(`Fn::Sub of an unknown name ${name}`);
    return pseudo[name]!;
  });
  return JSON.parse(substituted);
}

/** Every expression of the body's metric widgets, with its widget's title. */
export function widgetExpressions(body: Json): { title: string; id: string; expression: string }[] {
  return body.widgets
    .filter((w: Json) => w.type === 'metric')
    .flatMap((w: Json) =>
      w.properties.metrics.map(([m]: Json[]) => ({
        title: w.properties.title,
        id: m!.id,
        expression: m!.expression,
      })),
    );
}

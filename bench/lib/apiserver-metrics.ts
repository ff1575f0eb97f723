/**
 * The API server's own view of a benchmark: its /metrics (Prometheus text) read before and after, and the
 * difference summarised. Request latency from `apiserver_request_duration_seconds`, Priority and Fairness
 * queue wait from `apiserver_flowcontrol_request_wait_duration_seconds`, 429s from `apiserver_request_total`
 * and `apiserver_flowcontrol_rejected_requests_total`. Quantiles come from histogram buckets (linear within
 * a bucket), as Prometheus' histogram_quantile computes them.
 */
import type { BenchCluster } from './cluster.ts';
import { kubectl } from './cluster.ts';

/** One sample line: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export type Scrape = Sample[];

function parse(text: string): Scrape {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? ([^ ]+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      if (key) labels[key] = value ?? '';
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** The API server's metrics now (as the admin: `kubectl get --raw /metrics`). */
export async function scrape(cluster: BenchCluster): Promise<Scrape> {
  return parse(await kubectl(cluster, ['get', '--raw', '/metrics']));
}

const matches = (labels: Record<string, string>, want: Record<string, string | RegExp>) =>
  Object.entries(want).every(([key, value]) =>
    typeof value === 'string' ? labels[key] === value : value.test(labels[key] ?? ''),
  );

/** after − before of the counters named `name` whose labels match `want`, summed. */
export function counterDelta(
  before: Scrape,
  after: Scrape,
  name: string,
  want: Record<string, string | RegExp> = {},
): number {
  const sum = (scrape: Scrape) =>
    scrape.filter((s) => s.name === name && matches(s.labels, want)).reduce((total, s) => total + s.value, 0);
  return sum(after) - sum(before);
}

/** A histogram's difference between two scrapes: count, sum and quantiles (seconds). */
export interface HistogramDelta {
  count: number;
  meanS?: number;
  p50S?: number;
  p99S?: number;
}

/** The histogram `name` (its _bucket, _count, _sum series) over the samples matching `want`, after − before. */
export function histogramDelta(
  before: Scrape,
  after: Scrape,
  name: string,
  want: Record<string, string | RegExp> = {},
): HistogramDelta {
  const buckets = new Map<number, number>();
  for (const [scrape, sign] of [
    [after, 1],
    [before, -1],
  ] as const)
    for (const s of scrape)
      if (s.name === `${name}_bucket` && matches(s.labels, want)) {
        const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
        buckets.set(le, (buckets.get(le) ?? 0) + sign * s.value);
      }
  const count = counterDelta(before, after, `${name}_count`, want);
  const sum = counterDelta(before, after, `${name}_sum`, want);
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const quantile = (q: number): number | undefined => {
    if (count <= 0) return undefined;
    const rank = q * count;
    let lowerBound = 0;
    let lowerCount = 0;
    for (const [le, cumulative] of sorted) {
      if (cumulative >= rank) {
        if (!Number.isFinite(le)) return lowerBound;
        const inBucket = cumulative - lowerCount;
        return inBucket <= 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket;
      }
      lowerBound = le;
      lowerCount = cumulative;
    }
    return lowerBound;
  };
  return {
    count,
    ...(count > 0 ? { meanS: sum / count } : {}),
    p50S: quantile(0.5),
    p99S: quantile(0.99),
  };
}

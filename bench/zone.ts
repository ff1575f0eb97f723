/**
 * Availability-zone wave, the API server's side: N spot nodes × 20 pods (kwok), all interrupted at once,
 * N drains started together as warm in-process invocations, each with its own client and connection (as
 * N Lambdas would have), as the restricted drainer identity: resolve the node (one GET by name, as the
 * pipeline does with the EC2 private DNS name), then `drainNode` with production settings. Measures time
 * until all are cordoned and every eviction accepted, requests per node, and what the API server's own
 * metrics say (request latency, Priority and Fairness queue wait and rejections).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withAttempts } from '../src/drain/attempts.ts';
import { createBudget } from '../src/drain/budget.ts';
import { drainNode } from '../src/drain/engine.ts';
import { defaultDrainSettings } from '../src/drain/settings.ts';
import type { Interruption } from '../src/events/interruption.ts';
import { resolveNode } from '../src/kube/node-resolution.ts';
import { createSpotPool, type PoolCloud, type PoolNode } from '../src/local-cluster/node-pool.ts';
import { silentLogger } from '../src/logging.ts';
import { counterDelta, type HistogramDelta, histogramDelta, scrape } from './lib/apiserver-metrics.ts';
import { type BenchCluster, drainerClient, kubectl, withControlPlane } from './lib/cluster.ts';
import { type Benchmark, benchDir, ms, type Results, table } from './lib/report.ts';
import { defined, type Summary, summarize } from './lib/stats.ts';
import { stackedBarChart } from './lib/svg.ts';
import { progress, sleep } from './lib/timing.ts';
import { daemonSet, deployment, setPods, waitSetReady } from './lib/workloads.ts';

export const PODS_PER_NODE = 20; // 19 Deployment pods + 1 DaemonSet pod
const DEADLINE_MS = 120_000;

export interface ZoneNode {
  name: string;
  /** From the wave's start (every event fired at once) until the cordon was acknowledged. */
  cordonMs?: number;
  /** Until the node's last eviction was accepted. */
  allAcceptedMs?: number;
  /** Until the drain saw the evicted pods gone from the node. */
  emptyMs?: number;
  /** Until the drain returned. */
  doneMs?: number;
  evictable: number;
  requests: number;
  /** Requests by "VERB resource" (names left out). */
  byVerb: Record<string, number>;
  outcome: string;
  error?: string;
}

interface ApiServerView {
  requests429: number;
  rejectedByApf: Record<string, number>;
  latency: Record<string, HistogramDelta>;
  apfWait: HistogramDelta;
  apfWaitByLevel: Record<string, HistogramDelta>;
}

export interface ZoneResult {
  nodes: number;
  /** Whether infra/kubernetes/flow-control.yaml was applied (else kube-apiserver's default APF config). */
  flowControl?: boolean;
  podsPerNode: number;
  records: ZoneNode[];
  /** From the start until every drain returned. */
  wallMs: number;
  apiServer: ApiServerView;
}

function interruption(node: PoolNode, at: number): Interruption {
  return {
    cloud: 'aws',
    kind: 'spot-interruption',
    eventId: `zone-${node.machineId}`,
    machine: { cloud: 'aws', instanceId: node.machineId, zone: node.zone },
    action: 'drain',
    deadline: new Date(at + DEADLINE_MS),
    eventTime: new Date(at),
    details: { 'instance-action': 'terminate' },
  };
}

const resourceOf = (method: string, url: string) =>
  `${method} ${new URL(url).pathname
    .replace(/\/namespaces\/[^/]+/, '')
    .replace(/\/(nodes|pods|events)\/[^/]+/, '/$1/*')}${url.includes('watch=1') ? '?watch' : ''}`;

/**
 * One warm in-process invocation: a client and connection of its own, the node read by name, `drainNode`
 * with production settings. Times from `start` (the event).
 */
export async function drainOne(cluster: BenchCluster, node: PoolNode, start: number): Promise<ZoneNode> {
  const byVerb: Record<string, number> = {};
  const kube = drainerClient(cluster.info, (method, url) => {
    const key = resourceOf(method, url);
    byVerb[key] = (byVerb[key] ?? 0) + 1;
  });
  try {
    // As the pipeline resolves it: one GET by the EC2 private DNS name, throttling waited out.
    const budget = createBudget({ deadline: new Date(start + DEADLINE_MS) });
    const matches = (providerID: string) => providerID === node.providerId;
    const resolution = await withAttempts(budget, () =>
      resolveNode(kube.core, { matches, describe: node.providerId }, { nameHint: node.name }),
    );
    if (resolution.status !== 'found') throw new Error(`node not resolved: ${resolution.status}`);
    const current = resolution.node;
    const drainStart = Date.now();
    const report = await drainNode(current, interruption(node, start), {
      kube,
      logger: silentLogger,
      settings: { ...defaultDrainSettings },
    });
    const since = (offset: number | undefined) =>
      offset === undefined ? undefined : drainStart - start + offset;
    return {
      name: node.name,
      cordonMs: since(report.timings.cordonMs),
      allAcceptedMs: since(report.timings.lastEvictionAcceptedMs),
      emptyMs: since(report.timings.emptyMs),
      doneMs: Date.now() - start,
      evictable: report.counts.evictable,
      requests: kube.requestCount(),
      byVerb,
      outcome: report.outcome,
      ...(report.errors.length > 0 ? { error: report.errors[0] } : {}),
    };
  } catch (error) {
    return {
      name: node.name,
      evictable: 0,
      requests: kube.requestCount(),
      byVerb,
      outcome: 'failed',
      error: (error as Error).message,
    };
  } finally {
    await kube.close();
  }
}

/** A pool of `nodes` spot nodes of `cloud`, each holding 19 pods of the set `zone` and a DaemonSet pod. */
export async function preparePool(
  cluster: BenchCluster,
  nodes: number,
  cloud: PoolCloud = 'aws',
  id = 'zone',
) {
  const { apis } = cluster;
  const pool = await createSpotPool(apis, { cloud, nodes, id });
  await daemonSet(apis, pool, 'log-agent');
  await deployment(apis, pool, 'zone', {
    name: 'api',
    replicas: (PODS_PER_NODE - 1) * nodes,
    graceSeconds: 5,
    spread: true,
  });
  await waitSetReady(apis, pool, 'daemonset', nodes, 600_000);
  await waitSetReady(apis, pool, 'zone', (PODS_PER_NODE - 1) * nodes, 1_800_000);
  const perNode = new Map<string, number>();
  for (const pod of await setPods(apis, pool, 'zone'))
    perNode.set(pod.spec?.nodeName ?? '', (perNode.get(pod.spec?.nodeName ?? '') ?? 0) + 1);
  const uneven = pool.nodes.filter((node) => perNode.get(node.name) !== PODS_PER_NODE - 1).length;
  if (uneven > 0) progress(`zone: ${uneven} nodes do not hold ${PODS_PER_NODE - 1} Deployment pods`);
  // Let the controllers go quiet before the wave.
  await sleep(5000);
  return pool;
}

function apiServerView(before: Awaited<ReturnType<typeof scrape>>, after: typeof before): ApiServerView {
  const rejectedByApf: Record<string, number> = {};
  for (const sample of after)
    if (sample.name === 'apiserver_flowcontrol_rejected_requests_total') {
      const level = `${sample.labels.priority_level}/${sample.labels.reason}`;
      const delta = counterDelta(before, after, sample.name, {
        priority_level: sample.labels.priority_level ?? '',
        reason: sample.labels.reason ?? '',
        flow_schema: sample.labels.flow_schema ?? '',
      });
      if (delta > 0) rejectedByApf[level] = (rejectedByApf[level] ?? 0) + delta;
    }
  const latencyOf = (verb: string, resource: string, subresource = '') =>
    histogramDelta(before, after, 'apiserver_request_duration_seconds', { verb, resource, subresource });
  const levels = new Set(
    after
      .filter((s) => s.name === 'apiserver_flowcontrol_request_wait_duration_seconds_count')
      .map((s) => s.labels.priority_level ?? ''),
  );
  const apfWaitByLevel: Record<string, HistogramDelta> = {};
  for (const level of levels) {
    const delta = histogramDelta(before, after, 'apiserver_flowcontrol_request_wait_duration_seconds', {
      priority_level: level,
      execute: 'true',
    });
    if (delta.count > 0) apfWaitByLevel[level] = delta;
  }
  return {
    requests429: counterDelta(before, after, 'apiserver_request_total', { code: '429' }),
    rejectedByApf,
    latency: {
      'GET node': latencyOf('GET', 'nodes'),
      'PATCH node (marks)': latencyOf('PATCH', 'nodes'),
      'LIST pods': latencyOf('LIST', 'pods'),
      'POST pods/eviction': latencyOf('POST', 'pods', 'eviction'),
      'POST events': latencyOf('POST', 'events'),
    },
    apfWait: histogramDelta(before, after, 'apiserver_flowcontrol_request_wait_duration_seconds', {
      execute: 'true',
    }),
    apfWaitByLevel,
  };
}

const flowControlManifest = join(import.meta.dirname, '..', 'infra', 'kubernetes', 'flow-control.yaml');

async function wave(nodes: number, flowControl: boolean): Promise<ZoneResult> {
  return withControlPlane(async (cluster) => {
    if (flowControl) await kubectl(cluster, ['apply', '-f', flowControlManifest]);
    progress(
      `zone: ${nodes} nodes × ${PODS_PER_NODE} pods${flowControl ? ', flow-control.yaml applied' : ''}`,
    );
    const pool = await preparePool(cluster, nodes);
    const before = await scrape(cluster);
    progress(`zone: ${nodes} drains at once`);
    const start = Date.now();
    const records = await Promise.all(pool.nodes.map((node) => drainOne(cluster, node, start)));
    const wallMs = Date.now() - start;
    const after = await scrape(cluster);
    return {
      nodes,
      flowControl,
      podsPerNode: PODS_PER_NODE,
      records,
      wallMs,
      apiServer: apiServerView(before, after),
    };
  });
}

function stats(result: ZoneResult) {
  const cordon = defined(result.records.map((record) => record.cordonMs));
  const accepted = defined(result.records.map((record) => record.allAcceptedMs));
  const failures = result.records.filter((record) => record.outcome !== 'completed');
  return {
    cordon: summarize(cordon),
    allCordonedMs: cordon.length === result.nodes ? Math.max(...cordon) : undefined,
    accepted: summarize(accepted),
    allAcceptedMs: accepted.length === result.nodes ? Math.max(...accepted) : undefined,
    requests: summarize(result.records.map((record) => record.requests)),
    overBudget: result.records.filter((record) => record.requests > result.podsPerNode + 5).length,
    failures,
  };
}

const seconds = (value: number | undefined) => (value === undefined ? '–' : ms(value * 1000, 1));
const quantiles = (summary: Summary) => `${ms(summary.p50)} / ${ms(summary.p99)} / ${ms(summary.max)}`;

const chartFile = (flowControl: boolean) => (flowControl ? 'zone-wave-flow-control.svg' : 'zone-wave.svg');

/**
 * bench/zone-wave.svg (and zone-wave-flow-control.svg): time to cordon of every node of the wave, in the
 * order the drains started.
 */
export function writeZoneChart(results: Results): void {
  for (const name of ['zone', 'zone-flow-control']) {
    const section = results.sections[name];
    const result = section?.result as ZoneResult | undefined;
    if (!section || !result) continue;
    const how = result.flowControl ? 'flow-control.yaml applied' : "kube-apiserver's default flow control";
    const svg = stackedBarChart(
      [
        {
          title: `${result.nodes} nodes × ${result.podsPerNode} pods, warm in-process drains started at once, ${how}`,
          bars: result.records.map((record) =>
            record.cordonMs === undefined
              ? undefined
              : [record.cordonMs, Math.max(0, (record.allAcceptedMs ?? record.cordonMs) - record.cordonMs)],
          ),
        },
      ],
      {
        title: `Availability-zone wave: time from the event to cordon and to every eviction accepted, per node (${section.meta.ranAt.slice(0, 10)}${section.meta.quick ? ', quick' : ''})`,
        yLabel: 'time since the wave started',
        xLabel: 'node, in the order its drain started (× = failed)',
        segmentLabels: ['event → cordon acknowledged', 'cordon → last eviction accepted'],
        colors: ['#08519c', '#c6dbef'],
        references: [{ value: 5000, label: '5 s' }],
      },
    );
    writeFileSync(join(benchDir, chartFile(result.flowControl === true)), svg);
  }
}

function verbTable(result: ZoneResult): string {
  const keys = [...new Set(result.records.flatMap((record) => Object.keys(record.byVerb)))].sort();
  const rows = keys.map((key) => {
    const counts = result.records.map((record) => record.byVerb[key] ?? 0);
    const s = summarize(counts);
    return [`\`${key}\``, s.p50 ?? 0, s.max ?? 0, counts.reduce((a, b) => a + b, 0)];
  });
  return table(['Request', 'Per node (median)', 'Per node (max)', 'Whole wave'], rows);
}

export const zone: Benchmark<ZoneResult> = {
  name: 'zone',
  title: '3. Availability-zone wave: the API server under N drains at once',
  async run({ quick }) {
    return wave(quick ? 50 : 500, false);
  },

  targets(result) {
    const s = stats(result);
    return [
      {
        target: `All ${result.nodes} nodes cordoned within 5 s`,
        measured: `all cordoned after ${ms(s.allCordonedMs)} (p50 ${ms(s.cordon.p50)})`,
        met: s.allCordonedMs === undefined ? false : s.allCordonedMs <= 5000,
      },
      {
        target: 'No invocation fails',
        measured: `${s.failures.length} of ${result.nodes} not completed`,
        met: s.failures.length === 0,
      },
      {
        target: `API requests per node ≤ pods + 5 (${result.podsPerNode + 5})`,
        measured: `median ${s.requests.p50}, max ${s.requests.max}; ${s.overBudget} nodes over`,
        met: s.overBudget === 0,
      },
    ];
  },

  markdown(result, meta) {
    const s = stats(result);
    const api = result.apiServer;
    const rejected = Object.entries(api.rejectedByApf);
    const failures = s.failures
      .slice(0, 5)
      .map((record) => `- ${record.name}: ${record.outcome}, ${record.error}`);
    return `
${result.nodes} spot nodes × ${result.podsPerNode} pods (19 Deployment pods spread evenly, grace 5 s, and one
DaemonSet pod), no PodDisruptionBudgets, all interrupted at once: ${result.nodes} drains start in the same
moment in this process, each with a client and a keep-alive connection of its own (as ${result.nodes} Lambdas
would have), as the restricted drainer identity. Each resolves its node (one GET by name) and runs
\`drainNode\` with production settings. The handlers' own start-up is not in these numbers (see the
own-CPU wave, benchmark 2, and the cold start, benchmark 5): this is what the API server, shared by all invocations, does with a zone's
worth of drains at once.

![time to cordon per node, availability-zone wave](${chartFile(result.flowControl === true)})

${table(
  [
    'Nodes × pods',
    'All cordoned',
    'Cordon p50 / p99 / max',
    'All evictions accepted',
    'Last eviction p50 / p99 / max',
    'Drains not completed',
    'Wave wall time',
  ],
  [
    [
      `${result.nodes} × ${result.podsPerNode}`,
      ms(s.allCordonedMs),
      quantiles(s.cordon),
      ms(s.allAcceptedMs),
      quantiles(s.accepted),
      `${s.failures.length}`,
      ms(result.wallMs),
    ],
  ],
)}
${failures.length > 0 ? `\n${failures.join('\n')}\n` : ''}
API requests per node: median ${s.requests.p50}, max ${s.requests.max} (budget pods + 5 = ${result.podsPerNode + 5}; ${s.overBudget} nodes over), by request:

${verbTable(result)}

The API server's own metrics over the wave (the difference of two scrapes of \`/metrics\`; every client's requests, the controllers' and kwok's too):

${table(
  ['Request', 'Count', 'apiserver_request_duration_seconds p50 / p99', 'mean'],
  Object.entries(api.latency).map(([what, h]) => [
    what,
    h.count,
    `${seconds(h.p50S)} / ${seconds(h.p99S)}`,
    seconds(h.meanS),
  ]),
)}

Priority and Fairness: ${api.requests429} requests answered 429 (\`apiserver_request_total{code="429"}\`);
rejections by priority level and reason: ${rejected.length > 0 ? rejected.map(([key, count]) => `${key} ${count}`).join(', ') : 'none'}.
Queue wait (\`apiserver_flowcontrol_request_wait_duration_seconds\`, executed requests): p50 ${seconds(api.apfWait.p50S)},
p99 ${seconds(api.apfWait.p99S)} over ${api.apfWait.count} requests; by priority level: ${
      Object.entries(api.apfWaitByLevel)
        .map(([level, h]) => `${level} ${h.count} (p99 ${seconds(h.p99S)})`)
        .join(', ') || '–'
    }. Each invocation's client paces itself by the answers it gets (src/kube/pacing.ts): one request in
flight at first, doubled with each window of answers, no growth while answers take over a second (they
waited in a queue), and on a 429 a pause for its Retry-After and half the window. A 429 that still comes is
retried by the drain's attempt loop (backoff with jitter, the Retry-After honoured): it shows here as
requests beyond pods + 5 on the nodes that met it, and as a failed drain only if the retries outlast the
deadline. Once every eviction is accepted, each drain waits for its pods to leave (one watch); on this
machine the one kwok that plays every kubelet deletes ${result.nodes * (result.podsPerNode - 1)} pods after
their grace period, and when that takes longer than the deadline the drain looks at the node once more
(a second pod list) before it reports: the wait is kwok's, not the API server's.

On this ${meta.machine.nproc}-core machine the ${result.nodes} drains, etcd, the API server, the controllers and
kwok share the cores: the API server's latencies and the times above include waiting for CPU that a real
control plane (several cores, API servers replicated) would not, and the one process running every drain
has to do ${result.nodes} TLS handshakes at once. The request counts are properties of the drainer (but
for the second pod list above), and the 429s of the drainer's pacing and the API server's Priority and
Fairness configuration (here kube-apiserver's defaults:
--max-requests-inflight 400, --max-mutating-requests-inflight 200${
      result.flowControl
        ? ', with infra/kubernetes/flow-control.yaml applied: node reads and marks in `workload-high`, the rest in a level of its own'
        : ', and its default FlowSchemas: every drainer request in `global-default`'
    }), not of the machine.
`;
  },
};

/** The same wave with the project's optional API Priority and Fairness manifest applied first. */
export const zoneFlowControl: Benchmark<ZoneResult> = {
  ...zone,
  name: 'zone-flow-control',
  title: '3b. Availability-zone wave with infra/kubernetes/flow-control.yaml applied',
  async run({ quick }) {
    return wave(quick ? 50 : 500, true);
  },
};

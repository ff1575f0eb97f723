/**
 * Own-CPU critical path: what one cold invocation takes when it has CPU of its own, as on Lambda or
 * Functions, while the API server carries a whole wave. Each round fires a wave over every node of the
 * pool at the same moment: one node's event goes to a cold process importing the bundle (alone on the
 * machine's CPU apart from the control plane), the others' to warm in-process drains (bench/zone.ts
 * `drainOne`) that load the API server as the rest of the wave would. The pool is unmarked and its pods
 * placed again between rounds; each round's cold invocation takes the next node.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import type { SpotPool } from '../src/local-cluster/node-pool.ts';
import { buildBundles } from './lib/bundles.ts';
import type { BenchCluster } from './lib/cluster.ts';
import { withControlPlane } from './lib/cluster.ts';
import type { InvocationRecord } from './lib/invocation.ts';
import { type Benchmark, benchDir, ms, type Results, table } from './lib/report.ts';
import { defined, summarize } from './lib/stats.ts';
import { stackedBarChart } from './lib/svg.ts';
import { progress, until } from './lib/timing.ts';
import { setPods } from './lib/workloads.ts';
import { aksTokens, childEnv, invoke, VARIANTS, type Variant } from './mass.ts';
import { drainOne, PODS_PER_NODE, preparePool } from './zone.ts';

const HANDLERS = ['aws-eks', 'azure'] as const satisfies readonly Variant[];
type Handler = (typeof HANDLERS)[number];

interface ColdRound extends Partial<InvocationRecord> {
  name: string;
  fireAt: number;
  exitCode: number | null;
  /** The warm drains of the same wave: median time to cordon, and how many did not complete. */
  warmCordonP50?: number;
  warmFailures: number;
}

interface OwnCpuRun {
  handler: Handler;
  nodes: number;
  podsPerNode: number;
  rounds: ColdRound[];
}

export interface OwnCpuResult {
  runs: OwnCpuRun[];
}

const PREFIX = 'spot-drainer.io/';
const LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** JSON Patch (RFC 6902) that takes every spot-drainer mark off the node and uncordons it. */
function unmarkPatch(node: V1Node): object[] {
  const keep = <T>(entries: Record<string, T> | undefined, drop: (key: string) => boolean) =>
    Object.fromEntries(Object.entries(entries ?? {}).filter(([key]) => !drop(key)));
  return [
    { op: 'replace', path: '/spec/unschedulable', value: false },
    {
      op: 'replace',
      path: '/spec/taints',
      value: (node.spec?.taints ?? []).filter((taint) => !taint.key.startsWith(PREFIX)),
    },
    {
      op: 'replace',
      path: '/metadata/annotations',
      value: keep(node.metadata?.annotations, (key) => key.startsWith(PREFIX)),
    },
    {
      op: 'replace',
      path: '/metadata/labels',
      value: keep(node.metadata?.labels, (key) => key === LB_LABEL),
    },
  ];
}

/** Unmarks every node of the pool and waits until each holds its pods again, none terminating. */
async function rearm(cluster: BenchCluster, pool: SpotPool): Promise<void> {
  const { core } = cluster.apis;
  for (const { name } of pool.nodes) {
    const node = await core.readNode({ name });
    await core.patchNode(
      { name, body: unmarkPatch(node) },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  }
  const expected = (PODS_PER_NODE - 1) * pool.nodes.length;
  await until(
    `${expected} pods placed again`,
    async () => {
      const pods = await setPods(cluster.apis, pool, 'zone');
      const placed = pods.filter((pod) => pod.spec?.nodeName && !pod.metadata?.deletionTimestamp);
      return placed.length === expected && pods.length === expected;
    },
    { timeoutMs: 600_000, intervalMs: 500 },
  );
}

async function round(
  cluster: BenchCluster,
  pool: SpotPool,
  handler: Handler,
  index: number,
  work: string,
): Promise<ColdRound> {
  const cold = pool.nodes[index % pool.nodes.length]!;
  const [token] = handler === 'azure' ? await aksTokens(cluster, 1) : [];
  const files = { log: join(work, `${index}.log`), record: join(work, `${index}.json`) };
  const fireAt = Date.now();
  const exit = invoke(
    handler === 'azure' ? 'invoke-azure.ts' : 'invoke-aws.ts',
    childEnv(cluster, handler, cold, fireAt, token),
    files,
    0,
  );
  const warm = await Promise.all(
    pool.nodes.filter((node) => node !== cold).map((node) => drainOne(cluster, node, fireAt)),
  );
  const exitCode = await exit;
  const record = existsSync(files.record)
    ? (JSON.parse(readFileSync(files.record, 'utf8')) as InvocationRecord)
    : { error: `no record (exit ${exitCode})` };
  return {
    name: cold.name,
    fireAt,
    exitCode,
    ...record,
    warmCordonP50: summarize(defined(warm.map((w) => w.cordonMs))).p50,
    warmFailures: warm.filter((w) => w.outcome !== 'completed').length,
  };
}

async function run(handler: Handler, nodes: number, rounds: number): Promise<OwnCpuRun> {
  const { cloud } = VARIANTS[handler];
  return withControlPlane(async (cluster) => {
    progress(`own-cpu ${handler}: ${nodes} nodes × ${PODS_PER_NODE} pods, ${rounds} rounds`);
    const pool = await preparePool(cluster, nodes, cloud, `own-${cloud}`);
    const work = mkdtempSync(join(tmpdir(), `spot-drainer-bench-own-cpu-${cloud}-`));
    const records: ColdRound[] = [];
    for (let index = 0; index < rounds; index++) {
      if (index > 0) await rearm(cluster, pool);
      records.push(await round(cluster, pool, handler, index, work));
      progress(`own-cpu ${handler}: round ${index + 1}/${rounds}`);
    }
    rmSync(work, { recursive: true, force: true });
    return { handler, nodes, podsPerNode: PODS_PER_NODE, rounds: records };
  });
}

const since = (record: ColdRound, at: number | undefined) =>
  at === undefined ? undefined : at - record.fireAt;
const failed = (record: ColdRound) =>
  record.exitCode !== 0 || !!record.error || record.outcome !== 'completed';

function stats(run: OwnCpuRun) {
  const cordon = defined(run.rounds.map((record) => since(record, record.cordonAt)));
  return {
    cordon: summarize(cordon),
    within2s: cordon.filter((value) => value <= 2000).length,
    accepted: summarize(defined(run.rounds.map((record) => since(record, record.allAcceptedAt)))),
    ready: summarize(defined(run.rounds.map((record) => since(record, record.ready)))),
    readyToCordon: summarize(
      defined(
        run.rounds.map((record) =>
          record.cordonAt === undefined || record.ready === undefined
            ? undefined
            : record.cordonAt - record.ready,
        ),
      ),
    ),
    warmCordon: summarize(defined(run.rounds.map((record) => record.warmCordonP50))),
    failures: run.rounds.filter(failed).length,
    warmFailures: run.rounds.reduce((sum, record) => sum + record.warmFailures, 0),
  };
}

/** bench/own-cpu-wave.svg: each cold invocation's time to cordon, split at "handler ready". */
export function writeOwnCpuChart(results: Results): void {
  const section = results.sections['own-cpu'];
  const result = section?.result as OwnCpuResult | undefined;
  if (!section || !result) return;
  const svg = stackedBarChart(
    result.runs.map((run) => ({
      title: `${VARIANTS[run.handler].short}: one cold invocation per round, ${run.nodes - 1} warm drains beside it`,
      bars: run.rounds.map((record) =>
        record.cordonAt === undefined || record.ready === undefined
          ? undefined
          : [record.ready - record.fireAt, record.cordonAt - record.ready],
      ),
    })),
    {
      title: `Own-CPU wave: cold invocation, event to cordon acknowledged (${section.meta.ranAt.slice(0, 10)}${section.meta.quick ? ', quick' : ''})`,
      yLabel: 'time since the event',
      xLabel: 'round (× = failed)',
      segmentLabels: ['event → handler ready (process start, import)', 'handler ready → cordon acknowledged'],
      colors: ['#9ecae1', '#08519c'],
      references: [{ value: 2000, label: '2 s' }],
    },
  );
  writeFileSync(join(benchDir, 'own-cpu-wave.svg'), svg);
}

export const ownCpu: Benchmark<OwnCpuResult> = {
  name: 'own-cpu',
  title: '2. Mass interruption, own-CPU critical path: one cold invocation at a time under a full wave',
  async run({ quick }) {
    await buildBundles();
    const nodes = quick ? 10 : 50;
    // A round is a whole 50-node wave (placing 1000 pods, then draining them): about 25 s here, so 10
    // rounds per handler keep the full run near 10 minutes. Each round samples one cold invocation.
    const rounds = quick ? 4 : 10;
    const runs: OwnCpuRun[] = [];
    for (const handler of HANDLERS) runs.push(await run(handler, nodes, rounds));
    return { runs };
  },

  targets(result) {
    return result.runs.map((run) => {
      const s = stats(run);
      return {
        target: `${VARIANTS[run.handler].short}: every cold invocation cordons within 2 s of its event`,
        measured: `${s.within2s}/${run.rounds.length} within 2 s; p50 ${ms(s.cordon.p50)}, p99 ${ms(s.cordon.p99)}; ${s.failures} failures`,
        met: run.rounds.length > 0 && s.within2s === run.rounds.length,
      };
    });
  },

  markdown(result, meta) {
    const rows = result.runs.map((run) => {
      const s = stats(run);
      return [
        VARIANTS[run.handler].short,
        `${run.rounds.length} × (${run.nodes} × ${run.podsPerNode})`,
        `${s.within2s} / ${run.rounds.length}`,
        `${ms(s.cordon.p50)} / ${ms(s.cordon.p99)}`,
        `${ms(s.accepted.p50)} / ${ms(s.accepted.p99)}`,
        `${ms(s.ready.p50)} / ${ms(s.ready.p99)}`,
        `${ms(s.readyToCordon.p50)} / ${ms(s.readyToCordon.p99)}`,
        ms(s.warmCordon.p50),
        `${s.failures} (warm: ${s.warmFailures})`,
      ];
    });
    const nodes = result.runs[0]?.nodes ?? 0;
    return `
A wave of ${nodes} nodes × ${PODS_PER_NODE} pods (19 Deployment pods spread evenly, grace 5 s, one DaemonSet pod) is
fired at once, round after round. In each round one node's event goes to a **cold process** that imports the
bundle (dist/aws/handler.mjs with EKS access, or dist/azure/main.mjs) and invokes the handler once, exactly as
in the contended benchmark below but alone: no other handler process competes for the ${meta.machine.nproc} cores. The
other ${nodes - 1} nodes' events go, at the same moment, to warm in-process drains (each with its own client and
connection, as in the availability-zone wave), so the API server carries the whole wave. Between rounds the
marks are taken off and the pods placed again; each round's cold invocation takes the next node. Times are
from the moment the event was fired (just before the process was spawned), per cold invocation.

![own-CPU wave: time to cordon per cold invocation](own-cpu-wave.svg)

${table(
  [
    'Handler',
    'Rounds × (nodes × pods)',
    'Cordoned ≤ 2 s',
    'Event → cordon acknowledged p50 / p99',
    'Event → last eviction accepted p50 / p99',
    'of which: event → handler ready',
    'handler ready → cordon',
    'Warm drains: cordon (median of round medians)',
    'Failures',
  ],
  rows,
)}

This is the figure Lambda and Functions would show: each invocation has CPU of its own there, while the
API server is shared by the whole wave. It is still bounded by this machine: the cold process shares the
cores with etcd, the API server, the controllers, kwok and the ${nodes - 1} warm drains running in the benchmark's
own process at that moment.
`;
  },
};

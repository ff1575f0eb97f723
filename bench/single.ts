/**
 * Single node: our engine (as the restricted drainer identity) against `kubectl drain`, on two identical
 * nodes of 110 pods in the same run, alternating which goes first. Both are timed by the same outside
 * watcher; our engine's own report is recorded next to it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { drainNode } from '../src/drain/engine.ts';
import { defaultDrainSettings } from '../src/drain/settings.ts';
import type { Interruption } from '../src/events/interruption.ts';
import type { ClusterInfo } from '../src/local-cluster/control-plane.ts';
import { createSpotPool, type PoolNode, type SpotPool } from '../src/local-cluster/node-pool.ts';
import { silentLogger } from '../src/logging.ts';
import { type BenchCluster, drainerClient, withControlPlane } from './lib/cluster.ts';
import { observeDrain } from './lib/observe.ts';
import { type Benchmark, ms, table, times } from './lib/report.ts';
import { defined, median, ratio } from './lib/stats.ts';
import { progress, round } from './lib/timing.ts';
import {
  barePods,
  daemonSet,
  deployment,
  placeSet,
  removePool,
  statefulSet,
  waitBudgetsSettled,
  waitSetReady,
} from './lib/workloads.ts';

type Scenario = 'mix' | 'pdb-gated';
type Tool = 'ours' | 'kubectl';

const SPARE_NODES = 4;
const DAEMONSETS = ['log-agent', 'node-exporter'];
/** Pods a drain moves: 110 per node (the kubelet's default maximum) less one per DaemonSet. */
const MOVED_PODS = 110 - DAEMONSETS.length;
/** Bare pods are not replaced once evicted. */
const BARE_PODS = 5;
const DRAIN_TIMEOUT_MS = 300_000;

/** Times from the tool's start (before the client or the kubectl process exists), seen by the watcher. */
interface ToolRun {
  tool: Tool;
  node: string;
  pods: number;
  cordonMs?: number;
  allAcceptedMs?: number;
  emptyMs?: number;
  /** Until the drain returned (our drainNode, or kubectl's exit). */
  returnedMs: number;
  kubectlExitCode?: number;
  /** Our engine's own report (times from drainNode's start, after the node GET). */
  engine?: {
    startOffsetMs: number;
    cordonMs?: number;
    lastEvictionAcceptedMs?: number;
    emptyMs?: number;
    totalMs: number;
    apiRequests: number;
    requestsUntilCordon: number;
    outcome: string;
    evicted: number;
  };
}

interface Repetition {
  scenario: Scenario;
  rep: number;
  order: Tool[];
  runs: Record<Tool, ToolRun>;
  /** Round trips in the same run (medians): GET /version on new and warm connections, a cordon-like PATCH. */
  rttMs: { versionCold: number; versionWarm: number; nodeCordonWarm: number };
}

export interface SingleResult {
  podsPerNode: number;
  repetitions: Repetition[];
}

interface ToolSummary {
  cordonMs?: number;
  allAcceptedMs?: number;
  emptyMs?: number;
}

/** Medians over the repetitions of one scenario. */
function summarize(result: SingleResult, scenario: Scenario) {
  const reps = result.repetitions.filter((rep) => rep.scenario === scenario);
  const tool = (name: Tool): ToolSummary => ({
    cordonMs: median(defined(reps.map((rep) => rep.runs[name].cordonMs))),
    allAcceptedMs: median(defined(reps.map((rep) => rep.runs[name].allAcceptedMs))),
    emptyMs: median(defined(reps.map((rep) => rep.runs[name].emptyMs))),
  });
  const engines = defined(reps.map((rep) => rep.runs.ours.engine));
  return {
    reps: reps.length,
    ours: tool('ours'),
    kubectl: tool('kubectl'),
    engineCordonMs: median(defined(engines.map((engine) => engine.cordonMs))),
    maxRequestsUntilCordon: Math.max(0, ...engines.map((engine) => engine.requestsUntilCordon)),
    apiRequests: median(engines.map((engine) => engine.apiRequests)),
    rttColdMs: median(reps.map((rep) => rep.rttMs.versionCold)),
    rttWarmMs: median(reps.map((rep) => rep.rttMs.versionWarm)),
    rttPatchMs: median(reps.map((rep) => rep.rttMs.nodeCordonWarm)),
  };
}

/** One request as the drainer over `agent` (node:https, keep-alive, like the production client). */
function roundTrip(
  info: ClusterInfo,
  agent: Agent,
  method: string,
  path: string,
  body?: { contentType: string; value: unknown },
): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${info.server}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${info.drainerToken}`,
          ...(body ? { 'content-type': body.contentType } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - start)
            : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body.value));
  });
}

const RTT_KEY = 'bench.spot-drainer.io/rtt';

/** A patch shaped like the engine's marks (cordon, a taint, a label, annotations), and its undoing. */
const cordonLike = (i: number) => ({
  contentType: 'application/json-patch+json',
  value: [
    { op: 'add', path: '/spec/unschedulable', value: true },
    { op: 'add', path: '/spec/taints', value: [{ key: RTT_KEY, value: 'aws', effect: 'NoSchedule' }] },
    { op: 'add', path: `/metadata/labels/${RTT_KEY.replace('/', '~1')}`, value: 'true' },
    {
      op: 'add',
      path: `/metadata/annotations/${RTT_KEY.replace('/', '~1')}`,
      value: `{"event":"${randomUUID()}","i":${i}}`,
    },
  ],
});
const undoCordonLike = {
  contentType: 'application/merge-patch+json',
  value: {
    spec: { unschedulable: null, taints: null },
    metadata: { labels: { [RTT_KEY]: null }, annotations: { [RTT_KEY]: null } },
  },
};

/**
 * The round trips a cordon is compared with, as the drainer: GET /version on new connections (TCP + TLS)
 * and on a warm one, and a cordon-like JSON patch of a spare node on a warm one (undone after each).
 */
async function roundTrips(info: ClusterInfo, spare: PoolNode): Promise<Repetition['rttMs']> {
  const ca = readFileSync(info.caFile, 'utf8');
  const cold: number[] = [];
  for (let i = 0; i < 10; i++) {
    const agent = new Agent({ ca, keepAlive: true });
    cold.push(await roundTrip(info, agent, 'GET', '/version'));
    agent.destroy();
  }
  const agent = new Agent({ ca, keepAlive: true, maxSockets: 1 });
  await roundTrip(info, agent, 'GET', '/version');
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) warm.push(await roundTrip(info, agent, 'GET', '/version'));
  const path = `/api/v1/nodes/${spare.name}`;
  const cordon: number[] = [];
  for (let i = 0; i < 10; i++) {
    cordon.push(await roundTrip(info, agent, 'PATCH', path, cordonLike(i)));
    await roundTrip(info, agent, 'PATCH', path, undoCordonLike);
  }
  agent.destroy();
  const med = (values: number[]) => round(median(values) ?? 0, 2);
  return { versionCold: med(cold), versionWarm: med(warm), nodeCordonWarm: med(cordon) };
}

/** 108 pods that move plus the DaemonSets' two: Deployments with PDBs, a StatefulSet, emptyDir, bare, critical. */
async function createMix(cluster: BenchCluster, pool: SpotPool, set: string, gated: boolean) {
  const { apis } = cluster;
  await deployment(apis, pool, set, {
    name: `${set}-web`,
    replicas: 40,
    graceSeconds: 3,
    pdb: { maxUnavailable: '25%' },
  });
  await deployment(apis, pool, set, {
    name: `${set}-api`,
    replicas: 30,
    graceSeconds: 5,
    pdb: { minAvailable: '50%' },
  });
  await deployment(apis, pool, set, { name: `${set}-worker`, replicas: gated ? 10 : 20, graceSeconds: 2 });
  if (gated) {
    await deployment(apis, pool, set, {
      name: `${set}-gated`,
      replicas: 10,
      graceSeconds: 3,
      pdb: { maxUnavailable: 1 },
    });
  }
  await statefulSet(apis, pool, set, {
    name: `${set}-db`,
    replicas: 3,
    graceSeconds: 3,
    pdb: { maxUnavailable: 1 },
  });
  await deployment(apis, pool, set, { name: `${set}-cache`, replicas: 8, graceSeconds: 2, emptyDir: true });
  await barePods(apis, pool, set, `${set}-bare`, BARE_PODS, { graceSeconds: 2 });
  await deployment(apis, pool, set, {
    name: `${set}-dns`,
    replicas: 2,
    graceSeconds: 3,
    priorityClassName: 'system-cluster-critical',
  });
}

function spotInterruption(node: PoolNode, at: number): Interruption {
  return {
    cloud: 'aws',
    kind: 'spot-interruption',
    eventId: randomUUID(),
    machine: { cloud: 'aws', instanceId: node.machineId, zone: node.zone },
    action: 'drain',
    deadline: new Date(at + 120_000),
    eventTime: new Date(at),
    details: { 'instance-action': 'terminate' },
  };
}

async function runOurs(cluster: BenchCluster, node: PoolNode): Promise<ToolRun> {
  const observer = await observeDrain(cluster.kubeConfig, cluster.apis, node.name);
  const requests: { method: string; url: string; at: number }[] = [];
  const start = Date.now();
  const kube = drainerClient(cluster.info, (method, url) => requests.push({ method, url, at: Date.now() }));
  const current = await kube.core.readNode({ name: node.name });
  const drainStart = Date.now();
  const report = await drainNode(current, spotInterruption(node, start), {
    kube,
    logger: silentLogger,
    settings: { ...defaultDrainSettings },
  });
  const returnedMs = Date.now() - start;
  const seen = await observer.done(DRAIN_TIMEOUT_MS);
  await kube.close();
  const drainRequests = requests.slice(1);
  return {
    tool: 'ours',
    node: node.name,
    pods: seen.pods,
    cordonMs: seen.cordonAt && seen.cordonAt - start,
    allAcceptedMs: seen.allAcceptedAt && seen.allAcceptedAt - start,
    emptyMs: seen.emptyAt && seen.emptyAt - start,
    returnedMs,
    engine: {
      startOffsetMs: drainStart - start,
      cordonMs: report.timings.cordonMs,
      lastEvictionAcceptedMs: report.timings.lastEvictionAcceptedMs,
      emptyMs: report.timings.emptyMs,
      totalMs: report.timings.totalMs,
      apiRequests: report.apiRequests,
      // The drain's requests up to and including its first node PATCH (the cordon).
      requestsUntilCordon:
        drainRequests.findIndex((entry) => entry.method === 'PATCH' && entry.url.includes('/nodes/')) + 1,
      outcome: report.outcome,
      evicted: report.counts.evicted,
    },
  };
}

function runProcess(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error) =>
      resolve(error ? Number((error as { code?: number }).code ?? 1) : 0),
    );
  });
}

async function runKubectl(cluster: BenchCluster, node: PoolNode): Promise<ToolRun> {
  const observer = await observeDrain(cluster.kubeConfig, cluster.apis, node.name);
  const { info, kubectlCacheDir } = cluster;
  const start = Date.now();
  const code = await runProcess(info.kubectl, [
    '--kubeconfig',
    info.adminKubeconfig,
    '--cache-dir',
    kubectlCacheDir,
    'drain',
    node.name,
    '--ignore-daemonsets',
    '--delete-emptydir-data',
    '--force',
    `--timeout=${DRAIN_TIMEOUT_MS / 1000}s`,
  ]);
  const returnedMs = Date.now() - start;
  const seen = await observer.done(DRAIN_TIMEOUT_MS);
  return {
    tool: 'kubectl',
    node: node.name,
    pods: seen.pods,
    cordonMs: seen.cordonAt && seen.cordonAt - start,
    allAcceptedMs: seen.allAcceptedAt && seen.allAcceptedAt - start,
    emptyMs: seen.emptyAt && seen.emptyAt - start,
    returnedMs,
    kubectlExitCode: code,
  };
}

async function repetition(cluster: BenchCluster, scenario: Scenario, rep: number): Promise<Repetition> {
  const { apis } = cluster;
  const gated = scenario === 'pdb-gated';
  const pool = await createSpotPool(apis, {
    cloud: 'aws',
    nodes: 2 + SPARE_NODES,
    id: `single-${scenario}-${rep}-${randomUUID().slice(0, 6)}`,
  });
  try {
    const [ours, theirs] = pool.nodes as [PoolNode, PoolNode];
    for (const name of DAEMONSETS) await daemonSet(apis, pool, name);
    await waitSetReady(apis, pool, 'daemonset', DAEMONSETS.length * pool.nodes.length);
    await placeSet(apis, pool, ours, 'ours', MOVED_PODS, () => createMix(cluster, pool, 'ours', gated));
    await placeSet(apis, pool, theirs, 'kubectl', MOVED_PODS, () =>
      createMix(cluster, pool, 'kubectl', gated),
    );
    await waitBudgetsSettled(apis, pool);
    const rttMs = await roundTrips(cluster.info, pool.nodes[2]!);
    const order: Tool[] = rep % 2 === 0 ? ['ours', 'kubectl'] : ['kubectl', 'ours'];
    const runs: Partial<Record<Tool, ToolRun>> = {};
    for (const tool of order) {
      progress(`single ${scenario} #${rep + 1}: ${tool}`);
      runs[tool] = tool === 'ours' ? await runOurs(cluster, ours) : await runKubectl(cluster, theirs);
      // Let the replacements settle before the other tool starts.
      await waitSetReady(apis, pool, tool, MOVED_PODS - BARE_PODS, 120_000).catch(() => undefined);
      await waitBudgetsSettled(apis, pool).catch(() => undefined);
    }
    return { scenario, rep, order, runs: runs as Record<Tool, ToolRun>, rttMs };
  } finally {
    await removePool(apis, pool);
  }
}

export const single: Benchmark<SingleResult> = {
  name: 'single',
  title: '1. Single node: spot-drainer vs kubectl drain',
  async run({ quick }) {
    const reps = quick ? 1 : 3;
    return withControlPlane(async (cluster) => {
      const repetitions: Repetition[] = [];
      for (const scenario of ['mix', 'pdb-gated'] as const)
        for (let rep = 0; rep < reps; rep++) repetitions.push(await repetition(cluster, scenario, rep));
      return { podsPerNode: 110, repetitions };
    });
  },

  targets(result) {
    const gated = summarize(result, 'pdb-gated');
    const engines = defined(result.repetitions.map((rep) => rep.runs.ours.engine));
    const cordon = median(defined(engines.map((engine) => engine.cordonMs)));
    const patchRtt = median(result.repetitions.map((rep) => rep.rttMs.nodeCordonWarm));
    const versionRtt = median(result.repetitions.map((rep) => rep.rttMs.versionWarm));
    const firstRequest = engines.length > 0 && engines.every((engine) => engine.requestsUntilCordon === 1);
    const gatedRatio = ratio(gated.ours.emptyMs, gated.kubectl.emptyMs);
    return [
      {
        target:
          "Cordon within one API round trip of the start (the drain's first request; < 2 cordon-PATCH round trips)",
        measured:
          `cordon acknowledged ${ms(cordon, 1)} after the drain starts, ${firstRequest ? 'with its first request' : 'NOT with its first request'}; ` +
          `one cordon-like PATCH ${ms(patchRtt, 1)}, GET /version ${ms(versionRtt, 2)} (warm connection, same run)`,
        met:
          cordon === undefined || patchRtt === undefined ? undefined : firstRequest && cordon < 2 * patchRtt,
      },
      {
        target: 'PDB-gated drain ≤ ½ of kubectl drain (time until the node is empty)',
        measured: `${ms(gated.ours.emptyMs)} vs ${ms(gated.kubectl.emptyMs)}: ${times(gatedRatio)}`,
        met: gatedRatio === undefined ? undefined : gatedRatio <= 0.5,
      },
    ];
  },

  markdown(result) {
    const rows: string[][] = [];
    for (const scenario of ['mix', 'pdb-gated'] as const) {
      const s = summarize(result, scenario);
      if (s.reps === 0) continue;
      const metric = (label: string, key: keyof ToolSummary) => [
        scenario === 'mix' ? 'realistic mix' : 'mix + PDB-gated Deployment',
        label,
        ms(s.ours[key]),
        ms(s.kubectl[key]),
        times(ratio(s.ours[key], s.kubectl[key])),
      ];
      rows.push(
        metric('time to cordon', 'cordonMs'),
        metric('every eviction accepted', 'allAcceptedMs'),
        metric('node empty', 'emptyMs'),
      );
    }
    const repRows = result.repetitions.map((rep) => {
      const { ours, kubectl } = rep.runs;
      return [
        `${rep.scenario} #${rep.rep + 1}`,
        rep.order.join(' → '),
        `${ms(ours.cordonMs)} / ${ms(ours.allAcceptedMs)} / ${ms(ours.emptyMs)}`,
        `${ms(kubectl.cordonMs)} / ${ms(kubectl.allAcceptedMs)} / ${ms(kubectl.emptyMs)}${kubectl.kubectlExitCode ? ` (exit ${kubectl.kubectlExitCode})` : ''}`,
        `${ms(ours.engine?.cordonMs)} / ${ms(ours.engine?.lastEvictionAcceptedMs)} / ${ms(ours.engine?.emptyMs)}`,
        `${ours.engine?.apiRequests ?? '–'} (${ours.engine?.outcome ?? '–'})`,
        `${ms(rep.rttMs.versionCold, 2)} / ${ms(rep.rttMs.versionWarm, 2)} / ${ms(rep.rttMs.nodeCordonWarm, 2)}`,
      ];
    });
    const mix = summarize(result, 'mix');
    return `
Two identical nodes, ${result.podsPerNode} pods each (the kubelet's default maximum): Deployments with
PodDisruptionBudgets (web ×40 maxUnavailable 25%, api ×30 minAvailable 50%), a worker Deployment ×20, a
StatefulSet ×3 (PDB maxUnavailable 1), emptyDir pods ×8, bare pods ×5, a system-cluster-critical Deployment
×2 and two DaemonSets; grace periods 2–5 s. The second scenario replaces 10 workers with a Deployment of 10
replicas behind a PDB with maxUnavailable 1. ${SPARE_NODES} spare nodes take the replacements. Our engine
(\`drainNode\`, as the restricted drainer identity, a fresh client per drain) drains one node; \`kubectl
drain --ignore-daemonsets --delete-emptydir-data --force\` (admin kubeconfig, warm discovery cache) the
other, one after the other, alternating which goes first, on fresh nodes each repetition.

Both are timed by the same watcher (a watch on the node and on its pods, from another client) from the
moment the tool starts (before our client exists / before kubectl is spawned): **cordon** = the node seen
unschedulable, **every eviction accepted** = the last moved pod seen terminating, **node empty** = the last
moved pod gone (kwok ends a pod exactly at its grace period). Medians of ${mix.reps} repetition(s):

${table(['Scenario', 'Metric', 'spot-drainer', 'kubectl drain', 'ratio (ours / kubectl)'], rows)}

Our engine's own report (from \`drainNode\`'s start, i.e. after the one GET of the node that precedes
every drain): cordon acknowledged after ${ms(mix.engineCordonMs, 1)} (median, realistic mix); the cordon is the
drain's ${mix.maxRequestsUntilCordon === 1 ? 'first request: nothing is read or listed before it' : `request number ${mix.maxRequestsUntilCordon} (at worst)`};
${mix.apiRequests ?? '–'} API requests per drain (median, events included). Baselines in the same run, as the
drainer: \`GET /version\` takes ${ms(mix.rttColdMs, 2)} on a new connection (TCP + TLS) and ${ms(mix.rttWarmMs, 2)} on a
warm one; a cordon-like JSON patch of a spare node (unschedulable, a taint, a label, an annotation) ${ms(mix.rttPatchMs, 2)}
on a warm one.

Per repetition (watcher: cordon / all accepted / empty; engine report: cordon / last eviction accepted / empty):

${table(
  [
    'Run',
    'Order',
    'spot-drainer (watcher)',
    'kubectl (watcher)',
    'spot-drainer (engine report)',
    'API requests (outcome)',
    'Round trips: GET /version cold / warm, cordon-like PATCH',
  ],
  repRows,
)}
`;
  },
};

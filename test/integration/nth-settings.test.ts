/**
 * The aws-node-termination-handler equivalents on the real control plane, as the restricted identity:
 * cordon-only for every kind (SPOT_DRAINER_CORDON_ONLY), no taint (SPOT_DRAINER_TAINT_NODE=false), and
 * the eviction grace-period override (SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS).
 */
import { describe, expect, it } from 'vitest';
import { drainNode } from '../../src/drain/engine.ts';
import { INTERRUPTIONS_ANNOTATION, MARK_PREFIX, taintKey } from '../../src/drain/marks.ts';
import {
  createDeployment,
  isPodReady,
  type PoolNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { adminApis, eventually, spotPools } from './cluster.ts';
import { drainDeps, interruptionFor, killKubelet, recordingDrainerClient } from './drain-helpers.ts';

const apis = adminApis();
const pool = spotPools('nth', 'each', apis);

/** `replicas` pods of Deployment `name` pinned to `node`, Ready; their uids. */
async function podsPinnedTo(p: SpotPool, node: PoolNode, name: string, replicas: number, graceSeconds = 2) {
  await createDeployment(apis, p, { name, replicas, graceSeconds, nodeName: node.name });
  return eventually(`${name} running on ${node.name}`, async () => {
    const pods = (await podsOnNode(apis.core, node.name)).filter((pod) => pod.metadata?.labels?.app === name);
    return pods.length === replicas && pods.every(isPodReady)
      ? pods.map((pod) => pod.metadata?.uid ?? '').sort()
      : undefined;
  });
}

const spotTaints = async (name: string) =>
  ((await apis.core.readNode({ name })).spec?.taints ?? []).filter((taint) =>
    taint.key.startsWith(MARK_PREFIX),
  );

describe('SPOT_DRAINER_CORDON_ONLY', () => {
  it.each([
    ['spot-interruption', 'drain'],
    ['instance-state-change', 'cleanup'],
  ] as const)('a %s (%s) only cordons and taints: every pod stays', async (kind, action) => {
    const p = await pool(2);
    const target = p.nodes[0]!;
    const before = await podsPinnedTo(p, target, 'web', 2);
    const { kube, requests } = recordingDrainerClient();

    const report = await drainNode(
      await apis.core.readNode({ name: target.name }),
      interruptionFor(target, { kind, action, deadline: new Date(Date.now() + 60_000) }),
      drainDeps(kube, { cordonOnly: true }),
    );

    expect(report).toMatchObject({
      outcome: 'completed',
      action: 'cordon',
      counts: { evicted: 0, deleted: 0 },
    });
    expect(requests.filter((request) => request.path.endsWith('/eviction'))).toEqual([]);
    expect(requests.filter((request) => request.method === 'DELETE')).toEqual([]);
    const node = await apis.core.readNode({ name: target.name });
    expect(node.spec?.unschedulable).toBe(true);
    expect(await spotTaints(target.name)).toEqual([
      { key: taintKey(kind), value: 'aws', effect: 'NoSchedule' },
    ]);
    expect(JSON.parse(node.metadata?.annotations?.[INTERRUPTIONS_ANNOTATION] ?? '{}')[kind]).toMatchObject({
      action: 'cordon',
    });
    const after = (await podsOnNode(apis.core, target.name))
      .filter((pod) => pod.metadata?.labels?.app === 'web' && !pod.metadata?.deletionTimestamp)
      .map((pod) => pod.metadata?.uid ?? '')
      .sort();
    expect(after).toEqual(before);
  });
});

describe('SPOT_DRAINER_TAINT_NODE=false', () => {
  it('cordons and drains without the taint, and does not report it refused', async () => {
    const p = await pool(2);
    const target = p.nodes[0]!;
    await podsPinnedTo(p, target, 'web', 2);
    const { kube } = recordingDrainerClient();

    const report = await drainNode(
      await apis.core.readNode({ name: target.name }),
      interruptionFor(target),
      drainDeps(kube, { taintNode: false }),
    );

    // Pinned to the node, the replacements stay Pending: the pods evicted are what counts.
    expect(report).toMatchObject({ outcome: 'completed', counts: { evicted: 2 } });
    expect(report.marksRefused).toBeUndefined();
    const node = await apis.core.readNode({ name: target.name });
    expect(node.spec?.unschedulable).toBe(true);
    expect(await spotTaints(target.name)).toEqual([]);
    expect(node.metadata?.annotations?.[INTERRUPTIONS_ANNOTATION]).toContain(report.eventId);
    // The drain's one Event says what the marks were: cordoned, not tainted.
    await eventually('SpotDrained: cordoned, without the taint', async () => {
      const events = await apis.core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.kind=Node,involvedObject.name=${target.name},reason=SpotDrained`,
      });
      return events.items.some((event) =>
        event.message?.startsWith(`Cordoned for spot-interruption (aws event ${report.eventId})`),
      );
    });
  });
});

describe('SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS', () => {
  // The kubelet is stopped first (kwok lets go of the node) so the evicted pods stay terminating and the
  // API server's record of the grace period each eviction carried can be read back.
  it("evicts with the override instead of the pod's own grace period, cut to the deadline", async () => {
    const p = await pool(3);
    const [short, capped] = p.nodes as [PoolNode, PoolNode];
    await podsPinnedTo(p, short, 'slow', 2, 60);
    await podsPinnedTo(p, capped, 'quick', 1, 2);
    await Promise.all([killKubelet(apis, short.name), killKubelet(apis, capped.name)]);
    const { kube } = recordingDrainerClient();
    const settings = { podTerminationGracePeriodSeconds: 7, waitForEmpty: false };
    const deadlineSeconds = 20;

    const [shortReport, cappedReport] = await Promise.all([
      drainNode(
        await apis.core.readNode({ name: short.name }),
        interruptionFor(short),
        drainDeps(kube, settings),
      ),
      drainNode(
        await apis.core.readNode({ name: capped.name }),
        interruptionFor(capped, { deadline: new Date(Date.now() + deadlineSeconds * 1000) }),
        drainDeps(kube, { ...settings, podTerminationGracePeriodSeconds: 300 }),
      ),
    ]);

    expect(shortReport.counts.evicted).toBe(2);
    expect(cappedReport.counts.evicted).toBe(1);
    const grace = async (node: PoolNode) =>
      (await podsOnNode(apis.core, node.name)).map((pod) => pod.metadata?.deletionGracePeriodSeconds);
    expect(await grace(short)).toEqual([7, 7]);
    const [cut] = await grace(capped);
    // 300 s asked, the deadline 20 s away less the 1 s safety margin: at most 19 s, at least 1.
    expect(cut).toBeGreaterThanOrEqual(1);
    expect(cut).toBeLessThanOrEqual(deadlineSeconds - 1);
  });
});

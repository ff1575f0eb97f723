/**
 * At-least-once delivery: the same interruption arrives several times, several interruptions of one
 * machine arrive together, and they arrive out of order. Through the AWS handler (EC2, EKS and Auto
 * Scaling mocked, the cluster real), every such mix must end in the state one orderly delivery of each
 * event leaves, with each pod evicted or deleted at most once (counted at the API server, through a
 * logging proxy).
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  CORDONED_BY_DRAINER_ANNOTATION,
  EXCLUDE_LB_LABEL,
  MARK_PREFIX,
  recordedInterruptions,
} from '../../src/drain/marks.ts';
import type { DrainReport, PodOutcome } from '../../src/drain/report.ts';
import {
  createDeployment,
  type PoolNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { shouldNotify } from '../../src/notify/notifier.ts';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';
import { awsHarness } from './aws-harness.ts';
import { eventually } from './cluster.ts';
import { awsEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { recordFigures, wireSummary } from './faults/figures.ts';

const aws = awsHarness({
  poolPrefix: 'evt',
  env: { SPOT_DRAINER_POD_EVENTS: 'false' },
  faultProxy: {},
  // What the Lambda's notifier is given: it notifies when shouldNotify(report) says so.
  onReport: async (report) => {
    reports.push(report);
  },
});
const { apis } = aws;
const reports: DrainReport[] = [];
/** The notifications the Lambda would send about `node`, by interruption kind. */
const notified = (node: PoolNode) =>
  reports
    .filter((report) => report.node === node.name && shouldNotify(report))
    .map((report) => report.kind)
    .sort();

const handle = (event: unknown): Promise<DeliveryOutcome> => aws.handle(structuredClone(event));

/** A node of its own pool (with a spare for the replacements) running three replicas behind a PDB. */
async function busyNode(): Promise<{ node: PoolNode; pods: V1Pod[]; pool: SpotPool }> {
  const pool = await aws.pool(2);
  const node = pool.nodes[0]!;
  aws.describeInstance(node);
  const pods = await workloadOn(
    apis,
    pool,
    node,
    3,
    () => createDeployment(apis, pool, { name: 'web', replicas: 3, maxUnavailable: 1, graceSeconds: 1 }),
    'web',
  );
  return { node, pods, pool };
}

/** The three notices AWS can send about one spot instance going away, as it would send them now. */
function notices(node: PoolNode) {
  const now = new Date();
  return {
    warning: awsEvent('spot-interruption-warning.json', node.machineId, now),
    shuttingDown: awsEvent('instance-state-change-shutting-down.json', node.machineId, now),
    lifecycle: awsEvent('asg-terminate-lifecycle-action.json', node.machineId, now),
    terminated: (() => {
      const event = awsEvent('instance-state-change-shutting-down.json', node.machineId, now);
      (event.detail as { state: string }).state = 'terminated';
      return event;
    })(),
  };
}

/** What the drainer leaves on a node, without what differs between two nodes (names, ids, times). */
function endState(node: V1Node, pods: V1Pod[]) {
  const recorded = recordedInterruptions(node);
  return {
    unschedulable: node.spec?.unschedulable,
    taints: (node.spec?.taints ?? [])
      .filter((taint) => taint.key?.startsWith(MARK_PREFIX))
      .map((taint) => `${taint.key}=${taint.value}:${taint.effect}`)
      .sort(),
    excludedFromLoadBalancers: node.metadata?.labels?.[EXCLUDE_LB_LABEL],
    cordonedByDrainer: node.metadata?.annotations?.[CORDONED_BY_DRAINER_ANNOTATION],
    recorded: Object.fromEntries(
      Object.entries(recorded)
        .map(([kind, entry]) => [kind, entry?.action])
        .sort(),
    ),
    podsLeft: pods.length,
  };
}

async function settledEndState(node: PoolNode, pool: SpotPool) {
  const left = await eventually(`the pods of ${node.name} gone`, async () => {
    const pods = (await podsOnNode(apis.core, node.name)).filter(
      (pod) => pod.metadata?.namespace === pool.namespace,
    );
    return pods.length === 0 ? pods : undefined;
  });
  return {
    node: await apis.core.readNode({ name: node.name }),
    state: endState(await apis.core.readNode({ name: node.name }), left),
  };
}

/** Accepted evictions and deletions at the API server, for the pods that were on the node. */
function actionsOn(pods: V1Pod[]) {
  const accepted = aws.proxy.acceptedPodActionsByUid();
  return pods.map((pod) => {
    const requests = accepted.get(pod.metadata?.uid ?? '') ?? [];
    return {
      pod: pod.metadata?.name,
      accepted: requests.length,
      evictions: requests.filter((request) => request.eviction).length,
      deletions: requests.filter((request) => request.deletion).length,
    };
  });
}

/**
 * Each pod acted on, and no action repeated: evicted at most once and deleted at most once. A pod
 * evicted by the warning's drain and then force-deleted by the cleanup of a "shutting-down" handled at the
 * same moment is escalation, not repetition: the machine is gone, its grace period is no longer worth
 * waiting for.
 */
function expectEachPodActedOnOnce(pods: V1Pod[]) {
  for (const { pod, accepted, evictions, deletions } of actionsOn(pods)) {
    expect(accepted, pod).toBeGreaterThanOrEqual(1);
    expect(evictions, `${pod} evictions`).toBeLessThanOrEqual(1);
    expect(deletions, `${pod} deletions`).toBeLessThanOrEqual(1);
  }
}

function shuffled<T>(items: T[]): T[] {
  return items
    .map((item) => ({ item, key: Math.random() }))
    .sort((a, b) => a.key - b.key)
    .map(({ item }) => item);
}

/** Each delivery's one report (every delivery names one machine). */
function expectHandled(outcomes: DeliveryOutcome[]): DrainReport[] {
  return outcomes.map((outcome) => {
    expect(outcome.status).toBe('processed');
    expect(outcome.results).toHaveLength(1);
    const [result] = outcome.results;
    expect(result?.status, JSON.stringify(result)).toBe('handled');
    return (result as Extract<typeof result, { status: 'handled' }>).report;
  });
}

/**
 * What a delivery whose deadline is still ahead must report once the node is drained, whichever
 * delivery evicted the pods: done, in time, every pod it found accounted for as evicted (by it), already
 * terminating or gone (evicted by another), never blocked, timed out or failed.
 */
function expectDrainedInTime(report: DrainReport, pods: V1Pod[]) {
  const where = `${report.kind} (marked: ${report.markedByThisInvocation})`;
  expect(report, where).toMatchObject({
    outcome: 'completed',
    deadlineMet: true,
    retryable: false,
    errors: [],
  });
  const names = pods.map((pod) => pod.metadata?.name);
  for (const pod of report.pods) {
    expect(names, where).toContain(pod.name);
    expect(['evicted', 'terminating', 'gone'] satisfies PodOutcome[], `${where}: ${pod.name}`).toContain(
      pod.outcome,
    );
  }
}

describe('duplicate, concurrent and out-of-order events for one node', () => {
  it('ends in the state one orderly delivery leaves, with each pod evicted at most once', async () => {
    const [orderly, mixed] = await Promise.all([busyNode(), busyNode()]);
    const once = notices(orderly.node);
    const many = notices(mixed.node);

    const [orderlyOutcomes, mixedOutcomes] = await Promise.all([
      (async () => {
        const outcomes: DeliveryOutcome[] = [];
        for (const event of [once.warning, once.shuttingDown, once.lifecycle])
          outcomes.push(await handle(event));
        return outcomes;
      })(),
      // Each notice twice, all six at once, in a random order.
      Promise.all(
        shuffled([
          many.warning,
          many.warning,
          many.shuttingDown,
          many.shuttingDown,
          many.lifecycle,
          many.lifecycle,
        ]).map(handle),
      ),
    ]);
    const orderlyReports = expectHandled(orderlyOutcomes);
    const mixedReports = expectHandled(mixedOutcomes);

    const expected = await settledEndState(orderly.node, orderly.pool);
    const actual = await settledEndState(mixed.node, mixed.pool);
    recordFigures('events/concurrent-duplicates', {
      deliveries: mixedOutcomes.length,
      reports: mixedOutcomes.flatMap((o) =>
        o.results.map((r) => (r.status === 'handled' ? r.report.outcome : r.status)),
      ),
      markedBy: mixedOutcomes.filter((o) =>
        o.results.some((r) => r.status === 'handled' && r.report.markedByThisInvocation),
      ).length,
      accepted: actionsOn(mixed.pods),
      ...wireSummary(aws.proxy.log),
    });
    expect(actual.state).toEqual(expected.state);
    expect(Object.keys(actual.state.recorded).sort()).toEqual([
      'instance-state-change',
      'lifecycle-terminate',
      'spot-interruption',
    ]);
    // The node records the events themselves, not one per delivery.
    const recorded = recordedInterruptions(actual.node);
    expect(recorded['spot-interruption']?.eventId).toBe(many.warning.id);
    expect(recorded['instance-state-change']?.eventId).toBe(many.shuttingDown.id);
    expectEachPodActedOnOnce(mixed.pods);
    expectEachPodActedOnOnce(orderly.pods);
    // Each event marked the node once: one delivery of each wrote the marks, its duplicate found them.
    const marked = mixedOutcomes.flatMap((outcome) =>
      outcome.results.flatMap((result) =>
        result.status === 'handled' && result.report.markedByThisInvocation ? [result.report.kind] : [],
      ),
    );
    expect(marked.sort()).toEqual(['instance-state-change', 'lifecycle-terminate', 'spot-interruption']);

    // What each delivery reports. The warning and the lifecycle action leave time to drain: each of
    // their deliveries, duplicates included, reports the node drained in time, whoever evicted the pods.
    for (const report of [...orderlyReports, ...mixedReports].filter(
      (r) => r.kind !== 'instance-state-change',
    )) {
      expectDrainedInTime(report, report.node === mixed.node.name ? mixed.pods : orderly.pods);
    }
    // "shutting-down" names a deadline already passed (the machine is going now): a delivery that
    // arrives while pods still run reports at once, honestly, what its deadline left undone (pods the
    // PDB held), and asks for no retry; it never reports a pod failed.
    for (const report of mixedReports.filter((r) => r.kind === 'instance-state-change')) {
      expect(report).toMatchObject({ retryable: false, counts: { failed: 0 } });
      expect(['completed', 'partial']).toContain(report.outcome);
    }
    // And what each notifies: one notification per node and interruption, from the delivery that
    // marked the node; none from a duplicate.
    const kinds = ['instance-state-change', 'lifecycle-terminate', 'spot-interruption'];
    expect(notified(mixed.node)).toEqual(kinds);
    expect(notified(orderly.node)).toEqual(kinds);
  });

  it('handles "terminated" arriving before the warning like the warning followed by "terminated"', async () => {
    const [inOrder, reversed] = await Promise.all([busyNode(), busyNode()]);
    const a = notices(inOrder.node);
    const b = notices(reversed.node);

    const [inOrderOutcomes, reversedOutcomes] = await Promise.all([
      (async () => [await handle(a.warning), await handle(a.terminated)])(),
      (async () => [await handle(b.terminated), await handle(b.warning), await handle(b.warning)])(),
    ]);
    const inOrderReports = expectHandled(inOrderOutcomes);
    const reversedReports = expectHandled(reversedOutcomes);

    const expected = await settledEndState(inOrder.node, inOrder.pool);
    const actual = await settledEndState(reversed.node, reversed.pool);
    recordFigures('events/out-of-order', {
      inOrder: inOrderOutcomes.flatMap((o) =>
        o.results.map((r) => (r.status === 'handled' ? r.report.counts : r.status)),
      ),
      reversed: reversedOutcomes.flatMap((o) =>
        o.results.map((r) => (r.status === 'handled' ? r.report.counts : r.status)),
      ),
      accepted: actionsOn(reversed.pods),
      errors: reversedOutcomes.flatMap((o) =>
        o.results.map((r) => (r.status === 'handled' ? r.report.errors : r.status)),
      ),
    });
    expect(actual.state).toEqual(expected.state);
    expect(actual.state.recorded).toEqual({
      'instance-state-change': 'cleanup',
      'spot-interruption': 'drain',
    });
    expectEachPodActedOnOnce(reversed.pods);
    expectEachPodActedOnOnce(inOrder.pods);
    // "terminated" first: its pods were deleted at once; the warning found nothing left to evict.
    const [terminated, warning] = reversedOutcomes.map((o) => o.results[0]);
    expect(terminated?.status === 'handled' && terminated.report.counts.deleted).toBe(3);
    expect(warning?.status === 'handled' && warning.report.counts.evicted).toBe(0);
    // Every warning delivery, the duplicate too, reports the node drained in time; the duplicate found
    // the marks in place and notifies nothing: one notification per interruption of each node.
    for (const report of [inOrderReports[0]!, reversedReports[1]!, reversedReports[2]!]) {
      expectDrainedInTime(report, report.node === reversed.node.name ? reversed.pods : inOrder.pods);
    }
    expect(reversedReports.map((report) => report.markedByThisInvocation)).toEqual([true, true, false]);
    expect(notified(reversed.node)).toEqual(['instance-state-change', 'spot-interruption']);
    expect(notified(inOrder.node)).toEqual(['instance-state-change', 'spot-interruption']);
  });
  it('never deletes or evicts a pod recreated under the same name: the UID precondition reaches the API server', async () => {
    const pool = await aws.pool(2);
    const [node, other] = pool.nodes as [PoolNode, PoolNode];
    aws.describeInstance(node);
    aws.describeInstance(other);
    const body = (on: PoolNode) => ({
      metadata: { name: 'db-0' },
      spec: { nodeName: on.name, containers: [{ name: 'db', image: 'registry.k8s.io/pause:3.10' }] },
    });
    const uidNow = async () =>
      (await apis.core.readNamespacedPod({ name: 'db-0', namespace: pool.namespace })).metadata!.uid!;
    /**
     * Replaces db-0 with a pod of the same name on `on` (a StatefulSet would; the drained node is
     * cordoned, so its replacement lands elsewhere, out of reach of the drain's own sweep of the node).
     */
    const recreate = async (on: PoolNode) => {
      const old = await uidNow();
      await apis.core.deleteNamespacedPod({ name: 'db-0', namespace: pool.namespace, gracePeriodSeconds: 0 });
      await eventually('db-0 gone', async () => {
        try {
          await uidNow();
          return false;
        } catch {
          return true;
        }
      });
      const created = await apis.core.createNamespacedPod({ namespace: pool.namespace, body: body(on) });
      expect(created.metadata?.uid).not.toBe(old);
      return created.metadata!.uid!;
    };
    await apis.core.createNamespacedPod({ namespace: pool.namespace, body: body(node) });
    let third: string | undefined;
    /** The handler's own request for db-0, held at the proxy while the pod is replaced on `on`, then forwarded. */
    const holdWhileReplaced = (method: string, path: RegExp, on: PoolNode) => {
      let replaced: Promise<string> | undefined;
      aws.proxy.setRules([
        {
          name: 'hold-db-0',
          method,
          path,
          firstN: 1,
          fault: { kind: 'hold', until: () => (replaced = recreate(on)) },
        },
      ]);
      return () => replaced;
    };
    const sentFor = (uid: string) =>
      aws.proxy.log.filter((r) => r.rule === 'hold-db-0' && (r.deletion ?? r.eviction)?.uid === uid);

    try {
      // "terminated": the cleanup deletes the pod it listed; it is replaced before the DELETE arrives.
      const deleted = await uidNow();
      const afterDelete = holdWhileReplaced('DELETE', /\/pods\/db-0(\?|$)/, other);
      const cleanup = (await handle(notices(node).terminated)).results[0];
      const second = await afterDelete()!;
      expect(cleanup?.status === 'handled' && cleanup.report.pods).toEqual([
        expect.objectContaining({ name: 'db-0', uid: deleted, outcome: 'gone' }),
      ]);
      expect(sentFor(deleted).map((r) => r.upstreamStatus)).toEqual([409]);
      expect(await uidNow()).toBe(second);

      // The warning: the eviction of the pod it listed arrives after that pod was replaced in turn.
      const afterEviction = holdWhileReplaced('POST', /\/pods\/db-0\/eviction(\?|$)/, node);
      const drain = (await handle(notices(other).warning)).results[0];
      third = await afterEviction()!;
      expect(drain?.status === 'handled' && drain.report.pods).toEqual([
        expect.objectContaining({ name: 'db-0', uid: second, outcome: 'gone' }),
      ]);
      expect(sentFor(second).map((r) => r.upstreamStatus)).toEqual([409]);
    } finally {
      aws.proxy.setRules([]);
    }
    // The pod that took the name last was neither deleted nor evicted.
    const survivor = await apis.core.readNamespacedPod({ name: 'db-0', namespace: pool.namespace });
    expect(survivor.metadata?.uid).toBe(third);
    expect(survivor.metadata?.deletionTimestamp).toBeUndefined();
    expect(aws.proxy.acceptedPodActionsByUid().get(third)).toBeUndefined();
  });
});

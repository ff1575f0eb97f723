/**
 * SPOT_DRAINER_OUT_OF_SERVICE_TAINT through the AWS pipeline (EC2 and EKS answered at the SDK seam, the
 * cluster real, as the restricted identity): the taint goes on only when EC2 reports the instance
 * terminated and the node is not Ready, and only on the node whose providerID names that instance.
 *
 * kwok simulates kubelets, not volumes: there is no CSI driver or VolumeAttachment here, so what these
 * tests show is the taint and the pods replaced; the attach-detach controller's force-detach that the
 * taint also triggers is Kubernetes' own and is not exercised (docs/reliability.md).
 */
import { describe, expect, it } from 'vitest';
import { drainNode } from '../../src/drain/engine.ts';
import { OUT_OF_SERVICE_TAINT } from '../../src/drain/out-of-service.ts';
import type { DrainReport } from '../../src/drain/report.ts';
import {
  createStatefulSet,
  isPodReady,
  type PoolNode,
  placeOnNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { awsHarness } from './aws-harness.ts';
import { eventually } from './cluster.ts';
import { drainDeps, interruptionFor, killKubelet, recordingDrainerClient } from './drain-helpers.ts';
import { awsEvent } from './events.ts';

const reports: DrainReport[] = [];
const aws = awsHarness({
  poolPrefix: 'oos',
  env: { SPOT_DRAINER_OUT_OF_SERVICE_TAINT: 'true' },
  onReport: async (report) => {
    reports.push(report);
  },
});
const { apis, pool } = aws;

/** A one-replica StatefulSet `db` whose pod runs on `target`; resolves with that pod's uid. */
async function statefulSetOn(p: SpotPool, target: PoolNode): Promise<string> {
  await placeOnNode(apis, p, target, 1, () => createStatefulSet(apis, p, 30));
  return eventually('db-0 running', async () => {
    const [pod] = (await podsOnNode(apis.core, target.name)).filter((p) => p.metadata?.name === 'db-0');
    return pod && isPodReady(pod) ? pod.metadata?.uid : undefined;
  });
}

function terminatedEvent(instanceId: string): Record<string, unknown> {
  const event = awsEvent('instance-state-change-shutting-down.json', instanceId);
  return { ...event, detail: { ...(event.detail as object), state: 'terminated' } };
}

const outOfService = async (name: string) =>
  ((await apis.core.readNode({ name })).spec?.taints ?? []).filter(
    (taint) => taint.key === OUT_OF_SERVICE_TAINT.key,
  );

describe('out-of-service taint (SPOT_DRAINER_OUT_OF_SERVICE_TAINT=true)', () => {
  it('taints a node whose instance EC2 reports terminated, and its StatefulSet pod starts elsewhere', async () => {
    const p = await pool(2);
    const [target, spare] = p.nodes as [PoolNode, PoolNode];
    const before = await statefulSetOn(p, target);
    aws.describeInstance(target, { state: 'terminated' });
    await killKubelet(apis, target.name);

    const outcome = await aws.handle(terminatedEvent(target.machineId));

    expect(outcome.results).toHaveLength(1);
    const report = reports.find((r) => r.node === target.name);
    expect(report).toMatchObject({
      action: 'cleanup',
      outOfService: { tainted: true, reason: expect.stringContaining('EC2 reports instance') },
    });
    expect(await outOfService(target.name)).toMatchObject([OUT_OF_SERVICE_TAINT]);
    const replaced = await eventually('db-0 replaced on the spare node', async () => {
      const [pod] = (await podsOnNode(apis.core, spare.name)).filter((q) => q.metadata?.name === 'db-0');
      return pod && isPodReady(pod) ? pod : undefined;
    });
    expect(replaced.metadata?.uid).not.toBe(before);
    await eventually('SpotOutOfService recorded', async () => {
      const events = await apis.core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.kind=Node,involvedObject.name=${target.name},reason=SpotOutOfService`,
      });
      return events.items.length === 1;
    });
  });

  it('leaves alone a node that now names another instance, though the terminated one had its name', async () => {
    const p = await pool(1);
    const [target] = p.nodes as [PoolNode];
    const goneInstance = 'i-0feedfacefeedface';
    // The terminated instance's private DNS name is the node's: the name was reused by a new machine.
    aws.describeInstance(target, { instanceId: goneInstance, state: 'terminated' });
    await killKubelet(apis, target.name);

    const outcome = await aws.handle(terminatedEvent(goneInstance));

    expect(outcome.results).toMatchObject([{ status: 'skipped' }]);
    const node = await apis.core.readNode({ name: target.name });
    expect(node.spec?.unschedulable).not.toBe(true);
    expect(await outOfService(target.name)).toEqual([]);
  });

  it('does not taint a node still Ready, nor one the cloud has not confirmed gone (a passed deadline)', async () => {
    const p = await pool(2);
    const [ready, late] = p.nodes as [PoolNode, PoolNode];
    await killKubelet(apis, late.name);
    const { kube } = recordingDrainerClient();
    const settings = { outOfServiceTaint: true };
    const cleanup = { kind: 'instance-state-change', action: 'cleanup' as const, deadline: new Date() };

    const [readyReport, lateReport] = await Promise.all([
      drainNode(await apis.core.readNode({ name: ready.name }), interruptionFor(ready, cleanup), {
        ...drainDeps(kube, settings),
        // A short function time: the wait for NotReady ends with the budget.
        remainingTimeMs: () => 6000,
        machineShutDown: `EC2 reports instance ${ready.machineId} terminated`,
      }),
      drainNode(
        await apis.core.readNode({ name: late.name }),
        interruptionFor(late, cleanup),
        drainDeps(kube, settings),
      ),
    ]);

    expect(readyReport.outOfService).toMatchObject({
      tainted: false,
      reason: expect.stringContaining('still Ready'),
    });
    expect(lateReport.outOfService).toMatchObject({
      tainted: false,
      reason: expect.stringContaining('not confirmed'),
    });
    expect(await outOfService(ready.name)).toEqual([]);
    expect(await outOfService(late.name)).toEqual([]);
  });
});

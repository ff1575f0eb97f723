/**
 * The function's own time running out before the drain is done, through the Lambda entry point: it must
 * stop in time to report, leave the node cordoned, and ask for a retry only while the machine is still
 * there (the interruption deadline is ahead).
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { taintKey } from '../../src/drain/marks.ts';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import {
  createDeployment,
  createSpotPool,
  deleteSpotPool,
  isPodReady,
  type PoolNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { type DeliveryOutcome, RetryableFailure } from '../../src/pipeline/results.ts';
import { clearEksClusterCache } from '../../src/providers/aws/eks-cluster.ts';
import { adminApis, clusterInfo, uniqueName } from './cluster.ts';
import { backoffBounds } from './drain-helpers.ts';
import { awsEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { recordFigures } from './faults/figures.ts';
import { type FaultProxy, startFaultProxy } from './faults/proxy.ts';
import { describedInstance, lambdaContext } from './platform.ts';

const info = clusterInfo();
const identities = readLocalIdentities(info.authnFile);
const apis = adminApis();
const ec2 = mockClient(EC2Client);
const eks = mockClient(EKSClient);
const pools: SpotPool[] = [];
let proxy: FaultProxy;
let handler: (event: unknown, context: Context) => Promise<DeliveryOutcome>;

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: identities.eks.region,
    AWS_ACCESS_KEY_ID: identities.eks.identity.accessKeyId,
    AWS_SECRET_ACCESS_KEY: identities.eks.identity.secretAccessKey,
    SPOT_DRAINER_CLUSTER_NAME: identities.eks.clusterName,
    SPOT_DRAINER_POD_EVENTS: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'error',
  });
  handler = (await import('../../functions/aws/handler.ts')).handler as typeof handler;
  proxy = await startFaultProxy({ upstream: info.server, certDir: info.dir });
  eks.on(DescribeClusterCommand).resolves({
    cluster: {
      name: identities.eks.clusterName,
      status: 'ACTIVE',
      endpoint: proxy.url,
      certificateAuthority: { data: info.caData },
    },
  });
});

afterEach(async () => {
  clearEksClusterCache();
  await closeCachedKubeClients();
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(pools.map((pool) => deleteSpotPool(apis, pool)));
  ec2.restore();
  eks.restore();
});

/** A node whose two pods a PodDisruptionBudget (minAvailable 2) never lets go. */
async function blockedNode(): Promise<PoolNode> {
  const pool = await createSpotPool(apis, { cloud: 'aws', nodes: 1, id: uniqueName('fnt') });
  pools.push(pool);
  const node = pool.nodes[0]!;
  await workloadOn(
    apis,
    pool,
    node,
    2,
    () => createDeployment(apis, pool, { name: 'quorum', replicas: 2, minAvailable: 2 }),
    'quorum',
  );
  ec2.on(DescribeInstancesCommand).resolves(describedInstance(node, identities.eks.clusterName));
  return node;
}

async function expectCordonedWithPodsRunning(node: PoolNode) {
  const current = await apis.core.readNode({ name: node.name });
  expect(current.spec?.unschedulable).toBe(true);
  expect(current.spec?.taints?.map((taint) => taint.key)).toContain(taintKey('spot-interruption'));
  expect((await podsOnNode(apis.core, node.name)).filter(isPodReady)).toHaveLength(2);
}

/** What the drain keeps of the function's time to report (the budget's default, src/drain/budget.ts). */
const FUNCTION_RESERVE_MS = 2000;

/**
 * That the drain stopped on the function's time rather than the interruption deadline, without a bound
 * on the wall clock (the machine is shared): it never retried an eviction more often than the backoff
 * fits between the start and the stop (the function's end less its reserve).
 */
function expectStoppedWithin(started: number, stopAt: number) {
  const evictions = new Map<string, number>();
  for (const request of proxy.log) {
    const uid = request.eviction?.uid;
    if (uid && request.receivedAt >= started) evictions.set(uid, (evictions.get(uid) ?? 0) + 1);
  }
  expect(evictions.size).toBe(2);
  const most = backoffBounds().maxAttemptsWithin(stopAt - started);
  for (const [uid, sent] of evictions) expect(sent, uid).toBeLessThanOrEqual(most);
}

/** Requests that reached the API server after `since` (work left running after the function returned). */
async function requestsAfter(since: number, waitMs = 1500) {
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  return proxy.log.filter((request) => request.receivedAt > since);
}

describe('the Lambda running out of time before the drain is done', () => {
  it('stops in time, leaves the node cordoned, and throws for a retry while the machine is still there', async () => {
    const node = await blockedNode();
    const functionTimeMs = 3000;
    const started = Date.now();
    const context = lambdaContext(functionTimeMs);
    const functionEnd = Date.now() + context.getRemainingTimeInMillis();
    const outcome = await handler(awsEvent('spot-interruption-warning.json', node.machineId), context).then(
      () => undefined,
      (error: unknown) => error,
    );
    const returned = Date.now();
    recordFigures('function-time/deadline-ahead', {
      functionTimeMs,
      returnedAfterMs: returned - started,
      threw: (outcome as Error | undefined)?.name,
    });

    expect(outcome).toBeInstanceOf(RetryableFailure);
    expect((outcome as Error).message).toContain(node.name);
    // Stopped on its own time, not the interruption deadline two minutes away, and left nothing running.
    expectStoppedWithin(started, functionEnd - FUNCTION_RESERVE_MS);
    await expectCordonedWithPodsRunning(node);
    expect(await requestsAfter(returned)).toEqual([]);
  });

  it('cleans up a warning handled after its deadline: pods deleted at once, PDB or not, nothing to retry', async () => {
    const node = await blockedNode();
    const functionTimeMs = 3000;
    const threeMinutesAgo = new Date(Date.now() - 180_000);
    const started = Date.now();
    const outcome = await handler(
      awsEvent('spot-interruption-warning.json', node.machineId, threeMinutesAgo),
      lambdaContext(functionTimeMs),
    );
    const returned = Date.now();
    const [result] = outcome.results;
    recordFigures('function-time/deadline-passed', {
      functionTimeMs,
      returnedAfterMs: returned - started,
      outcome: result?.status === 'handled' ? result.report.outcome : result?.status,
    });

    expect(result?.status).toBe('handled');
    if (result?.status !== 'handled') return;
    // The machine is gone: evictions that wait on the PDB would leave the pods Running on it with no
    // replacement, so they are deleted for their controller to replace now.
    expect(result.report).toMatchObject({
      action: 'cleanup',
      outcome: 'completed',
      retryable: false,
      deadlineMet: false,
    });
    expect(result.report.counts).toMatchObject({ deleted: 2, blockedByPdb: 0 });
    // One delete each: cleanup does not wait on the PDB, nor retry what was accepted.
    expect(result.report.pods.map((pod) => pod.attempts)).toEqual([1, 1]);
    const current = await apis.core.readNode({ name: node.name });
    expect(current.spec?.unschedulable).toBe(true);
    expect(await requestsAfter(returned)).toEqual([]);
  });
});

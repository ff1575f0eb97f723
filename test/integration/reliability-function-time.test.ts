/**
 * The function's own time running out before the drain is done, through the Lambda entry point: it must
 * stop in time to report, leave the node cordoned, and ask for a retry only while the machine is still
 * there (the interruption deadline is ahead).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { taintKey } from '../../src/drain/marks.ts';
import {
  createDeployment,
  isPodReady,
  type PoolNode,
  podsOnNode,
} from '../../src/local-cluster/node-pool.ts';
import { RetryableFailure } from '../../src/pipeline/results.ts';
import { awsHarness, type LambdaHandler } from './aws-harness.ts';
import { backoffBounds } from './drain-helpers.ts';
import { awsEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { recordFigures } from './faults/figures.ts';
import { lambdaContext } from './platform.ts';

const aws = awsHarness({
  poolPrefix: 'fnt',
  env: { SPOT_DRAINER_POD_EVENTS: 'false', LOG_LEVEL: 'error' },
  faultProxy: {},
  clearCachesAfter: 'each',
});
const { apis } = aws;
let handler: LambdaHandler;

beforeAll(async () => {
  handler = await aws.lambdaHandler();
});

/** A node whose two pods a PodDisruptionBudget (minAvailable 2) never lets go. */
async function blockedNode(): Promise<PoolNode> {
  const pool = await aws.pool(1);
  const node = pool.nodes[0]!;
  await workloadOn(
    apis,
    pool,
    node,
    2,
    () => createDeployment(apis, pool, { name: 'quorum', replicas: 2, minAvailable: 2 }),
    'quorum',
  );
  aws.describeInstance(node);
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
  for (const request of aws.proxy.log) {
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
  return aws.proxy.log.filter((request) => request.receivedAt > since);
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

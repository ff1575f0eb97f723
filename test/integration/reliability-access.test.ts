/**
 * The AWS pipeline (EC2 and EKS mocked at the SDK, the cluster real) through a proxy that answers the
 * requests of node resolution and of the cordon with throttling, 401 or 403, as an API server under a
 * mass interruption, or just restarted, or with an access entry not yet in force does. Each test fails
 * without the behaviour it names.
 */

import { describe, expect, it } from 'vitest';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { createDeployment, type PoolNode } from '../../src/local-cluster/node-pool.ts';
import { RetryableFailure, throwIfRetryable } from '../../src/pipeline/results.ts';
import { awsHarness } from './aws-harness.ts';
import { awsEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import type { FaultRule } from './faults/proxy.ts';

const aws = awsHarness({
  poolPrefix: 'acc',
  env: { SPOT_DRAINER_POD_EVENTS: 'false' },
  faultProxy: {},
});
const { apis } = aws;

/** A node of its own pool running one replica (no PDB), described by the EC2 mock. */
async function busyNode(): Promise<PoolNode> {
  const pool = await aws.pool(2);
  const node = pool.nodes[0]!;
  await workloadOn(apis, pool, node, 1, () => createDeployment(apis, pool, { name: 'api', replicas: 1 }));
  aws.describeInstance(node);
  return node;
}

/** One delivery as the Lambda handles it: the outcome, or what it threw for the platform to retry. */
async function deliver(node: PoolNode, rules: FaultRule[]) {
  aws.proxy.setRules(rules);
  aws.proxy.log.length = 0;
  try {
    const outcome = await aws.handle(awsEvent('spot-interruption-warning.json', node.machineId));
    const thrown = (() => {
      try {
        throwIfRetryable(outcome.results);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    return { outcome, thrown };
  } finally {
    aws.proxy.setRules([]);
    await closeCachedKubeClients();
  }
}

const nodeRead = (node: PoolNode) =>
  new RegExp(`^/api/v1/nodes(/${node.name.replaceAll('.', '\\.')})?(\\?.*)?$`);

describe('access failures on the first requests of a drain', () => {
  it('waits out throttling (429 with Retry-After) during node resolution instead of failing the delivery', async () => {
    const node = await busyNode();
    const { outcome, thrown } = await deliver(node, [
      {
        name: 'apf',
        method: 'GET',
        path: nodeRead(node),
        firstN: 2,
        fault: { kind: 'throttle', retryAfterSeconds: 1 },
      },
    ]);
    expect(aws.proxy.faulted('throttle')).toHaveLength(2);
    expect(thrown).toBeUndefined();
    expect(outcome.results[0]).toMatchObject({
      status: 'handled',
      report: { node: node.name, outcome: 'completed' },
    });
  });

  it('throws for a retry when node resolution keeps meeting 403 (RBAC caches after a restart, a new access entry)', async () => {
    const node = await busyNode();
    const { outcome, thrown } = await deliver(node, [
      {
        name: 'forbidden',
        method: 'GET',
        path: nodeRead(node),
        fault: { kind: 'status', status: 403, message: 'nodes is forbidden' },
      },
    ]);
    expect(outcome.results[0]).toMatchObject({ status: 'failed', retryable: true });
    expect(outcome.results[0]?.status === 'failed' && outcome.results[0].reason).toMatch(
      /^node resolution: /,
    );
    expect(thrown).toBeInstanceOf(RetryableFailure);
    // Retried within the 5 s grace before it was believed, not once.
    expect(aws.proxy.faulted('status').length).toBeGreaterThan(1);
  });

  it('throws for a retry when the cordon meets 401, and evicts nothing', async () => {
    const node = await busyNode();
    const { outcome, thrown } = await deliver(node, [
      {
        name: 'unauthorized',
        method: 'PATCH',
        path: `/api/v1/nodes/${node.name}`,
        fault: { kind: 'status', status: 401, message: 'Unauthorized' },
      },
    ]);
    expect(outcome.results[0]).toMatchObject({
      status: 'handled',
      report: { outcome: 'failed', retryable: true },
    });
    expect(thrown).toBeInstanceOf(RetryableFailure);
    expect(aws.proxy.log.filter((request) => request.eviction || request.deletion)).toEqual([]);
  });
});

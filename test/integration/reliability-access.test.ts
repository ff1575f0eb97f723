/**
 * The AWS pipeline (EC2 and EKS mocked at the SDK, the cluster real) through a proxy that answers the
 * requests of node resolution and of the cordon with throttling, 401 or 403, as an API server under a
 * mass interruption, or just restarted, or with an access entry not yet in force does. Each test fails
 * without the behaviour it names.
 */

import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { testAwsCredentials } from '../../src/local-cluster/authn/test-identities.ts';
import {
  createDeployment,
  createSpotPool,
  deleteSpotPool,
  type PoolNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { silentLogger } from '../../src/logging.ts';
import { RetryableFailure, throwIfRetryable } from '../../src/pipeline/results.ts';
import { clearEksClusterCache } from '../../src/providers/aws/eks-cluster.ts';
import { adminApis, clusterInfo, uniqueName } from './cluster.ts';
import { awsEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { type FaultProxy, type FaultRule, startFaultProxy } from './faults/proxy.ts';
import { handleAwsEvent } from './pipelines.ts';
import { describedInstance } from './platform.ts';

const info = clusterInfo();
const apis = adminApis();
const identities = readLocalIdentities(info.authnFile);
const region = identities.eks.region;
const ec2 = mockClient(EC2Client);
const eks = mockClient(EKSClient);
const config = loadConfig({
  SPOT_DRAINER_CLUSTER_NAME: identities.eks.clusterName,
  SPOT_DRAINER_POD_EVENTS: 'false',
});
const pools: SpotPool[] = [];
let proxy: FaultProxy;

beforeAll(async () => {
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

afterAll(async () => {
  clearEksClusterCache();
  await closeCachedKubeClients();
  await proxy?.close();
  await Promise.all(pools.map((pool) => deleteSpotPool(apis, pool)));
  ec2.restore();
  eks.restore();
});

/** A node of its own pool running one replica (no PDB), described by the EC2 mock. */
async function busyNode(): Promise<PoolNode> {
  const pool = await createSpotPool(apis, { cloud: 'aws', nodes: 2, id: uniqueName('acc') });
  pools.push(pool);
  const node = pool.nodes[0]!;
  await workloadOn(apis, pool, node, 1, () => createDeployment(apis, pool, { name: 'api', replicas: 1 }));
  ec2.on(DescribeInstancesCommand).resolves(describedInstance(node, identities.eks.clusterName));
  return node;
}

/** One delivery as the Lambda handles it: the outcome, or what it threw for the platform to retry. */
async function deliver(node: PoolNode, rules: FaultRule[]) {
  proxy.setRules(rules);
  proxy.log.length = 0;
  try {
    const outcome = await handleAwsEvent(awsEvent('spot-interruption-warning.json', node.machineId), {
      config,
      logger: silentLogger,
      region,
      credentials: testAwsCredentials(identities.eks.identity),
      clients: () => ({
        ec2: new EC2Client({ region }),
        eks: new EKSClient({ region }),
        autoScaling: new AutoScalingClient({ region }),
      }),
      remainingTimeMs: () => 60_000,
    });
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
    proxy.setRules([]);
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
    expect(proxy.faulted('throttle')).toHaveLength(2);
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
    expect(proxy.faulted('status').length).toBeGreaterThan(1);
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
    expect(proxy.log.filter((request) => request.eviction || request.deletion)).toEqual([]);
  });
});

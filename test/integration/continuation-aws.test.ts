/**
 * A drain that outlives its Lambda: an Auto Scaling terminate lifecycle action on a node whose pods a
 * PodDisruptionBudget holds for about three minutes, with a Lambda timeout of 20 s. The first
 * invocation (EventBridge) hands the rest to the continuation queue (moto's SQS, through
 * AWS_ENDPOINT_URL_SQS); the test plays the SQS event source mapping; the chain ends when the PDB lets
 * go, with one report, one notification and one CompleteLifecycleAction (the loopback EC2/EKS/Auto
 * Scaling stand-in records every lifecycle call). Evictions are counted per pod at a proxy in front of
 * the API server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
  type SQSClient as SQSClientType,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { type FakeAws, startFakeAws } from '../../src/local-cluster/fake-aws.ts';
import {
  createDeployment,
  createSpotPool,
  deleteSpotPool,
  type PoolNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';
import { adminApis, clusterInfo, uniqueName } from './cluster.ts';
import { awsEvent } from './events.ts';
import { podUid, workloadOn } from './faults/clients.ts';
import { recordFigures } from './faults/figures.ts';
import { type FaultProxy, startFaultProxy } from './faults/proxy.ts';
import { lambdaContext } from './platform.ts';
import { startMoto } from './stand-ins/moto.ts';
import type { StandIn } from './stand-ins/server.ts';
import { pollOnce } from './stand-ins/sqs-event-source.ts';

const info = clusterInfo();
const identities = readLocalIdentities(info.authnFile);
const apis = adminApis();
const region = identities.eks.region;
/** The Lambda timeout the test gives every invocation. */
const FUNCTION_TIME_MS = 20_000;
/** How long the PodDisruptionBudget holds the pods. */
const HELD_MS = 180_000;
const DELAY_SECONDS = 2;

let moto: StandIn;
let aws: FakeAws;
let proxy: FaultProxy;
let sqs: SQSClientType;
let pool: SpotPool;
let node: PoolNode;
const queue = { url: '', arn: '', region, dlqUrl: '' };
let handler: (event: unknown, context: Context) => Promise<DeliveryOutcome | SQSBatchResponse>;

const notifications: string[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    notifications.push(body);
    res.end('ok');
  });
});

async function createQueues() {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'continuations-dlq' }));
  queue.dlqUrl = dlq.QueueUrl ?? '';
  const dlqArn = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'continuations',
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
          maxReceiveCount: 3,
        }),
      },
    }),
  );
  queue.url = created.QueueUrl ?? '';
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['QueueArn'] }),
  );
  queue.arn = attributes.Attributes?.QueueArn ?? '';
}

async function messagesIn(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

beforeAll(async () => {
  moto = await startMoto();
  sqs = new SQSClient({
    region,
    endpoint: moto.url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
  });
  await createQueues();
  proxy = await startFaultProxy({ upstream: info.server, certDir: info.dir });
  pool = await createSpotPool(apis, { cloud: 'aws', nodes: 1, id: uniqueName('chain') });
  node = pool.nodes[0]!;
  aws = await startFakeAws(
    [{ name: identities.eks.clusterName, endpoint: proxy.url, caData: info.caData }],
    [
      {
        instanceId: node.machineId,
        privateDnsName: node.privateDnsName,
        zone: node.zone,
        tags: { 'eks:cluster-name': identities.eks.clusterName },
      },
    ],
  );
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  Object.assign(process.env, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: identities.eks.identity.accessKeyId,
    AWS_SECRET_ACCESS_KEY: identities.eks.identity.secretAccessKey,
    AWS_ENDPOINT_URL_EC2: aws.url,
    AWS_ENDPOINT_URL_EKS: aws.url,
    AWS_ENDPOINT_URL_AUTO_SCALING: aws.url,
    AWS_ENDPOINT_URL_SQS: moto.url,
    SPOT_DRAINER_CLUSTER_NAME: identities.eks.clusterName,
    SPOT_DRAINER_CONTINUATION_QUEUE_URL: queue.url,
    SPOT_DRAINER_CONTINUATION_DELAY_SECONDS: String(DELAY_SECONDS),
    SPOT_DRAINER_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/chain`,
    SPOT_DRAINER_POD_EVENTS: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'error',
  });
  handler = (await import('../../functions/aws/handler.ts')).handler as typeof handler;
}, 600_000);

afterAll(async () => {
  await closeCachedKubeClients();
  receiver.close();
  await aws?.close();
  await proxy?.close();
  await moto?.close();
  if (pool) await deleteSpotPool(apis, pool);
});

describe('a drain that outlives its Lambda goes on through SQS continuations', () => {
  it('completes a PDB-held drain in a chain: each pod evicted once, one notification, the lifecycle action completed once', async () => {
    const pods = await workloadOn(
      apis,
      pool,
      node,
      2,
      () => createDeployment(apis, pool, { name: 'quorum', replicas: 2, minAvailable: 2 }),
      'quorum',
    );
    aws.pendingLifecycleActions.add(node.machineId);
    const event = awsEvent('asg-terminate-lifecycle-action.json', node.machineId);
    const heldSince = Date.now();
    const first = (await handler(event, lambdaContext(FUNCTION_TIME_MS))) as DeliveryOutcome;
    const firstReturned = Date.now();
    expect(first.results.map((result) => result.status)).toEqual(['continued']);

    // A duplicate EventBridge delivery while the chain holds the event is left to the chain.
    const duplicate = (await handler(event, lambdaContext(FUNCTION_TIME_MS))) as DeliveryOutcome;
    expect(duplicate.results).toEqual([
      expect.objectContaining({
        status: 'skipped',
        reason: expect.stringMatching(/continuation chain .* holds/),
      }),
    ]);

    let released = 0;
    let continuations = 0;
    const failures: string[] = [];
    while (notifications.length === 0 && Date.now() - heldSince < HELD_MS + 240_000) {
      if (!released && Date.now() - heldSince >= HELD_MS) {
        await apis.policy.deleteNamespacedPodDisruptionBudget({ name: 'quorum', namespace: pool.namespace });
        released = Date.now();
      }
      const poll = await pollOnce(sqs, queue, async (sqsEvent) => {
        continuations++;
        return (await handler(sqsEvent, lambdaContext(FUNCTION_TIME_MS))) as SQSBatchResponse;
      });
      failures.push(...poll.failed);
    }

    expect(released).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    expect(notifications).toHaveLength(1);
    const summary = JSON.parse(notifications[0]!) as Record<string, unknown>;
    recordFigures('continuations/aws', {
      functionTimeMs: FUNCTION_TIME_MS,
      heldMs: released - heldSince,
      invocations: summary.invocations,
      chainMs: summary.chainMs,
    });
    expect(summary).toMatchObject({ node: node.name, outcome: 'completed', evicted: 2 });
    // Every SQS delivery ran one invocation of the chain, after the first (EventBridge) one.
    expect(summary.invocations).toBe(continuations + 1);
    expect(continuations).toBeGreaterThanOrEqual(2);
    // The chain ran from its first invocation until the PDB let go, at least.
    expect(summary.chainMs as number).toBeGreaterThanOrEqual(released - firstReturned);

    // Each pod's eviction was accepted exactly once, across all invocations.
    const accepted = proxy.acceptedEvictionsByUid();
    expect([...accepted.keys()].sort()).toEqual(pods.map(podUid).sort());
    for (const [uid, requests] of accepted) expect(requests, uid).toHaveLength(1);

    // Heartbeats kept the instance while the chain ran; CompleteLifecycleAction came once, last.
    const calls = aws.lifecycleCalls.map((call) => call.action);
    expect(calls.filter((call) => call === 'CompleteLifecycleAction')).toHaveLength(1);
    expect(calls.at(-1)).toBe('CompleteLifecycleAction');
    expect(calls.filter((call) => call === 'RecordLifecycleActionHeartbeat').length).toBeGreaterThanOrEqual(
      continuations,
    );
    expect(aws.lifecycleCalls.at(-1)?.lifecycleActionResult).toBe('CONTINUE');
    expect(aws.pendingLifecycleActions.has(node.machineId)).toBe(false);
    expect(await messagesIn(queue.url)).toBe(0);
    expect(await messagesIn(queue.dlqUrl)).toBe(0);
  }, 600_000);
});

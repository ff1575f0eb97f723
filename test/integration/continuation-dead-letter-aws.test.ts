/**
 * Continuations that fail for good land in the dead-letter queue with their reason, through the bundled
 * Lambda's handler, moto's SQS (AWS_ENDPOINT_URL_SQS) and the loopback EC2/EKS stand-in. Each chain
 * starts for real: a spot interruption warning on a node whose pods a PodDisruptionBudget holds, a
 * 6 s Lambda, a continuation on the queue. Then:
 *
 * - the EKS cluster is deleted (DescribeCluster answers ResourceNotFoundException): the continuation is
 *   dead-lettered on its first delivery, with the reason, and not received again;
 * - the API server answers 503 to every node request (at a fault proxy in front of it): the
 *   continuation is reported as a batch item failure, received again after the queue's 1 s visibility
 *   timeout, and on its third receive (the queue's maxReceiveCount and
 *   SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES) dead-lettered by the function with the reason.
 *
 * The test plays the SQS event source mapping (test/integration/stand-ins/sqs-event-source.ts).
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  type SQSClient as SQSClientType,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { type FakeAws, type FakeCluster, startFakeAws } from '../../src/local-cluster/fake-aws.ts';
import {
  createDeployment,
  createSpotPool,
  deleteSpotPool,
  type PoolNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import type { DeadLetter } from '../../src/pipeline/dead-letter.ts';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';
import { clearEksClusterCache } from '../../src/providers/aws/eks-cluster.ts';
import { adminApis, clusterInfo, uniqueName } from './cluster.ts';
import { awsEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { type FaultProxy, startFaultProxy } from './faults/proxy.ts';
import { lambdaContext } from './platform.ts';
import { startMoto } from './stand-ins/moto.ts';
import type { StandIn } from './stand-ins/server.ts';
import { pollOnce } from './stand-ins/sqs-event-source.ts';

const info = clusterInfo();
const identities = readLocalIdentities(info.authnFile);
const apis = adminApis();
const region = identities.eks.region;
const FUNCTION_TIME_MS = 6_000;
const MAX_DELIVERIES = 3;

let moto: StandIn;
let aws: FakeAws;
let proxy: FaultProxy;
let sqs: SQSClientType;
let pool: SpotPool;
const clusters: FakeCluster[] = [];
const queue = { url: '', arn: '', region, dlqUrl: '' };
let handler: (event: unknown, context: Context) => Promise<DeliveryOutcome | SQSBatchResponse>;

async function queueArn(url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

async function createQueues() {
  queue.dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'dead-letters' }))).QueueUrl ?? '';
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'continuations',
      Attributes: {
        // Short, so a failed continuation comes back quickly; the redrive stays as the safety net.
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArn(queue.dlqUrl),
          maxReceiveCount: MAX_DELIVERIES,
        }),
      },
    }),
  );
  queue.url = created.QueueUrl ?? '';
  queue.arn = await queueArn(queue.url);
}

async function messagesIn(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** The dead-letter queue's messages about `chain` (read and left visible again after 1 s). */
async function deadLetters(chain: string | undefined): Promise<Message[]> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.dlqUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  return (Messages ?? []).filter((message) => message.MessageAttributes?.chain?.StringValue === chain);
}

/** One receive of the continuation queue as the event source mapping makes it, with what the handler got. */
interface Delivery {
  receiveCount: number;
  chain: string | undefined;
  failed: boolean;
}

/** Plays the event source mapping until the continuation queue has been empty for `quietMs`. */
async function deliverUntilQuiet(quietMs: number): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    const poll = await pollOnce(sqs, queue, async (event) => {
      const record = event.Records[0]!;
      const response = (await handler(event, lambdaContext(FUNCTION_TIME_MS))) as SQSBatchResponse;
      deliveries.push({
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
        chain: record.messageAttributes.chain?.stringValue,
        failed: response.batchItemFailures.length > 0,
      });
      return response;
    });
    if (poll.delivered > 0) quietSince = Date.now();
  }
  return deliveries;
}

/** A PDB-held workload on `node`, and the warning whose first invocation hands the drain to a continuation. */
async function startChain(node: PoolNode, name: string): Promise<void> {
  await workloadOn(
    apis,
    pool,
    node,
    2,
    () => createDeployment(apis, pool, { name, replicas: 2, minAvailable: 2 }),
    name,
  );
  const first = (await handler(
    awsEvent('spot-interruption-warning.json', node.machineId),
    lambdaContext(FUNCTION_TIME_MS),
  )) as DeliveryOutcome;
  expect(first.results.map((result) => result.status)).toEqual(['continued']);
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
  pool = await createSpotPool(apis, { cloud: 'aws', nodes: 2, id: uniqueName('dlq') });
  clusters.push({ name: identities.eks.clusterName, endpoint: proxy.url, caData: info.caData });
  aws = await startFakeAws(
    clusters,
    pool.nodes.map((node) => ({
      instanceId: node.machineId,
      privateDnsName: node.privateDnsName,
      zone: node.zone,
      tags: { 'eks:cluster-name': identities.eks.clusterName },
    })),
  );
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
    SPOT_DRAINER_CONTINUATION_DELAY_SECONDS: '1',
    SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES: String(MAX_DELIVERIES),
    SPOT_DRAINER_DEAD_LETTER_QUEUE_URL: queue.dlqUrl,
    SPOT_DRAINER_POD_EVENTS: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'error',
  });
  handler = (await import('../../functions/aws/handler.ts')).handler as typeof handler;
}, 600_000);

afterEach(() => {
  proxy.setRules([]);
});

afterAll(async () => {
  await closeCachedKubeClients();
  await aws?.close();
  await proxy?.close();
  await moto?.close();
  if (pool) await deleteSpotPool(apis, pool);
});

describe('continuations that fail for good land in the dead-letter queue with their reason', () => {
  it('dead-letters a continuation whose cluster is gone on its first delivery, and never receives it again', async () => {
    await startChain(pool.nodes[0]!, 'held-a');
    // The continuation runs in a new execution environment (no cached endpoint or client), after the
    // cluster went.
    await closeCachedKubeClients();
    clearEksClusterCache();
    const removed = clusters.splice(0, clusters.length);
    let deliveries: Delivery[];
    try {
      deliveries = await deliverUntilQuiet(4_000);
    } finally {
      clusters.push(...removed);
    }

    expect(deliveries.map(({ receiveCount, failed }) => ({ receiveCount, failed }))).toEqual([
      { receiveCount: 1, failed: false },
    ]);
    expect(await messagesIn(queue.url)).toBe(0);
    const letters = await deadLetters(deliveries[0]?.chain);
    expect(letters).toHaveLength(1);
    const letter = JSON.parse(letters[0]!.Body ?? '') as DeadLetter;
    expect(letter).toMatchObject({
      type: 'spot-drainer.dead-letter',
      retriesExhausted: false,
      deliveries: 1,
      chain: deliveries[0]!.chain,
      invocation: 2,
      continuation: { type: 'spot-drainer.continuation', interruption: { kind: 'spot-interruption' } },
    });
    expect(letter.reason).toMatch(/^cluster access: .*No cluster found for name: spot-drainer-local/);
    expect(letters[0]!.MessageAttributes?.reason?.StringValue).toBe(letter.reason);
    expect(letters[0]!.MessageAttributes?.chain?.StringValue).toBe(deliveries[0]!.chain);
  }, 300_000);

  it('retries a continuation the API server refuses with 503, then dead-letters it on its last receive', async () => {
    const node = pool.nodes[1]!;
    await startChain(node, 'held-b');
    proxy.setRules([
      {
        name: 'API server unavailable for nodes',
        path: /^\/api\/v1\/nodes/,
        fault: {
          kind: 'status',
          status: 503,
          message: 'the server is currently unable to handle the request',
        },
      },
    ]);
    const deliveries = await deliverUntilQuiet(4_000);

    // Received three times (the visibility timeout made it visible again after each failure), the
    // last receive acknowledged once the dead letter was sent: nothing left for the redrive.
    expect(deliveries.map(({ receiveCount, failed }) => ({ receiveCount, failed }))).toEqual([
      { receiveCount: 1, failed: true },
      { receiveCount: 2, failed: true },
      { receiveCount: 3, failed: false },
    ]);
    expect(new Set(deliveries.map((delivery) => delivery.chain)).size).toBe(1);
    expect(proxy.faulted('status').length).toBeGreaterThanOrEqual(MAX_DELIVERIES);
    expect(await messagesIn(queue.url)).toBe(0);
    const letters = await deadLetters(deliveries[0]?.chain);
    expect(letters).toHaveLength(1);
    const letter = JSON.parse(letters[0]!.Body ?? '') as DeadLetter;
    expect(letter).toMatchObject({
      type: 'spot-drainer.dead-letter',
      retriesExhausted: true,
      deliveries: MAX_DELIVERIES,
      chain: deliveries[0]!.chain,
    });
    expect(letter.reason).toMatch(/^node resolution: .*unable to handle the request/);
    expect(letter.reason).toMatch(/\(delivery 3 of 3\)$/);
    expect(letters[0]!.MessageAttributes?.deliveries?.StringValue).toBe(String(MAX_DELIVERIES));
  }, 300_000);
});

/**
 * Continuations that fail for good land in the poison queue with their reason, through the Azure
 * Function's handlers and Azurite's queue service (HTTPS, Entra ID tokens). Each chain starts for
 * real: a Preempt with ten minutes' notice on a node whose pods a PodDisruptionBudget holds; the first
 * invocation answers within Event Grid's window and hands the drain to a continuation. Then:
 *
 * - the AKS cluster is deleted (ARM answers listClusterUserCredentials with 404 ResourceNotFound, at
 *   the SDK seam): the continuation is sent to the poison queue as a dead letter on its first dequeue,
 *   with the reason, and acknowledged;
 * - the API server refuses every node request with 403 (at a fault proxy in front of it, the answer
 *   RBAC gives an identity whose binding is gone): the function throws, the message is visible again
 *   after the trigger's visibility timeout (1 s here), and on its third dequeue
 *   (SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES, the host's maxDequeueCount) the function dead-letters it
 *   with the reason, before the host would move it there bare.
 *
 * The test plays the queue trigger (test/integration/stand-ins/queue-trigger.ts).
 */
import { readFileSync } from 'node:fs';
import type { CredentialResults } from '@azure/arm-containerservice';
import type { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { TestTokenCredential } from '../../src/local-cluster/authn/test-identities.ts';
import {
  createDeployment,
  createSpotPool,
  deleteSpotPool,
  type PoolNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import type { DeadLetter } from '../../src/pipeline/dead-letter.ts';
import { type AksCredentialsClient, clearAksEndpointCache } from '../../src/providers/azure/aks-cluster.ts';
import { adminApis, clusterInfo, uniqueName } from './cluster.ts';
import { azureScheduledEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { type FaultProxy, startFaultProxy } from './faults/proxy.ts';
import { invocationContext } from './platform.ts';
import { AZURITE_ACCOUNT, startAzurite, storageTokenCredential } from './stand-ins/azurite.ts';
import { triggerOnce } from './stand-ins/queue-trigger.ts';
import type { StandIn } from './stand-ins/server.ts';

const info = clusterInfo();
const identities = readLocalIdentities(info.authnFile);
const apis = adminApis();
const host = JSON.parse(
  readFileSync(new URL('../../functions/azure/host.json', import.meta.url), 'utf8'),
) as { extensions: { queues: { maxDequeueCount: number } } };
const MAX_DELIVERIES = host.extensions.queues.maxDequeueCount;

const credential = storageTokenCredential(
  new TestTokenCredential({ issuer: identities.aks.issuer, objectId: identities.aks.objectId }),
);
let azurite: StandIn;
let proxy: FaultProxy;
let pool: SpotPool;
let queue: QueueClient;
let poison: QueueClient;
let handlers: typeof import('../../functions/azure/handler.ts');

/** ARM for the AKS cluster the node resource group belongs to: its user kubeconfig, until it is deleted. */
let clusterDeleted = false;
const arm: AksCredentialsClient = {
  managedClusters: {
    async listClusterUserCredentials(resourceGroup, name): Promise<CredentialResults> {
      if (clusterDeleted) {
        throw Object.assign(
          new Error(
            `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found.`,
          ),
          { name: 'RestError', code: 'ResourceNotFound', statusCode: 404 },
        );
      }
      const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: ${proxy.url}
    certificate-authority-data: ${info.caData}
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: clusterUser
current-context: ${name}
users:
- name: clusterUser
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]
`;
      return { kubeconfigs: [{ name: 'clusterUser', value: new TextEncoder().encode(kubeconfig) }] };
    },
  },
};
const overrides = { credential: () => credential, aksClient: () => arm };
const context = (metadata: Record<string, unknown>) =>
  ({ ...invocationContext(), triggerMetadata: metadata }) as unknown as InvocationContext;

beforeAll(async () => {
  azurite = await startAzurite(info.dir, readFileSync(info.caFile, 'utf8'));
  proxy = await startFaultProxy({ upstream: info.server, certDir: info.dir });
  const queueUrl = `${azurite.url}/${AZURITE_ACCOUNT}/spot-drainer-continuations`;
  queue = new QueueClient(queueUrl, credential);
  poison = new QueueClient(`${queueUrl}-poison`, credential);
  await queue.create();
  await poison.create();
  pool = await createSpotPool(apis, { cloud: 'azure', nodes: 2, id: uniqueName('azdlq') });
  Object.assign(process.env, {
    SPOT_DRAINER_AKS_CLUSTERS: JSON.stringify({
      'mc_rg-spot_aks-spot_eastus': {
        subscriptionId: '00000000-0000-0000-0000-000000000001',
        resourceGroup: 'rg-spot',
        name: 'aks-spot',
      },
    }),
    SPOT_DRAINER_CONTINUATION_QUEUE_URL: queueUrl,
    SPOT_DRAINER_CONTINUATION_DELAY_SECONDS: '1',
    SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES: String(MAX_DELIVERIES),
    SPOT_DRAINER_DEAD_LETTER_QUEUE_URL: `${queueUrl}-poison`,
    SPOT_DRAINER_POD_EVENTS: 'false',
    LOG_LEVEL: 'error',
  });
  handlers = await import('../../functions/azure/handler.ts');
}, 300_000);

afterEach(() => {
  proxy.setRules([]);
  clusterDeleted = false;
});

afterAll(async () => {
  await closeCachedKubeClients();
  await proxy?.close();
  await azurite?.close();
  if (pool) await deleteSpotPool(apis, pool);
});

/** A PDB-held workload on `node`, and the Preempt whose first invocation hands the drain to a continuation. */
async function startChain(node: PoolNode, name: string): Promise<void> {
  await workloadOn(
    apis,
    pool,
    node,
    2,
    () => createDeployment(apis, pool, { name, replicas: 2, minAvailable: 2 }),
    name,
  );
  const event = azureScheduledEvent(node.machineId, {
    notBefore: new Date(Date.now() + 600_000),
    eventId: `PREEMPT-${name}`,
  });
  const first = await handlers.spotDrainer(
    event as unknown as Parameters<typeof handlers.spotDrainer>[0],
    invocationContext(),
    overrides,
  );
  expect(first.results).toEqual([expect.objectContaining({ status: 'continued' })]);
}

/** One dequeue as the host makes it: the count, and whether the function threw. */
interface Dequeue {
  dequeueCount: number;
  chain: string | undefined;
  threw: boolean;
  poisonedByHost: boolean;
}

/** Plays the queue trigger until the continuation queue has been empty for `quietMs`. */
async function triggerUntilQuiet(quietMs: number): Promise<Dequeue[]> {
  const dequeues: Dequeue[] = [];
  const settings = { maxDequeueCount: MAX_DELIVERIES, visibilityTimeoutSeconds: 1 };
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    let seen: Omit<Dequeue, 'threw' | 'poisonedByHost'> | undefined;
    const poll = await triggerOnce(
      queue,
      poison,
      settings,
      (message, ctx) => {
        seen = {
          dequeueCount: Number(ctx.triggerMetadata?.dequeueCount),
          chain: (message as { chain?: { id?: string } }).chain?.id,
        };
        return handlers.spotDrainerContinuation(message, ctx, overrides);
      },
      context,
    );
    if (poll.delivered === 0) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    quietSince = Date.now();
    dequeues.push({ ...seen!, threw: poll.threw !== undefined, poisonedByHost: poll.poisoned === true });
  }
  return dequeues;
}

/** The poison queue's messages about `chain`, decoded as the host's base64. */
async function poisoned(chain: string | undefined): Promise<unknown[]> {
  const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems
    .map(
      (item) =>
        JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as Record<string, unknown>,
    )
    .filter((body) => body.chain === chain || (body.chain as { id?: string } | undefined)?.id === chain);
}

describe('continuations that fail for good land in the poison queue with their reason', () => {
  it('dead-letters a continuation whose AKS cluster is gone on its first dequeue', async () => {
    await startChain(pool.nodes[0]!, 'held-a');
    // The continuation runs on another worker (no cached endpoint or client), after the cluster went.
    await closeCachedKubeClients();
    clearAksEndpointCache();
    clusterDeleted = true;
    const dequeues = await triggerUntilQuiet(4_000);

    expect(
      dequeues.map(({ dequeueCount, threw, poisonedByHost }) => ({ dequeueCount, threw, poisonedByHost })),
    ).toEqual([{ dequeueCount: 1, threw: false, poisonedByHost: false }]);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    const letters = await poisoned(dequeues[0]!.chain);
    expect(letters).toHaveLength(1);
    const letter = letters[0] as DeadLetter;
    expect(letter).toMatchObject({
      type: 'spot-drainer.dead-letter',
      retriesExhausted: false,
      deliveries: 1,
      invocation: 2,
      eventId: 'PREEMPT-held-a',
      continuation: { type: 'spot-drainer.continuation', chain: { id: dequeues[0]!.chain } },
    });
    expect(letter.reason).toMatch(/^cluster access: .*managedClusters\/aks-spot' .*was not found/);
  }, 300_000);

  it('retries a continuation the API server refuses with 403, then dead-letters it on its last dequeue', async () => {
    await startChain(pool.nodes[1]!, 'held-b');
    proxy.setRules([
      {
        name: 'RBAC refuses the identity',
        path: /^\/api\/v1\/nodes/,
        fault: {
          kind: 'status',
          status: 403,
          message: `nodes is forbidden: User "${identities.aks.objectId}" cannot get resource "nodes" in API group "" at the cluster scope`,
        },
      },
    ]);
    const dequeues = await triggerUntilQuiet(4_000);

    // Thrown twice (visible again after the visibility timeout), the third dequeue acknowledged once
    // the dead letter was sent: the host's own poison move never ran.
    expect(
      dequeues.map(({ dequeueCount, threw, poisonedByHost }) => ({ dequeueCount, threw, poisonedByHost })),
    ).toEqual([
      { dequeueCount: 1, threw: true, poisonedByHost: false },
      { dequeueCount: 2, threw: true, poisonedByHost: false },
      { dequeueCount: 3, threw: false, poisonedByHost: false },
    ]);
    expect(new Set(dequeues.map((dequeue) => dequeue.chain)).size).toBe(1);
    expect(proxy.faulted('status').length).toBeGreaterThanOrEqual(MAX_DELIVERIES);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    const letters = await poisoned(dequeues[0]!.chain);
    expect(letters).toHaveLength(1);
    const letter = letters[0] as DeadLetter;
    expect(letter).toMatchObject({
      type: 'spot-drainer.dead-letter',
      retriesExhausted: true,
      deliveries: MAX_DELIVERIES,
      chain: dequeues[0]!.chain,
    });
    expect(letter.reason).toMatch(/^node resolution: .*cannot get resource "nodes"/);
    expect(letter.reason).toMatch(new RegExp(`\\(delivery ${MAX_DELIVERIES} of ${MAX_DELIVERIES}\\)$`));
  }, 300_000);
});

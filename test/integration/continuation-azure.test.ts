/**
 * A drain that outlives Event Grid's 30 s answer window: a Preempt with ten minutes' notice on a node
 * whose pods a PodDisruptionBudget holds for about three minutes. Every invocation answers within the
 * window; the rest goes on through the continuation Storage queue (Azurite, over HTTPS with Entra ID
 * tokens), whose queue trigger the test plays. The chain ends when the PDB lets go, with one report and
 * one notification; evictions are counted per pod at a proxy in front of the API server.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { adminApis, clusterInfo, uniqueName } from './cluster.ts';
import { azureScheduledEvent } from './events.ts';
import { podUid, workloadOn } from './faults/clients.ts';
import { recordFigures } from './faults/figures.ts';
import { type FaultProxy, startFaultProxy } from './faults/proxy.ts';
import { invocationContext } from './platform.ts';
import { AZURITE_ACCOUNT, startAzurite, storageTokenCredential } from './stand-ins/azurite.ts';
import { triggerOnce } from './stand-ins/queue-trigger.ts';
import type { StandIn } from './stand-ins/server.ts';

const info = clusterInfo();
const identities = readLocalIdentities(info.authnFile);
const apis = adminApis();
const HELD_MS = 180_000;
const DELAY_SECONDS = 2;
const host = JSON.parse(
  readFileSync(new URL('../../functions/azure/host.json', import.meta.url), 'utf8'),
) as { extensions: { queues: { maxDequeueCount: number; visibilityTimeout: string } } };

const credential = storageTokenCredential(
  new TestTokenCredential({ issuer: identities.aks.issuer, objectId: identities.aks.objectId }),
);
let azurite: StandIn;
let proxy: FaultProxy;
let pool: SpotPool;
let node: PoolNode;
let queue: QueueClient;
let poison: QueueClient;
let handlers: typeof import('../../functions/azure/handler.ts');

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

/** Each invocation's duration, from the call to its answer. */
const durations: number[] = [];
async function timed<T>(call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await call();
  } finally {
    durations.push(Date.now() - started);
  }
}

beforeAll(async () => {
  azurite = await startAzurite(info.dir, readFileSync(info.caFile, 'utf8'));
  proxy = await startFaultProxy({ upstream: info.server, certDir: info.dir });
  const queueUrl = `${azurite.url}/${AZURITE_ACCOUNT}/spot-drainer-continuations`;
  queue = new QueueClient(queueUrl, credential);
  poison = new QueueClient(`${queueUrl}-poison`, credential);
  await queue.create();
  await poison.create();
  pool = await createSpotPool(apis, { cloud: 'azure', nodes: 1, id: uniqueName('azchain') });
  node = pool.nodes[0]!;
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  Object.assign(process.env, {
    SPOT_DRAINER_AKS_CLUSTERS: JSON.stringify({
      'mc_rg-spot_aks-spot_eastus': { server: proxy.url, caData: info.caData },
    }),
    SPOT_DRAINER_CONTINUATION_QUEUE_URL: queueUrl,
    SPOT_DRAINER_CONTINUATION_DELAY_SECONDS: String(DELAY_SECONDS),
    SPOT_DRAINER_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/chain`,
    SPOT_DRAINER_POD_EVENTS: 'false',
    LOG_LEVEL: 'error',
  });
  handlers = await import('../../functions/azure/handler.ts');
}, 300_000);

afterAll(async () => {
  await closeCachedKubeClients();
  receiver.close();
  await proxy?.close();
  await azurite?.close();
  if (pool) await deleteSpotPool(apis, pool);
});

const overrides = { credential: () => credential };
const context = (metadata: Record<string, unknown>) =>
  ({ ...invocationContext(), triggerMetadata: metadata }) as unknown as InvocationContext;

describe('a drain that outlives the Event Grid answer window goes on through Storage queue continuations', () => {
  it('answers every invocation within the window and completes the PDB-held drain with one notification', async () => {
    const pods = await workloadOn(
      apis,
      pool,
      node,
      2,
      () => createDeployment(apis, pool, { name: 'quorum', replicas: 2, minAvailable: 2 }),
      'quorum',
    );
    const heldSince = Date.now();
    const event = azureScheduledEvent(node.machineId, {
      notBefore: new Date(heldSince + 600_000),
      eventId: 'PREEMPT-CHAIN',
    });
    const run = (body: unknown) =>
      timed(() =>
        handlers.spotDrainer(
          body as Parameters<typeof handlers.spotDrainer>[0],
          invocationContext(),
          overrides,
        ),
      );
    const first = await run(event);
    const firstReturned = Date.now();
    expect(first.results.map((result) => result.status)).toEqual(['continued']);
    // Event Grid delivering the event again while the chain holds it: acknowledged, left to the chain.
    const redelivery = await run(event);
    expect(redelivery.results).toEqual([
      expect.objectContaining({
        status: 'skipped',
        reason: expect.stringMatching(/continuation chain .* holds/),
      }),
    ]);

    let released = 0;
    let continuations = 0;
    const thrown: unknown[] = [];
    const settings = {
      maxDequeueCount: host.extensions.queues.maxDequeueCount,
      visibilityTimeoutSeconds: 30,
    };
    while (notifications.length === 0 && Date.now() - heldSince < HELD_MS + 240_000) {
      if (!released && Date.now() - heldSince >= HELD_MS) {
        await apis.policy.deleteNamespacedPodDisruptionBudget({ name: 'quorum', namespace: pool.namespace });
        released = Date.now();
      }
      const poll = await triggerOnce(
        queue,
        poison,
        settings,
        (message, ctx) => {
          continuations++;
          return timed(() => handlers.spotDrainerContinuation(message, ctx, overrides));
        },
        context,
      );
      if (poll.threw) thrown.push(poll.threw);
      if (poll.delivered === 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }

    expect(released).toBeGreaterThan(0);
    expect(thrown).toEqual([]);
    expect(notifications).toHaveLength(1);
    const summary = JSON.parse(notifications[0]!) as Record<string, unknown>;
    recordFigures('continuations/azure', {
      heldMs: released - heldSince,
      invocations: summary.invocations,
      chainMs: summary.chainMs,
      longestInvocationMs: Math.max(...durations),
    });
    expect(summary).toMatchObject({ node: node.name, outcome: 'completed', evicted: 2 });
    expect(summary.invocations).toBe(continuations + 1);
    expect(continuations).toBeGreaterThanOrEqual(2);
    expect(summary.chainMs as number).toBeGreaterThanOrEqual(released - firstReturned);
    // Every invocation (the two Event Grid deliveries and each continuation) answered inside the window.
    expect(durations).toHaveLength(continuations + 2);
    for (const duration of durations) expect(duration).toBeLessThan(handlers.EVENT_GRID_ANSWER_WINDOW_MS);

    const accepted = proxy.acceptedEvictionsByUid();
    expect([...accepted.keys()].sort()).toEqual(pods.map(podUid).sort());
    for (const [uid, requests] of accepted) expect(requests, uid).toHaveLength(1);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    expect((await poison.getProperties()).approximateMessagesCount).toBe(0);
  }, 600_000);
});

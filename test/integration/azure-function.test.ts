import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { taintKey } from '../../src/drain/marks.ts';
import { createKubeClient } from '../../src/kube/client.ts';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { createTestEntraIssuer, TestTokenCredential } from '../../src/local-cluster/authn/test-identities.ts';
import {
  createDeployment,
  isPodReady,
  placeOnNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { type DeliveryOutcome, RetryableFailure } from '../../src/pipeline/results.ts';
import { AKS_SERVER_APP_SCOPE } from '../../src/providers/azure/aks-token.ts';
import { adminApis, clusterInfo, eventually, spotPools } from './cluster.ts';
import { azureScheduledEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { invocationContext } from './platform.ts';

const info = clusterInfo();
const identities = readLocalIdentities(info.authnFile);
const apis = adminApis();
const newPool = spotPools('az', 'all', apis);
const credential = new TestTokenCredential({
  issuer: identities.aks.issuer,
  objectId: identities.aks.objectId,
});
let pool: SpotPool;
let spotDrainer: typeof import('../../functions/azure/handler.ts').spotDrainer;
let EVENT_GRID_ANSWER_WINDOW_MS: number;

const run = (event: unknown): Promise<DeliveryOutcome> =>
  spotDrainer(event as Parameters<typeof spotDrainer>[0], invocationContext(), {
    credential: () => credential,
  });

beforeAll(async () => {
  Object.assign(process.env, {
    SPOT_DRAINER_AKS_CLUSTERS: JSON.stringify({
      'mc_rg-spot_aks-spot_eastus': { server: info.server, caData: info.caData },
    }),
    SPOT_DRAINER_POD_EVENTS: 'false',
    LOG_LEVEL: 'warn',
  });
  ({ spotDrainer, EVENT_GRID_ANSWER_WINDOW_MS } = await import('../../functions/azure/handler.ts'));
  pool = await newPool(3, 'azure');
});

afterEach(() => closeCachedKubeClients());

describe('the Azure Function handler against the local control plane, authenticated like AKS', () => {
  it('handles a Preempt with a 30 s deadline: cordoned at once, every eviction accepted in time', async () => {
    const [target] = pool.nodes as [SpotPool['nodes'][number]];
    await placeOnNode(apis, pool, target, 6, () =>
      createDeployment(apis, pool, { name: 'checkout', replicas: 6, maxUnavailable: 2, graceSeconds: 5 }),
    );
    await eventually(
      'pods ready',
      async () => (await podsOnNode(apis.core, target.name)).filter(isPodReady).length === 6,
    );
    const deadline = new Date(Date.now() + 30_000);
    const outcome = await run(
      azureScheduledEvent(target.machineId, { notBefore: deadline, eventId: 'PREEMPT-1' }),
    );

    const [result] = outcome.results;
    expect(result?.status).toBe('handled');
    if (result?.status !== 'handled') return;
    const report = result.report;
    expect(report).toMatchObject({
      node: target.name,
      kind: 'scheduled-event',
      action: 'drain',
      outcome: 'completed',
      deadlineMet: true,
    });
    expect(report.counts.evicted).toBe(6);
    expect(report.pods).toHaveLength(6);
    // Cordoned first: before any eviction was accepted (an order, not a bound on the shared machine's clock).
    expect(report.timings.cordonMs).toBeLessThanOrEqual(
      Math.min(...report.pods.map((pod) => pod.acceptedAfterMs!)),
    );
    for (const pod of report.pods) {
      expect(Date.parse(report.startedAt) + (pod.acceptedAfterMs ?? Number.POSITIVE_INFINITY)).toBeLessThan(
        deadline.getTime(),
      );
      expect(pod.gracePeriodSeconds).toBeLessThanOrEqual(5);
    }
    const node = await apis.core.readNode({ name: target.name });
    expect(node.spec?.unschedulable).toBe(true);
    expect(node.spec?.taints?.map((t) => t.key)).toContain(taintKey('scheduled-event'));
  });

  it('answers Event Grid inside its 30 s window when PDBs hold the drain longer, and hands the rest back for a retry', async () => {
    const held = await newPool(1, 'azure');
    const target = held.nodes[0] as SpotPool['nodes'][number];
    await workloadOn(
      apis,
      held,
      target,
      2,
      () => createDeployment(apis, held, { name: 'quorum', replicas: 2, minAvailable: 2 }),
      'quorum',
    );
    const started = Date.now();
    const answer = await run(
      azureScheduledEvent(target.machineId, {
        notBefore: new Date(started + 300_000),
        eventId: 'PREEMPT-HELD',
      }),
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    const answeredAfterMs = Date.now() - started;
    // Certain by configuration: the handler budgets 25 s of Event Grid's 30 s window.
    expect(answeredAfterMs).toBeLessThan(EVENT_GRID_ANSWER_WINDOW_MS);
    expect(answer).toBeInstanceOf(RetryableFailure);
    expect((answer as Error).message).toContain(target.name);
    expect((await apis.core.readNode({ name: target.name })).spec?.unschedulable).toBe(true);
  });

  it('releases the node when the scheduled event is canceled', async () => {
    const target = pool.nodes[1]!;
    const later = new Date(Date.now() + 600_000);
    await run(azureScheduledEvent(target.machineId, { notBefore: later, eventId: 'REBOOT-9' }));
    expect((await apis.core.readNode({ name: target.name })).spec?.unschedulable).toBe(true);
    await run(
      azureScheduledEvent(target.machineId, { notBefore: later, eventId: 'reboot-9', status: 'Canceled' }),
    );
    expect((await apis.core.readNode({ name: target.name })).spec?.unschedulable).toBeFalsy();
  });

  it('acknowledges foreign and malformed deliveries without touching any node', async () => {
    await expect(
      run({
        id: '1',
        eventType: 'Microsoft.Storage.BlobCreated',
        subject: 'x',
        data: {},
        eventTime: new Date().toISOString(),
      }),
    ).resolves.toMatchObject({ status: 'ignored' });
    await expect(
      run({
        id: '2',
        eventType: 'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted',
        data: { resourceInfo: 7 },
      }),
    ).resolves.toMatchObject({ status: 'invalid' });
    const other = azureScheduledEvent(pool.nodes[2]!.machineId, { notBefore: new Date(Date.now() + 30_000) });
    const foreignGroup = JSON.parse(
      JSON.stringify(other).replaceAll('MC_rg-spot_aks-spot_eastus', 'MC_rg-other_aks-other_eastus'),
    );
    const outcome = await run(foreignGroup);
    expect(outcome.results[0]).toMatchObject({ status: 'skipped' });
    expect((await apis.core.readNode({ name: pool.nodes[2]!.name })).spec?.unschedulable).toBeFalsy();
  });
});

describe("the cluster's authenticator checks Entra tokens the way AKS does", () => {
  const ca = readFileSync(info.caFile, 'utf8');
  const readNode = async (token: string) =>
    createKubeClient({ server: info.server, caPem: ca, token: async () => token }).core.readNode({
      name: pool.nodes[0]!.name,
    });

  it('maps the managed identity token for the AKS server application to the restricted user', async () => {
    const token = await credential.getToken(AKS_SERVER_APP_SCOPE);
    await expect(readNode(token.token)).resolves.toMatchObject({ metadata: { name: pool.nodes[0]!.name } });
    await expect(
      createKubeClient({
        server: info.server,
        caPem: ca,
        token: async () => token.token,
      }).request('GET', '/api/v1/namespaces/default/secrets'),
    ).rejects.toMatchObject({ code: 403 });
  });

  it('refuses a token for another audience', async () => {
    const token = await credential.getToken('https://management.azure.com/.default');
    await expect(readNode(token.token)).rejects.toMatchObject({ code: 401 });
  });

  it('refuses a token from another issuer', async () => {
    const stranger = new TestTokenCredential({
      issuer: await createTestEntraIssuer(),
      objectId: identities.aks.objectId,
    });
    await expect(readNode((await stranger.getToken(AKS_SERVER_APP_SCOPE)).token)).rejects.toMatchObject({
      code: 401,
    });
  });
});

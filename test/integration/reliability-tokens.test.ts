/**
 * Tokens that expire while a drain runs. The cluster's authenticator checks EKS tokens (15 minutes after
 * X-Amz-Date) and Entra tokens (exp) the way EKS and AKS do; here each token is made to expire about
 * three seconds after it is issued, while a PodDisruptionBudget holds the drain for five. The proxy
 * records the token of every request, so a token used past its expiry is seen even when the API
 * server's token cache (about ten seconds here) would still let it through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { drainNode } from '../../src/drain/engine.ts';
import type { DrainReport } from '../../src/drain/report.ts';
import { createKubeClient } from '../../src/kube/client.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { TestTokenCredential, testAwsCredentials } from '../../src/local-cluster/authn/test-identities.ts';
import { createDeployment } from '../../src/local-cluster/node-pool.ts';
import { EKS_TOKEN_LIFETIME_MS, eksTokenProvider } from '../../src/providers/aws/eks-token.ts';
import { aksTokenProvider } from '../../src/providers/azure/aks-token.ts';
import { adminApis, clusterInfo, spotPools } from './cluster.ts';
import { drainDeps, interruptionFor } from './drain-helpers.ts';
import { workloadOn } from './faults/clients.ts';
import { recordFigures, wireSummary } from './faults/figures.ts';
import { type FaultProxy, startFaultProxy } from './faults/proxy.ts';

const info = clusterInfo();
const apis = adminApis();
const identities = readLocalIdentities(info.authnFile);
/** How long each token is accepted after it is issued. */
const TOKEN_LIFE_MS = 3000;
const newPool = spotPools('tok', 'each', apis);
const proxies: FaultProxy[] = [];

// Registered after spotPools: the proxies close before the pools are deleted.
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/** How long a PodDisruptionBudget holds the drain back before the test lifts it. */
const HOLD_MS = 5000;

/** A node running five replicas whose PDB refuses every eviction until the test deletes it. */
async function slowDrainTarget() {
  const pool = await newPool(2);
  const target = pool.nodes[0]!;
  await workloadOn(
    apis,
    pool,
    target,
    5,
    () => createDeployment(apis, pool, { name: 'api', replicas: 5, minAvailable: 5, graceSeconds: 1 }),
    'api',
  );
  const proxy = await startFaultProxy({ upstream: info.server, certDir: info.dir });
  proxies.push(proxy);
  return { pool, target, proxy };
}

async function drainWith(
  token: () => Promise<string>,
  { pool, target, proxy }: Awaited<ReturnType<typeof slowDrainTarget>>,
): Promise<DrainReport> {
  const kube = createKubeClient({ server: proxy.url, caPem: proxy.caPem, token });
  const node = await apis.core.readNode({ name: target.name });
  // Set just before the drain starts: the PDB lets go no sooner than HOLD_MS into the drain.
  const lift = setTimeout(() => {
    void apis.policy.deleteNamespacedPodDisruptionBudget({ name: 'api', namespace: pool.namespace });
  }, HOLD_MS);
  try {
    return await drainNode(node, interruptionFor(target), drainDeps(kube, { podEvents: false }));
  } finally {
    clearTimeout(lift);
    await kube.close();
  }
}

/** EKS tokens signed as if it were 15 minutes minus TOKEN_LIFE_MS ago: each expires TOKEN_LIFE_MS after signing. */
function shortLivedEksTokens(renewAfterMs?: number) {
  const base = testAwsCredentials(identities.eks.identity);
  let signed = 0;
  const token = eksTokenProvider({
    clusterName: identities.eks.clusterName,
    region: identities.eks.region,
    credentials: () => {
      signed++;
      return base();
    },
    clock: () => new Date(Date.now() - (EKS_TOKEN_LIFETIME_MS - TOKEN_LIFE_MS)),
    ...(renewAfterMs ? { renewAfterMs } : {}),
  });
  return { token, signed: () => signed };
}

/** When the API server stops accepting a bearer token: 15 minutes after X-Amz-Date, or the JWT's exp. */
function expiryOf(authorization: string): number {
  const token = authorization.replace(/^Bearer /, '');
  if (token.startsWith('k8s-aws-v1.')) {
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const iso = date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
    return Date.parse(iso) + EKS_TOKEN_LIFETIME_MS;
  }
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    exp: number;
  };
  return payload.exp * 1000;
}

/** Requests sent with a token that had already expired (the API server's token cache may hide them). */
function sentExpired(proxy: FaultProxy) {
  return proxy.log.filter((request) => request.receivedAt >= expiryOf(request.authorization ?? ''));
}

describe('tokens that expire during a long drain', () => {
  it('EKS: the token is signed again before it expires, and the drain completes', async () => {
    const setup = await slowDrainTarget();
    const eks = shortLivedEksTokens(1000);
    const report = await drainWith(eks.token, setup);
    const { proxy } = setup;
    recordFigures('tokens/eks', {
      tokensSigned: eks.signed(),
      distinctTokens: proxy.authorizations.size,
      drainMs: report.timings.totalMs,
      outcome: report.outcome,
      ...wireSummary(proxy.log),
    });

    // The drain outlived several tokens...
    expect(report.timings.totalMs).toBeGreaterThanOrEqual(HOLD_MS - 1); // a timer may fire 1 ms early
    expect(eks.signed()).toBeGreaterThan(1);
    expect(proxy.authorizations.size).toBe(eks.signed());
    expect([...proxy.authorizations].every((value) => value.startsWith('Bearer k8s-aws-v1.'))).toBe(true);
    // ...signed about once a second, not once per request.
    expect(eks.signed()).toBeLessThanOrEqual(Math.ceil(report.timings.totalMs / 1000) + 2);
    expect(eks.signed()).toBeLessThan(proxy.log.length);
    // ...every request carried a token that was still valid, and the API server refused none.
    expect(sentExpired(proxy)).toEqual([]);
    expect(proxy.log.filter((request) => request.status === 401)).toEqual([]);
    expect(report.outcome).toBe('completed');
    expect(report.counts.evicted).toBe(5);
  });

  it('EKS control: without renewal, the same drain goes on sending the expired token', async () => {
    const setup = await slowDrainTarget();
    const eks = shortLivedEksTokens();
    const report = await drainWith(eks.token, setup);
    recordFigures('tokens/eks-no-renewal', {
      tokensSigned: eks.signed(),
      sentExpired: sentExpired(setup.proxy).length,
      outcome: report.outcome,
      ...wireSummary(setup.proxy.log),
    });

    // What the checks above would catch: one token for the whole drain, used after it expired.
    expect(eks.signed()).toBe(1);
    expect(sentExpired(setup.proxy).length).toBeGreaterThan(0);
  });

  it('AKS: the Entra token is requested again before it expires, and the drain completes', async () => {
    const setup = await slowDrainTarget();
    const credential = new TestTokenCredential({
      issuer: identities.aks.issuer,
      objectId: identities.aks.objectId,
      lifetimeMs: TOKEN_LIFE_MS,
    });
    // Refresh two seconds before expiry: one second into each token's life.
    const report = await drainWith(aksTokenProvider(credential, { refreshBeforeMs: 2000 }), setup);
    const { proxy } = setup;
    recordFigures('tokens/aks', {
      tokensIssued: credential.issuedCount,
      distinctTokens: proxy.authorizations.size,
      drainMs: report.timings.totalMs,
      outcome: report.outcome,
      ...wireSummary(proxy.log),
    });

    expect(report.timings.totalMs).toBeGreaterThanOrEqual(HOLD_MS - 1); // a timer may fire 1 ms early
    expect(credential.issuedCount).toBeGreaterThan(1);
    expect(proxy.authorizations.size).toBe(credential.issuedCount);
    expect(credential.issuedCount).toBeLessThanOrEqual(Math.ceil(report.timings.totalMs / 1000) + 2);
    expect(sentExpired(proxy)).toEqual([]);
    expect(proxy.log.filter((request) => request.status === 401)).toEqual([]);
    expect(report.outcome).toBe('completed');
    expect(report.counts.evicted).toBe(5);
  });
});

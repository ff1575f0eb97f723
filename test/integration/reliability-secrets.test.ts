/**
 * Secrets never reach logs, metrics, notifications, Kubernetes Events or the handler's result. Drains
 * run through both handlers with every credential kind the function uses (an EKS token, an AKS Entra
 * JWT, a kubeconfig's static token), notifications go to a local receiver, logging is at debug level,
 * and the API server's errors are made to quote the request's Authorization header (a misbehaving proxy
 * or webhook in front of it), so that the error paths are exercised too. Then every byte captured is
 * searched for every secret that was in play.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestTokenCredential } from '../../src/local-cluster/authn/test-identities.ts';
import { createDeployment, type PoolNode, type SpotPool } from '../../src/local-cluster/node-pool.ts';
import { jsonLogger } from '../../src/logging.ts';
import { createNotifier } from '../../src/notify/notifier.ts';
import { reportSink } from '../../src/pipeline/report-sink.ts';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';
import { invocationContextMetrics } from '../../src/telemetry/invocation-context.ts';
import { awsHarness } from './aws-harness.ts';
import { awsEvent, azureScheduledEvent } from './events.ts';
import { workloadOn } from './faults/clients.ts';
import { recordFigures } from './faults/figures.ts';
import type { Fault, ProxiedRequest } from './faults/proxy.ts';
import { invocationContext } from './platform.ts';

/** Everything the function wrote or sent anywhere. */
const captured: { where: string; text: string }[] = [];
const capture = (where: string, value: unknown) =>
  captured.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });

// Webhook URLs whose path (and query) are the credential, as Slack's and Teams' are.
const SLACK_SECRET = 'Xy7kQ2mN9pL4rS8tV1wZ3aB5';
const WEBHOOK_SECRET = 'whsec0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2';
const WEBHOOK_SIG = 'sig0Zq9Yp8Xo7Wn6Vm5Ul4Tk3';
let receiver: Server;
let slackUrl: string;
let webhookUrl: string;
const notifications: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];

/** Requests whose answer quotes the Authorization header back, the way a careless proxy does. */
const echoEvictionOf = new Set<string>();
const echoPatchOf = new Set<string>();
const echo = (request: ProxiedRequest): Fault | undefined => {
  const quoted = `request denied by admission webhook "audit.example": Authorization: ${request.authorization}`;
  if (request.eviction && echoEvictionOf.has(request.eviction.name))
    return { kind: 'status', status: 400, message: quoted };
  if (request.method === 'PATCH' && [...echoPatchOf].some((node) => request.path.endsWith(`/nodes/${node}`)))
    return { kind: 'status', status: 400, message: quoted };
  return undefined;
};
const aws = awsHarness({ poolPrefix: 'sec', faultProxy: { decide: echo } });
const { info, apis, identities } = aws;

/** An AKS credential that remembers the JWTs it issued. */
const issuedJwts: string[] = [];
const aksCredential: TokenCredential = (() => {
  const inner = new TestTokenCredential({ issuer: identities.aks.issuer, objectId: identities.aks.objectId });
  return {
    async getToken(scopes: string | string[]): Promise<AccessToken> {
      const token = await inner.getToken(scopes);
      issuedJwts.push(token.token);
      return token;
    },
  };
})();

let kubeconfigDir: string;
let kubeconfigPath: string;
let kubeconfigText: string;
let spotDrainer: typeof import('../../functions/azure/handler.ts').spotDrainer;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      notifications.push({ path: req.url ?? '', headers: req.headers, body });
      // Slack accepts; the other endpoint fails, so the failure path is logged too.
      if (req.url?.startsWith('/services/')) res.end('ok');
      else {
        res.statusCode = 500;
        res.end(`upstream error for ${req.url}`);
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  slackUrl = `http://127.0.0.1:${port}/services/T0AAAAAAA/B0BBBBBBB/${SLACK_SECRET}`;
  webhookUrl = `http://127.0.0.1:${port}/hooks/${WEBHOOK_SECRET}?sig=${WEBHOOK_SIG}`;

  const { proxy } = aws;
  kubeconfigDir = mkdtempSync(join(tmpdir(), 'spot-drainer-secrets-'));
  kubeconfigPath = join(kubeconfigDir, 'kubeconfig.json');
  kubeconfigText = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: proxy.url, 'certificate-authority-data': info.caData } }],
    users: [{ name: 'drainer', user: { token: info.drainerToken } }],
    contexts: [{ name: 'drainer', context: { cluster: 'local', user: 'drainer' } }],
    'current-context': 'drainer',
  });
  writeFileSync(kubeconfigPath, kubeconfigText, { mode: 0o600 });

  // The Azure Function reads its settings at import.
  Object.assign(process.env, {
    SPOT_DRAINER_AKS_CLUSTERS: JSON.stringify({
      'mc_rg-spot_aks-spot_eastus': { server: proxy.url, caData: info.caData },
    }),
    SLACK_URL: slackUrl,
    SPOT_DRAINER_WEBHOOK_URL: webhookUrl,
    LOG_LEVEL: 'debug',
  });
  ({ spotDrainer } = await import('../../functions/azure/handler.ts'));

  // Anything written straight to the process's output counts too.
  for (const stream of [process.stdout, process.stderr] as const) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      capture(stream === process.stdout ? 'stdout' : 'stderr', String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => receiver?.close(resolve));
  if (kubeconfigDir) rmSync(kubeconfigDir, { recursive: true, force: true });
});

async function busyNode(cloud: 'aws' | 'azure'): Promise<{ node: PoolNode; pool: SpotPool; pods: string[] }> {
  const pool = await aws.pool(2, cloud);
  const node = pool.nodes[0]!;
  const pods = await workloadOn(apis, pool, node, 3, () =>
    createDeployment(apis, pool, { name: 'web', replicas: 3, graceSeconds: 1 }),
  );
  return { node, pool, pods: pods.map((pod) => pod.metadata?.name ?? '').sort() };
}

/** The AWS handler as the Lambda runs it, with a capturing logger and metrics. */
async function runAws(event: unknown, env: Record<string, string>): Promise<DeliveryOutcome> {
  const config = aws.configWith({
    SLACK_URL: slackUrl,
    SPOT_DRAINER_WEBHOOK_URL: webhookUrl,
    LOG_LEVEL: 'debug',
    ...env,
  });
  const logger = jsonLogger({ level: 'debug', write: (line) => capture('aws log', line) });
  const metrics = invocationContextMetrics({
    log: (...args) => capture('aws metrics', args),
    warn: (...args) => capture('aws metrics', args),
    error: (...args) => capture('aws metrics', args),
  });
  try {
    const outcome = await aws.handle(event, {
      config,
      logger,
      onReport: reportSink(createNotifier(config, { logger }), metrics, logger),
    });
    capture('aws result', outcome);
    return outcome;
  } finally {
    metrics.flush();
  }
}

function azureContext(): InvocationContext {
  return invocationContext((...args: unknown[]) => capture('azure log', args));
}

/** The Kubernetes Events the drainer wrote about a node and its pods. */
async function eventsAbout(node: PoolNode, pool: SpotPool) {
  const [nodeEvents, podEvents] = await Promise.all([
    apis.core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node.name}`,
    }),
    apis.core.listNamespacedEvent({ namespace: pool.namespace }),
  ]);
  for (const event of [...nodeEvents.items, ...podEvents.items])
    if (event.source?.component === 'spot-drainer' || event.reportingComponent === 'spot-drainer')
      capture('kubernetes event', { reason: event.reason, message: event.message });
}

function secretsInPlay(): { name: string; value: string }[] {
  const tokens = [...aws.proxy.authorizations].map((header) => header.replace(/^Bearer\s+/i, ''));
  return [
    ...tokens.map((value, index) => ({ name: `bearer token #${index + 1}`, value })),
    ...issuedJwts.map((value, index) => ({ name: `AKS JWT #${index + 1}`, value })),
    { name: 'the drainer static token', value: info.drainerToken },
    { name: 'the AWS secret access key', value: identities.eks.identity.secretAccessKey },
    { name: 'the kubeconfig', value: kubeconfigText },
    { name: "the kubeconfig's CA data", value: info.caData.slice(0, 64) },
    { name: 'the Slack URL', value: slackUrl },
    { name: "the Slack URL's secret", value: SLACK_SECRET },
    { name: 'the webhook URL', value: webhookUrl },
    { name: "the webhook URL's secret", value: WEBHOOK_SECRET },
    { name: "the webhook URL's signature", value: WEBHOOK_SIG },
  ];
}

describe('no secret reaches logs, metrics, notifications, events or results', () => {
  it('through the AWS handler with an EKS token, an API error quoting it, and failing notifications', async () => {
    const { node, pool, pods } = await busyNode('aws');
    aws.describeInstance(node);
    echoEvictionOf.add(pods[0]!);
    const outcome = await runAws(awsEvent('spot-interruption-warning.json', node.machineId), {});
    const [result] = outcome.results;
    expect(result?.status).toBe('handled');
    if (result?.status === 'handled') {
      expect(result.report.counts).toMatchObject({ evicted: 2, failed: 1 });
      // The refusal is reported (redacted where it is shown), not swallowed.
      expect(result.report.errors).toHaveLength(1);
    }
    await eventsAbout(node, pool);
  });

  it('through the AWS handler with a kubeconfig token, when the cordon itself fails quoting it', async () => {
    const { node, pool } = await busyNode('aws');
    aws.describeInstance(node);
    echoPatchOf.add(node.name);
    const outcome = await runAws(awsEvent('spot-interruption-warning.json', node.machineId), {
      SPOT_DRAINER_KUBECONFIG_SOURCE: `file:${kubeconfigPath}`,
    });
    const [result] = outcome.results;
    expect(result?.status === 'handled' && result.report.outcome).toBe('failed');
    await eventsAbout(node, pool);
  });

  it('through the Azure Function with an Entra token', async () => {
    const { node, pool, pods } = await busyNode('azure');
    echoEvictionOf.add(pods[0]!);
    const outcome = await spotDrainer(
      azureScheduledEvent(node.machineId, { notBefore: new Date(Date.now() + 60_000) }) as never,
      azureContext(),
      { credential: () => aksCredential },
    );
    capture('azure result', outcome);
    expect(outcome.results[0]?.status).toBe('handled');
    await eventsAbout(node, pool);
  });

  it('finds none of them in anything captured', () => {
    for (const notification of notifications) {
      capture('notification body', notification.body);
      capture('notification headers', notification.headers);
    }
    const secrets = secretsInPlay();
    recordFigures('secrets', {
      capturedOutputs: captured.length,
      capturedBytes: captured.reduce((sum, item) => sum + item.text.length, 0),
      notifications: notifications.length,
      secretsSearched: secrets.length,
      distinctBearerTokens: aws.proxy.authorizations.size,
    });
    // The runs really used every kind of credential, and really notified and logged.
    const tokens = [...aws.proxy.authorizations];
    expect(tokens.some((token) => token.startsWith('Bearer k8s-aws-v1.'))).toBe(true);
    expect(tokens.some((token) => token.startsWith('Bearer eyJ'))).toBe(true);
    expect(tokens).toContain(`Bearer ${info.drainerToken}`);
    expect(notifications.length).toBeGreaterThanOrEqual(4);
    expect(captured.some((item) => item.where === 'aws log' && item.text.includes('drain report'))).toBe(
      true,
    );
    expect(captured.some((item) => item.where === 'azure log')).toBe(true);
    expect(captured.some((item) => item.where === 'kubernetes event')).toBe(true);
    expect(captured.some((item) => /denied by admission webhook/.test(item.text))).toBe(true);

    const leaks = captured.flatMap((item) =>
      secrets
        .filter((secret) => item.text.includes(secret.value))
        .map((secret) => `${secret.name} in ${item.where}: ${item.text.slice(0, 200)}`),
    );
    expect(leaks).toEqual([]);
    // Nothing shaped like a token either, whoever minted it.
    for (const item of captured) {
      expect(item.text, item.where).not.toMatch(/k8s-aws-v1\.[A-Za-z0-9_-]{20,}/);
      expect(item.text, item.where).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/);
    }
  });
});

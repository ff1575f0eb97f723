/**
 * `spot-drainer demo`: the whole product on this machine with nothing configured. A local control plane,
 * a spot node pool with real workloads and PDBs, an AWS spot warning fired at the bundled Lambda (EKS
 * token checked by the API server's authenticator) and an Azure Preempt at the bundled Function (Entra
 * token), step by step with timings; then everything is torn down, also when it fails or is interrupted
 * (Ctrl-C exits 130, SIGTERM 143). Works from a checkout: it bundles functions/ and builds the control
 * plane from src/local-cluster/.
 */

import { pathToFileURL } from 'node:url';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { DrainReport } from '../drain/report.ts';
import { adminApisFor } from '../local-cluster/admin-apis.ts';
import { type LocalIdentities, readLocalIdentities } from '../local-cluster/authn/local-identities.ts';
import { TestTokenCredential } from '../local-cluster/authn/test-identities.ts';
import { type ClusterInfo, startControlPlane, stopControlPlane } from '../local-cluster/control-plane.ts';
import { startFakeAws } from '../local-cluster/fake-aws.ts';
import { standInFunctionsHost } from '../local-cluster/functions-host.ts';
import {
  createDeployment,
  createMixedWorkloads,
  createSpotPool,
  isPodReady,
  type PoolApis,
  type PoolNode,
  placeOnNode,
  podsOnNode,
  type SpotPool,
} from '../local-cluster/node-pool.ts';
import { projectPath } from '../local-cluster/project-root.ts';
import { azureScheduledEvent, spotInterruptionWarning } from '../local-cluster/sample-events.ts';
import { tearDownOnExit } from '../local-cluster/teardown.ts';
import type { DeliveryOutcome } from '../pipeline/results.ts';
import { buildAll, bundles, outfile } from './bundle.ts';
import type { CommandOutput } from './parse-command.ts';

const bundleUrl = (path: string) => pathToFileURL(projectPath(path)).href;

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (text: string) => process.stdout.write(`\n${bold(`▸ ${text}`)}\n`);
const line = (text: string) => process.stdout.write(`  ${text}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function describeReport(report: DrainReport): void {
  const retried = report.pods.filter((pod) => pod.attempts > 1).length;
  line(`node ${report.node} (${report.providerId})`);
  line(`cordoned and tainted ${report.timings.cordonMs} ms after the handler started, in one API request`);
  line(
    `${report.counts.evicted} of ${report.counts.evictable} pods evicted` +
      (retried ? ` (${retried} waited for their PodDisruptionBudget)` : '') +
      `, last accepted after ${seconds(report.timings.lastEvictionAcceptedMs ?? 0)}`,
  );
  line(
    `left alone: ${
      report.pods
        .filter((pod) => pod.outcome === 'skipped')
        .map((pod) => `${pod.name} (${pod.disposition})`)
        .join(', ') || 'nothing'
    }`,
  );
  if (report.timings.emptyMs !== undefined) line(`node empty after ${seconds(report.timings.emptyMs)}`);
  line(
    `deadline ${report.deadline} ${report.deadlineMet ? 'met' : 'MISSED'}; ${report.apiRequests} API requests; outcome ${report.outcome}`,
  );
}

function firstReport(outcome: DeliveryOutcome): DrainReport | undefined {
  const result = outcome.results[0];
  return result?.status === 'handled' ? result.report : undefined;
}

/** Starts the local control plane; the caller owns stopping it. */
async function startCluster(): Promise<ClusterInfo> {
  step('Starting a local Kubernetes control plane (etcd, kube-apiserver, controllers, scheduler, kwok)');
  return startControlPlane();
}

/** Prints the control plane's version, address and start-up time. */
function describeCluster(info: ClusterInfo, started: number): void {
  line(
    `Kubernetes ${info.kubernetesVersion} at ${info.server}, ready ${seconds(Date.now() - started)} after start`,
  );
  line('the handlers authenticate as the identity bound by infra/kubernetes/rbac.yaml, nothing more');
}

/** Bundles the Lambda and the Function with esbuild and prints their sizes. */
async function buildBundles(): Promise<void> {
  step('Bundling the cloud entry points with esbuild');
  const sizes = await buildAll();
  line(
    `Lambda ${outfile(bundles.aws)} ${(sizes.aws.entryBytes / 1024).toFixed(0)} KiB, Function ${outfile(bundles.azure)} ${(sizes.azure.entryBytes / 1024).toFixed(0)} KiB (plus chunks loaded only when needed)`,
  );
}

/**
 * Waits (up to 60 s) until no Job pod on `node` is still running and at least `count` of its pods are
 * Ready or Succeeded; resolves with the number of pods on the node, throws when they do not get there.
 */
async function settle(core: CoreV1Api, node: string, count: number): Promise<number> {
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const pods = await podsOnNode(core, node);
    const jobRunning = pods.some(
      (pod) =>
        pod.status?.phase !== 'Succeeded' &&
        pod.metadata?.ownerReferences?.some((owner) => owner.kind === 'Job'),
    );
    const settled = pods.filter((pod) => isPodReady(pod) || pod.status?.phase === 'Succeeded');
    if (!jobRunning && settled.length >= count) return pods.length;
  }
  throw new Error(`pods on ${node} did not start`);
}

/** The AWS pool: 3 EKS-style nodes, every kind of workload plus a PDB-guarded `checkout` on the first. */
async function prepareAwsPool(apis: PoolApis): Promise<SpotPool> {
  step('AWS: a spot node pool of 3 EKS-style nodes, workloads started on the first');
  const awsPool = await createSpotPool(apis, { cloud: 'aws', nodes: 3, id: 'demo-aws' });
  const awsTarget = awsPool.nodes[0]!;
  await createMixedWorkloads(apis, awsPool, awsTarget);
  await placeOnNode(apis, awsPool, awsTarget, 4, async () => {
    await createDeployment(apis, awsPool, { name: 'checkout', replicas: 4, maxUnavailable: 1 });
  });
  line(
    `${awsTarget.name} (${awsTarget.providerId}): ${await settle(apis.core, awsTarget.name, 13)} pods: Deployments with PDBs, a StatefulSet, a DaemonSet, emptyDir, bare, static and critical pods, a finished Job`,
  );
  return awsPool;
}

/**
 * Starts the loopback EC2/EKS stand-in for the pool's instances (its close goes first in `stops`) and
 * points the Lambda's environment at it, with the local EKS identity's credentials.
 */
async function startAwsStandIn(
  info: ClusterInfo,
  identities: LocalIdentities,
  awsPool: SpotPool,
  stops: Array<() => Promise<void>>,
): Promise<void> {
  const aws = await startFakeAws(
    [{ name: identities.eks.clusterName, endpoint: info.server, caData: info.caData }],
    awsPool.nodes.map((node) => ({
      instanceId: node.machineId,
      privateDnsName: node.privateDnsName,
      zone: node.zone,
      tags: { 'eks:cluster-name': identities.eks.clusterName },
    })),
  );
  stops.unshift(() => aws.close());
  Object.assign(process.env, {
    AWS_REGION: identities.eks.region,
    AWS_ACCESS_KEY_ID: identities.eks.identity.accessKeyId,
    AWS_SECRET_ACCESS_KEY: identities.eks.identity.secretAccessKey,
    AWS_ENDPOINT_URL_EC2: aws.url,
    AWS_ENDPOINT_URL_EKS: aws.url,
    SPOT_DRAINER_CLUSTER_NAME: identities.eks.clusterName,
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'error',
  });
}

/**
 * Fires a spot interruption warning for `awsTarget` at the bundled Lambda, prints its drain report and the
 * node's events; resolves with the report (undefined when the node was not drained).
 */
async function runAwsScenario(apis: PoolApis, awsTarget: PoolNode): Promise<DrainReport | undefined> {
  step('EventBridge → Lambda: EC2 Spot Instance Interruption Warning (2 minutes notice)');
  line(
    'EC2 DescribeInstances and EKS DescribeCluster answered by a loopback stand-in; the EKS IAM token is verified by the API server',
  );
  const lambda = (await import(bundleUrl(outfile(bundles.aws)))) as {
    handler: (event: unknown, context: unknown) => Promise<DeliveryOutcome>;
  };
  const awsDeadline = Date.now() + 120_000;
  const awsOutcome = await lambda.handler(spotInterruptionWarning(awsTarget.machineId), {
    getRemainingTimeInMillis: () => awsDeadline + 30_000 - Date.now(),
  });
  const awsReport = firstReport(awsOutcome);
  if (awsReport) describeReport(awsReport);
  else line(`not drained: ${JSON.stringify(awsOutcome.results[0] ?? awsOutcome)}`);
  const nodeEvents = await apis.core.listNamespacedEvent({
    namespace: 'default',
    fieldSelector: `involvedObject.kind=Node,involvedObject.name=${awsTarget.name}`,
  });
  line(
    `kubectl describe node ${awsTarget.name} shows: ${nodeEvents.items.map((event) => event.reason).join(', ')}`,
  );
  return awsReport;
}

/**
 * The Azure pool: 3 AKS-style nodes, a PDB-guarded `cart` Deployment on the first; registers the cluster
 * for the Function (SPOT_DRAINER_AKS_CLUSTERS). Resolves with the target node.
 */
async function prepareAzurePool(apis: PoolApis, info: ClusterInfo): Promise<PoolNode> {
  step('Azure: a spot node pool of 3 AKS-style nodes (scale set), a PDB-guarded Deployment on the first');
  const azurePool = await createSpotPool(apis, { cloud: 'azure', nodes: 3, id: 'demo-azure' });
  const azureTarget = azurePool.nodes[0]!;
  await placeOnNode(apis, azurePool, azureTarget, 8, async () => {
    await createDeployment(apis, azurePool, {
      name: 'cart',
      replicas: 8,
      maxUnavailable: 2,
      graceSeconds: 5,
    });
  });
  line(`${azureTarget.name}: ${await settle(apis.core, azureTarget.name, 8)} pods`);
  process.env.SPOT_DRAINER_AKS_CLUSTERS = JSON.stringify({
    'mc_rg-spot_aks-spot_eastus': { server: info.server, caData: info.caData },
  });
  return azureTarget;
}

/** A Functions invocation context whose log methods print nothing. */
function quietContext(): Record<string, unknown> {
  const quiet = () => {};
  return {
    invocationId: 'demo',
    functionName: 'spotDrainer',
    log: quiet,
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: quiet,
  };
}

/**
 * Delivers a Preempt scheduled event for `azureTarget` to the bundled Function, loaded in a stand-in
 * Functions host, with an Entra-style test credential; prints and resolves with its drain report.
 */
async function runAzureScenario(
  identities: LocalIdentities,
  azureTarget: PoolNode,
): Promise<DrainReport | undefined> {
  step('Event Grid → Azure Function: scheduled event Preempt (30 seconds notice)');
  line(
    'the managed identity is stood in for by a credential whose Entra-style tokens the API server verifies',
  );
  // Loaded as the Functions host loads it, with the host's core module: no "test mode" warnings.
  const host = standInFunctionsHost();
  const fn = (await import(bundleUrl(outfile(bundles.azure)))) as {
    spotDrainer: (event: unknown, context: unknown, overrides: unknown) => Promise<DeliveryOutcome>;
  };
  line(
    `the Function app registered ${host.functions.map((f) => `${f.name} (${f.trigger})`).join(', ') || 'nothing'}`,
  );
  const credential = new TestTokenCredential({
    issuer: identities.aks.issuer,
    objectId: identities.aks.objectId,
  });
  const azureOutcome = await fn.spotDrainer(
    azureScheduledEvent(azureTarget.machineId, { notBefore: new Date(Date.now() + 30_000) }),
    quietContext(),
    { credential: () => credential },
  );
  const azureReport = firstReport(azureOutcome);
  if (azureReport) describeReport(azureReport);
  else line(`not drained: ${JSON.stringify(azureOutcome.results[0] ?? azureOutcome)}`);
  return azureReport;
}

/** Prints the closing line; exit code 0 when both drains completed, 1 otherwise. */
function summarize(
  started: number,
  awsReport: DrainReport | undefined,
  azureReport: DrainReport | undefined,
): CommandOutput {
  const ok = awsReport?.outcome === 'completed' && azureReport?.outcome === 'completed';
  step(
    `Done in ${seconds(Date.now() - started)}: ${ok ? 'both nodes drained before their deadlines' : 'something did not complete (see above)'}`,
  );
  return { code: ok ? 0 : 1 };
}

/** Runs every stop (AWS stand-in first, then the control plane), ignoring their failures. */
async function tearDown(stops: Array<() => Promise<void>>): Promise<void> {
  step('Tearing down the control plane');
  for (const stop of stops) await stop().catch(() => undefined);
  line('stopped, and its temporary state removed');
}

/**
 * Runs the demo (`spot-drainer demo`), printing each step to stdout. Resolves with exit code 0 when both
 * drains completed, 1 otherwise; rejects when the control plane cannot start or a step fails (after
 * tearing down). Installs SIGINT / SIGTERM / exit handlers (teardown.ts) that stop the control plane and
 * remove its state whatever happens, and leaves them installed: the process is meant to end after it.
 */
export async function runDemo(): Promise<CommandOutput> {
  const started = Date.now();
  tearDownOnExit();

  const info = await startCluster();
  const stops: Array<() => Promise<void>> = [() => stopControlPlane(info)];
  try {
    describeCluster(info, started);
    await buildBundles();
    const apis = adminApisFor(info);
    const identities = readLocalIdentities(info.authnFile);

    const awsPool = await prepareAwsPool(apis);
    await startAwsStandIn(info, identities, awsPool, stops);
    const awsReport = await runAwsScenario(apis, awsPool.nodes[0]!);

    const azureTarget = await prepareAzurePool(apis, info);
    const azureReport = await runAzureScenario(identities, azureTarget);

    return summarize(started, awsReport, azureReport);
  } finally {
    await tearDown(stops);
  }
}

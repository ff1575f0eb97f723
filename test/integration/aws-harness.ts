/**
 * The AWS side of the run's control plane, for tests that take events through the AWS pipeline
 * (`handleAwsEvent`, pipelines.ts) or the Lambda handler itself: EC2, EKS and Auto Scaling answered at the
 * SDK seam (aws-sdk-client-mock) as they answer for an EKS cluster whose API server is the local one
 * (or a fault proxy in front of it), authenticated with the local EKS identity (authn.json), and the spot
 * pools the test creates deleted after it. One place, so these tests cannot drift from each other in
 * what "an EKS cluster" answers.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { Context } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type Config, loadConfig } from '../../src/config.ts';
import { closeCachedKubeClients } from '../../src/kube/client-cache.ts';
import { type LocalIdentities, readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { testAwsCredentials } from '../../src/local-cluster/authn/test-identities.ts';
import type { ClusterInfo } from '../../src/local-cluster/control-plane.ts';
import type { PoolCloud, PoolNode, SpotPool } from '../../src/local-cluster/node-pool.ts';
import { silentLogger } from '../../src/logging.ts';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';
import { clearEksClusterCache } from '../../src/providers/aws/eks-cluster.ts';
import { type AdminApis, adminApis, clusterInfo, spotPools } from './cluster.ts';
import { type FaultProxy, type FaultProxyOptions, startFaultProxy } from './faults/proxy.ts';
import { type AwsTestDeps, handleAwsEvent } from './pipelines.ts';
import { type DescribedAs, describedInstance } from './platform.ts';

/** What differs between the files that use {@link awsHarness}. */
export interface AwsHarnessOptions {
  /** Prefix of the spot pools' names (`<prefix>-<random>`). */
  poolPrefix: string;
  /**
   * The function's settings beyond SPOT_DRAINER_CLUSTER_NAME (always the local EKS cluster's), as
   * environment variables: read into `config`, and set in process.env by `lambdaHandler`.
   */
  env?: Record<string, string>;
  /**
   * Puts a fault proxy (faults/proxy.ts) in front of the API server, started before the file's tests and
   * closed after them: EKS DescribeCluster then answers with the proxy's URL as the cluster endpoint.
   * Its rules and `decide`; upstream and certificates are the run's control plane's.
   */
  faultProxy?: Omit<FaultProxyOptions, 'upstream' | 'certDir'>;
  /** The function's remaining time at every step of `handle`, ms (60 s by default). */
  remainingTimeMs?: number;
  /** Given every drain report `handle` produces (the Lambda's notifier and metrics sink). */
  onReport?: AwsTestDeps['onReport'];
  /**
   * When the EKS cluster cache and the cached kube clients are dropped: after each test (so each test
   * resolves the cluster and connects anew) or after the file (the default).
   */
  clearCachesAfter?: 'each' | 'all';
}

/** The Lambda entry point, as functions/aws/handler.ts exports it. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<DeliveryOutcome>;

/** What {@link awsHarness} gives a test file. */
export interface AwsHarness {
  info: ClusterInfo;
  apis: AdminApis;
  identities: LocalIdentities;
  /** The local EKS cluster's region. */
  region: string;
  /** The local EKS cluster's name, the `eks:cluster-name` tag of its instances. */
  clusterName: string;
  ec2: AwsClientStub<EC2Client>;
  eks: AwsClientStub<EKSClient>;
  autoScaling: AwsClientStub<AutoScalingClient>;
  /** The settings of `options.env`. */
  config: Config;
  /** What `handle` passes `handleAwsEvent`: `config`, a silent logger, the local EKS identity. */
  deps: AwsTestDeps;
  /** The fault proxy of `options.faultProxy`, once started; throws without one. */
  readonly proxy: FaultProxy;
  /** Settings of `options.env` and `env` over it. */
  configWith(env: Record<string, string>): Config;
  /** One EventBridge event through the AWS pipeline with `deps` (and `overrides` over them). */
  handle(event: unknown, overrides?: Partial<AwsTestDeps>): Promise<DeliveryOutcome>;
  /**
   * Has EC2 DescribeInstances answer for the node's instance (or `as.instanceId`), tagged with the local
   * cluster (or `clusterName`), until the mocks are reset; an instance not described answers no
   * reservations.
   */
  describeInstance(node: PoolNode, as?: DescribedAs & { clusterName?: string }): void;
  /** A new spot pool of `nodes` nodes, deleted after the file. */
  pool(nodes: number, cloud?: PoolCloud): Promise<SpotPool>;
  /** Forgets every answer and call of the three mocks and the described instances, then answers as at start. */
  resetMocks(): void;
  /**
   * Sets the Lambda's environment in process.env (the local EKS identity's region and keys for the
   * default credential chain, no metrics output, `options.env`, then `env`) and imports the handler,
   * which reads it at import.
   */
  lambdaHandler(env?: Record<string, string>): Promise<LambdaHandler>;
}

/**
 * Sets up the AWS stand-ins for one test file and registers its hooks (the fault proxy's start, the
 * cleanup after each test or after the file). Call it once at the top level of the file. The mocks
 * answer DescribeCluster with the cluster's endpoint and CA, DescribeInstances with the instances
 * `describeInstance` was given, and CompleteLifecycleAction and RecordLifecycleActionHeartbeat with
 * success; anything else, or another answer, the test sets on `ec2`, `eks` and `autoScaling`.
 */
export function awsHarness(options: AwsHarnessOptions): AwsHarness {
  const info = clusterInfo();
  const apis = adminApis(info);
  const identities = readLocalIdentities(info.authnFile);
  const { region, clusterName } = identities.eks;
  const ec2 = mockClient(EC2Client);
  const eks = mockClient(EKSClient);
  const autoScaling = mockClient(AutoScalingClient);
  const instances = new Map<string, { node: PoolNode; clusterName: string; described: DescribedAs }>();
  const pool = spotPools(options.poolPrefix, 'all', apis);
  let proxy: FaultProxy | undefined;

  const answer = () => {
    eks.on(DescribeClusterCommand).callsFake(() => ({
      cluster: {
        name: clusterName,
        status: 'ACTIVE',
        endpoint: proxy?.url ?? info.server,
        certificateAuthority: { data: info.caData },
      },
    }));
    ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
      const known = instances.get(input.InstanceIds?.[0] ?? '');
      return known ? describedInstance(known.node, known.clusterName, known.described) : { Reservations: [] };
    });
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});
  };
  answer();
  registerHooks(options, {
    start: async () => {
      if (options.faultProxy)
        proxy = await startFaultProxy({ ...options.faultProxy, upstream: info.server, certDir: info.dir });
    },
    stop: async () => {
      await proxy?.close();
      for (const mock of [ec2, eks, autoScaling]) mock.restore();
    },
  });

  const configWith = (env: Record<string, string>) =>
    loadConfig({ SPOT_DRAINER_CLUSTER_NAME: clusterName, ...options.env, ...env });
  const config = configWith({});
  const deps: AwsTestDeps = {
    config,
    logger: silentLogger,
    region,
    credentials: testAwsCredentials(identities.eks.identity),
    clients: () => ({
      ec2: new EC2Client({ region }),
      eks: new EKSClient({ region }),
      autoScaling: new AutoScalingClient({ region }),
    }),
    remainingTimeMs: () => options.remainingTimeMs ?? 60_000,
    onReport: options.onReport,
  };
  return {
    info,
    apis,
    identities,
    region,
    clusterName,
    ec2,
    eks,
    autoScaling,
    config,
    deps,
    get proxy() {
      if (!proxy)
        throw new Error('no fault proxy: pass options.faultProxy, and use it once beforeAll has run');
      return proxy;
    },
    configWith,
    handle: (event, overrides = {}) => handleAwsEvent(event, { ...deps, ...overrides }),
    describeInstance(node, as = {}) {
      const { clusterName: tag = clusterName, ...described } = as;
      instances.set(as.instanceId ?? node.machineId, { node, clusterName: tag, described });
    },
    pool,
    resetMocks() {
      for (const mock of [ec2, eks, autoScaling]) mock.reset();
      instances.clear();
      answer();
    },
    async lambdaHandler(env = {}) {
      Object.assign(process.env, {
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: identities.eks.identity.accessKeyId,
        AWS_SECRET_ACCESS_KEY: identities.eks.identity.secretAccessKey,
        SPOT_DRAINER_CLUSTER_NAME: clusterName,
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...options.env,
        ...env,
      });
      return (await import('../../functions/aws/handler.ts')).handler as LambdaHandler;
    },
  };
}

/** The file's hooks: `start` before its tests; caches dropped after each test or the file; then `stop`. */
function registerHooks(
  options: Pick<AwsHarnessOptions, 'clearCachesAfter'>,
  hooks: { start: () => Promise<void>; stop: () => Promise<void> },
): void {
  const clearCaches = async () => {
    clearEksClusterCache();
    await closeCachedKubeClients();
  };
  beforeAll(hooks.start);
  // After-hooks run last registered first: the pools (registered before this) are deleted after `stop`.
  afterAll(hooks.stop);
  if (options.clearCachesAfter === 'each') afterEach(clearCaches);
  afterAll(clearCaches);
}

import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EKSClient } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { describeEksCluster } from '../cloud/aws/eks-cluster.ts';
import { eksTokenProvider } from '../cloud/aws/eks-token.ts';
import { isRetryableAwsError } from '../cloud/aws/errors.ts';
import { describeInstance, type InstanceFacts } from '../cloud/aws/instances.ts';
import { completeLifecycleAction, startLifecycleHeartbeat } from '../cloud/aws/lifecycle.ts';
import { awsSecretReader } from '../cloud/aws/secret-reader.ts';
import type { Config } from '../config.ts';
import type { DrainReport } from '../drain/report.ts';
import type { Interruption, LifecycleHookRef } from '../events/interruption.ts';
import { parseEvent } from '../events/registry.ts';
import { cachedKubeClient } from '../kube/client-cache.ts';
import { describeApiError } from '../kube/errors.ts';
import { clusterAccessFromSource } from '../kube/kubeconfig-source.ts';
import type { Logger } from '../logging.ts';
import {
  type DrainHooks,
  drainResolvedTarget,
  type HandlerOutcome,
  type InterruptionResult,
  type PipelineDependencies,
} from './pipeline.ts';

export interface AwsClients {
  ec2: EC2Client;
  eks: EKSClient;
  autoScaling: AutoScalingClient;
}

export interface AwsHandlerDependencies {
  config: Config;
  logger: Logger;
  region: string;
  clients: () => AwsClients;
  credentials?: AwsCredentialIdentityProvider;
  remainingTimeMs?: () => number;
  now?: () => Date;
  onReport?: PipelineDependencies['onReport'];
  onProgress?: PipelineDependencies['onProgress'];
}

type Target = { cluster: string; facts?: InstanceFacts } | { skip: string };

function chooseCluster(config: Config, facts: InstanceFacts | undefined, instanceId: string): Target {
  if (!facts) {
    return config.clusterName
      ? { cluster: config.clusterName }
      : {
          skip: `instance ${instanceId} not described (not found, or SPOT_DRAINER_INSTANCE_LOOKUP=none) and SPOT_DRAINER_CLUSTER_NAME is not set`,
        };
  }
  if (config.clusterName && facts.clusterName && facts.clusterName !== config.clusterName) {
    return {
      skip: `instance ${instanceId} belongs to cluster ${facts.clusterName}, not ${config.clusterName}`,
    };
  }
  const tag = config.managedTag;
  if (
    tag &&
    (facts.tags[tag.key] === undefined || (tag.value !== undefined && facts.tags[tag.key] !== tag.value))
  ) {
    return {
      skip: `instance ${instanceId} lacks the managed tag ${tag.key}${tag.value === undefined ? '' : `=${tag.value}`}`,
    };
  }
  const cluster = config.clusterName ?? facts.clusterName;
  return cluster ? { cluster, facts } : { skip: `instance ${instanceId} names no cluster in its tags` };
}

function clusterClient(cluster: string, deps: AwsHandlerDependencies) {
  const source = deps.config.kubeconfigSource;
  if (source)
    return cachedKubeClient(`kubeconfig:${source}`, () =>
      clusterAccessFromSource(source, { aws: awsSecretReader }),
    );
  return cachedKubeClient(`eks:${deps.region}:${cluster}`, async () => {
    const endpoint = await describeEksCluster(deps.clients().eks, cluster);
    return {
      server: endpoint.endpoint,
      caPem: Buffer.from(endpoint.caData, 'base64').toString('utf8'),
      token: eksTokenProvider({ clusterName: cluster, region: deps.region, credentials: deps.credentials }),
    };
  });
}

function lifecycleHooks(hook: LifecycleHookRef | undefined, deps: AwsHandlerDependencies): DrainHooks {
  if (!hook) return {};
  const autoScaling = deps.clients().autoScaling;
  const intervalMs = Math.min(300_000, (deps.config.lifecycleHookTimeoutSeconds * 1000) / 3);
  return {
    duringDrain: (signal) =>
      startLifecycleHeartbeat(autoScaling, hook, {
        intervalMs,
        signal,
        onError: (error) =>
          deps.logger.warn('lifecycle heartbeat failed', { error: describeApiError(error).message }),
      }),
    afterDrain: async (report: DrainReport) => {
      if (report.dryRun || report.retryable || report.outcome === 'failed') return;
      try {
        const result = await completeLifecycleAction(autoScaling, hook, 'CONTINUE');
        deps.logger.info('lifecycle action completed', { hook: hook.lifecycleHookName, result });
      } catch (error) {
        // Auto Scaling proceeds on its own when the hook times out; the drain itself is done.
        deps.logger.error('could not complete the lifecycle action', {
          error: describeApiError(error).message,
        });
      }
    },
  };
}

async function handleInterruption(
  interruption: Interruption,
  deps: AwsHandlerDependencies,
): Promise<InterruptionResult> {
  if (interruption.machine.cloud !== 'aws') {
    return { status: 'skipped', interruption, reason: 'not an EC2 instance' };
  }
  const instanceId = interruption.machine.instanceId;
  let facts: InstanceFacts | undefined;
  try {
    if (deps.config.instanceLookup === 'ec2') facts = await describeInstance(deps.clients().ec2, instanceId);
  } catch (error) {
    const info = describeApiError(error);
    return {
      status: 'failed',
      interruption,
      reason: `DescribeInstances: ${info.message}`,
      retryable: isRetryableAwsError(error),
    };
  }
  const target = chooseCluster(deps.config, facts, instanceId);
  if ('skip' in target) {
    deps.logger.info('not ours', { eventId: interruption.eventId, reason: target.skip });
    return { status: 'skipped', interruption, reason: target.skip };
  }
  let kube: Awaited<ReturnType<typeof clusterClient>>;
  try {
    kube = await clusterClient(target.cluster, deps);
  } catch (error) {
    const info = describeApiError(error);
    deps.logger.error('cluster access failed', { cluster: target.cluster, error: info.message });
    return {
      status: 'failed',
      interruption,
      reason: `cluster access: ${info.message}`,
      retryable: isRetryableAwsError(error),
    };
  }
  return drainResolvedTarget(
    interruption,
    {
      cluster: target.cluster,
      kube,
      machine: { cloud: 'aws', instanceId, zone: target.facts?.zone },
      nodeNameHint: target.facts?.privateDnsName,
    },
    {
      logger: deps.logger,
      settings: deps.config,
      remainingTimeMs: deps.remainingTimeMs,
      onReport: deps.onReport,
      onProgress: deps.onProgress,
    },
    lifecycleHooks(interruption.lifecycleHook, deps),
  );
}

/**
 * The whole AWS pipeline for one EventBridge event: parse, find the cluster and the node, authenticate,
 * drain (or cordon, or clean up), complete the lifecycle action. Foreign and malformed events are logged
 * and acknowledged.
 */
export async function handleAwsEvent(event: unknown, deps: AwsHandlerDependencies): Promise<HandlerOutcome> {
  const now = deps.now?.() ?? new Date();
  const parsed = parseEvent(event, {
    now,
    options: {
      rebalanceAction: deps.config.rebalanceAction,
      maintenanceAction: deps.config.maintenanceAction,
      lifecycleHookTimeoutSeconds: deps.config.lifecycleHookTimeoutSeconds,
    },
  });
  if (parsed.status !== 'interruptions') {
    const log = parsed.status === 'invalid' ? deps.logger.warn : deps.logger.info;
    log(parsed.status === 'invalid' ? 'malformed event acknowledged' : 'event ignored', {
      reason: parsed.reason,
      eventId: (event as { id?: unknown } | null)?.id,
    });
    return { status: parsed.status, reason: parsed.reason, results: [] };
  }
  const results = await Promise.all(
    parsed.interruptions.map((interruption) => handleInterruption(interruption, deps)),
  );
  return { status: 'processed', results };
}

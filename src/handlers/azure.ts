import type { TokenCredential } from '@azure/core-auth';
import { type AksCredentialsClient, getAksEndpoint } from '../cloud/azure/aks-cluster.ts';
import { aksTokenProvider } from '../cloud/azure/aks-token.ts';
import { aksNodeNameForResourceId, resourceGroupScopeOf } from '../cloud/azure/resource-id.ts';
import { keyVaultSecretReader } from '../cloud/azure/secret-reader.ts';
import type { AksClusterTarget, Config } from '../config.ts';
import type { Interruption } from '../events/interruption.ts';
import { parseEvents } from '../events/registry.ts';
import type { ClusterAccess } from '../kube/client.ts';
import { cachedKubeClient } from '../kube/client-cache.ts';
import { describeApiError, mayPassLater } from '../kube/errors.ts';
import { clusterAccessFromSource } from '../kube/kubeconfig-source.ts';
import type { Logger } from '../logging.ts';
import {
  drainResolvedTarget,
  type HandlerOutcome,
  type InterruptionResult,
  type PipelineDependencies,
} from './pipeline.ts';

export interface AzureHandlerDependencies {
  config: Config;
  logger: Logger;
  /** The managed identity (or, in tests, a credential that issues test tokens). */
  credential: () => TokenCredential;
  aksClient?: (subscriptionId: string) => AksCredentialsClient;
  remainingTimeMs?: () => number;
  now?: () => Date;
  onReport?: PipelineDependencies['onReport'];
  onProgress?: PipelineDependencies['onProgress'];
}

type ClusterChoice = { key: string; name: string; access: () => Promise<ClusterAccess> } | { skip: string };

function chooseCluster(resourceId: string, deps: AzureHandlerDependencies): ClusterChoice {
  const scope = resourceGroupScopeOf(resourceId);
  const target: AksClusterTarget | undefined = scope
    ? deps.config.aksClusters[scope.resourceGroup.toLowerCase()]
    : undefined;
  const token = () => aksTokenProvider(deps.credential());
  if (target && 'server' in target) {
    return {
      key: `aks-endpoint:${target.server}`,
      name: target.server,
      access: async () => ({
        server: target.server,
        caPem: Buffer.from(target.caData, 'base64').toString('utf8'),
        token: token(),
      }),
    };
  }
  if (target) {
    return {
      key: `aks:${target.subscriptionId}/${target.resourceGroup}/${target.name}`.toLowerCase(),
      name: target.name,
      access: async () => {
        const endpoint = await getAksEndpoint({
          subscriptionId: target.subscriptionId,
          resourceGroup: target.resourceGroup,
          clusterName: target.name,
          credential: deps.credential(),
          client: deps.aksClient?.(target.subscriptionId),
        });
        return {
          server: endpoint.server,
          caPem: Buffer.from(endpoint.caData, 'base64').toString('utf8'),
          token: token(),
        };
      },
    };
  }
  const source = deps.config.kubeconfigSource;
  if (source) {
    return {
      key: `kubeconfig:${source}`,
      name: deps.config.clusterDisplayName ?? 'kubeconfig',
      access: () => clusterAccessFromSource(source, { keyVault: keyVaultSecretReader }),
    };
  }
  return { skip: `no cluster is configured for node resource group ${scope?.resourceGroup ?? '(unknown)'}` };
}

async function handleInterruption(
  interruption: Interruption,
  deps: AzureHandlerDependencies,
): Promise<InterruptionResult> {
  if (interruption.machine.cloud !== 'azure')
    return { status: 'skipped', interruption, reason: 'not an Azure VM' };
  const resourceId = interruption.machine.resourceId;
  const choice = chooseCluster(resourceId, deps);
  if ('skip' in choice) {
    deps.logger.info('not ours', { eventId: interruption.eventId, reason: choice.skip });
    return { status: 'skipped', interruption, reason: choice.skip };
  }
  let kube: Awaited<ReturnType<typeof cachedKubeClient>>;
  try {
    kube = await cachedKubeClient(choice.key, choice.access);
  } catch (error) {
    const info = describeApiError(error);
    deps.logger.error('cluster access failed', { cluster: choice.name, error: info.message });
    return {
      status: 'failed',
      interruption,
      reason: `cluster access: ${info.message}`,
      retryable: mayPassLater(error),
    };
  }
  return drainResolvedTarget(
    interruption,
    {
      cluster: choice.name,
      kube,
      machine: interruption.machine,
      nodeNameHint: aksNodeNameForResourceId(resourceId),
    },
    {
      logger: deps.logger,
      settings: deps.config,
      remainingTimeMs: deps.remainingTimeMs,
      onReport: deps.onReport,
      onProgress: deps.onProgress,
    },
  );
}

/**
 * The whole Azure pipeline for an Event Grid delivery (one event or an array, Event Grid schema or
 * CloudEvents): parse, pick the cluster by node resource group, authenticate with Entra, resolve and act.
 */
export async function handleAzureEvents(
  body: unknown,
  deps: AzureHandlerDependencies,
): Promise<HandlerOutcome> {
  const now = deps.now?.() ?? new Date();
  const parsed = parseEvents(body, {
    now,
    options: {
      rebalanceAction: deps.config.rebalanceAction,
      maintenanceAction: deps.config.maintenanceAction,
      lifecycleHookTimeoutSeconds: deps.config.lifecycleHookTimeoutSeconds,
    },
  });
  const interruptions: Interruption[] = [];
  for (const result of parsed) {
    if (result.status === 'interruptions') interruptions.push(...result.interruptions);
    else if (result.status === 'invalid')
      deps.logger.warn('malformed event acknowledged', { reason: result.reason });
    else deps.logger.info('event ignored', { reason: result.reason });
  }
  if (interruptions.length === 0) {
    const invalid = parsed.find((result) => result.status === 'invalid');
    const first = invalid ?? parsed[0];
    return {
      status: invalid ? 'invalid' : 'ignored',
      reason: first && first.status !== 'interruptions' ? first.reason : 'empty delivery',
      results: [],
    };
  }
  const results = await Promise.all(
    interruptions.map((interruption) => handleInterruption(interruption, deps)),
  );
  return { status: 'processed', results };
}

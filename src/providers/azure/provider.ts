/**
 * The Azure provider: Event Grid deliveries (Event Grid schema or CloudEvents) of scheduled events,
 * Resource Health annotations and availability, and ARM simulateEviction actions; AKS clusters chosen by
 * node resource group and reached with a Microsoft Entra token of the managed identity.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../../config.ts';
import type { Interruption } from '../../events/interruption.ts';
import { describeApiError, MAY_PASS_LATER } from '../../kube/errors.ts';
import {
  type CloudProvider,
  defineProvider,
  type MachineScheme,
  type ResolveContext,
  type TargetResolution,
} from '../provider.ts';
import type { AksCredentialsClient } from './aks-cluster.ts';
import { clusterForResourceGroup } from './cluster.ts';
import { classifyAzureError } from './errors.ts';
import { availabilityStatusParser } from './events/availability-status.ts';
import { eventGridEnvelope } from './events/envelope.ts';
import { resourceAnnotatedParser } from './events/resource-annotated.ts';
import { scheduledEventParser } from './events/scheduled-event.ts';
import { simulateEvictionParser } from './events/simulate-eviction.ts';
import { parseKeyVaultReference } from './keyvault-kubeconfig.ts';
import {
  type AzureMachine,
  azureProviderIdMatches,
  expectedAzureProviderId,
  isAzureMachine,
} from './machine.ts';
import { aksNodeNameForResourceId } from './resource-id.ts';
import { keyVaultSecretReader } from './secret-reader.ts';

/** What the Azure provider needs. */
export interface AzureProviderOptions {
  config: Pick<Config, 'aksClusters' | 'kubeconfigSource' | 'clusterDisplayName'>;
  /** The managed identity (or, in tests, a credential that issues test tokens). */
  credential: () => TokenCredential;
  /** The ARM client for AKS credentials (tests pass a stand-in). */
  aksClient?: (subscriptionId: string) => AksCredentialsClient;
}

const KIND_LABELS: Readonly<Record<string, string>> = {
  'scheduled-event': 'scheduled event',
  'resource-annotated': 'VM eviction',
  'availability-unavailable': 'VM unavailable',
  'simulated-eviction': 'simulated eviction',
};

const PARSERS = [
  scheduledEventParser,
  resourceAnnotatedParser,
  availabilityStatusParser,
  simulateEvictionParser,
];

const AZURE_VMS: MachineScheme<AzureMachine> = {
  noun: 'Azure VM',
  is: isAzureMachine,
  id: (machine) => machine.resourceId,
  expectedProviderId: expectedAzureProviderId,
  providerIdMatches: azureProviderIdMatches,
};

/** The Azure CloudProvider. Throws nothing at creation; the ARM client and tokens are made on first use. */
export function createAzureProvider(options: AzureProviderOptions): CloudProvider {
  const readers = { keyvault: keyVaultSecretReader };

  const resolveTarget = async (
    _interruption: Interruption,
    machine: AzureMachine,
    context: ResolveContext,
  ): Promise<TargetResolution> => {
    const nodeNameHint = aksNodeNameForResourceId(machine.resourceId);
    if (context.cluster) {
      return {
        status: 'target',
        target: { cluster: context.cluster.name, kube: context.cluster.kube, machine, nodeNameHint },
      };
    }
    const choice = clusterForResourceGroup(machine.resourceId, { ...options, readers });
    if ('notOurs' in choice) return { status: 'not-ours', reason: choice.notOurs };
    try {
      const kube = await context.connect(choice.key, choice.access);
      return { status: 'target', target: { cluster: choice.name, kube, machine, nodeNameHint } };
    } catch (error) {
      // ARM and Entra answer 401/403 while a new role assignment propagates; the retry ends in the
      // dead-letter destination if it never does, so nothing is lost silently.
      return {
        status: 'failed',
        reason: `cluster access: ${describeApiError(error).message}`,
        retryable: MAY_PASS_LATER.has(classifyAzureError(error).class),
      };
    }
  };

  return defineProvider({
    cloud: 'azure',
    displayName: 'Azure',
    parsers: PARSERS,
    envelope: eventGridEnvelope,
    secretReaders: readers,
    secretReferenceProblem: (reference) => {
      if (!reference.startsWith('keyvault:')) return undefined;
      try {
        parseKeyVaultReference(reference);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    kindLabels: KIND_LABELS,
    machines: AZURE_VMS,
    resolveTarget,
  });
}

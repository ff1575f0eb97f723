/**
 * The pipeline wired as each entry point wires it, for tests that drive it with their own stand-ins
 * (mocked SDK clients, test credentials, a short remaining time). One place, so tests cannot drift from
 * functions/aws/handler.ts and functions/azure/handler.ts.
 */
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logging.ts';
import { createPipeline, type PipelineDeps } from '../../src/pipeline/handle-delivery.ts';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';
import { type AwsClients, createAwsProvider } from '../../src/providers/aws/provider.ts';
import { type AzureProviderOptions, createAzureProvider } from '../../src/providers/azure/provider.ts';
import type { CloudProvider } from '../../src/providers/provider.ts';

/** What a test passes for one AWS delivery. */
export interface AwsTestDeps
  extends Partial<Pick<PipelineDeps, 'remainingTimeMs' | 'onReport' | 'onProgress'>> {
  config: Config;
  logger: Logger;
  region: string;
  clients: () => AwsClients;
  credentials?: AwsCredentialIdentityProvider;
  now?: () => Date;
}

/** One EventBridge event through the AWS provider and the pipeline, as the Lambda handles it. */
export function handleAwsEvent(event: unknown, deps: AwsTestDeps): Promise<DeliveryOutcome> {
  const provider = createAwsProvider({
    config: deps.config,
    region: deps.region,
    clients: deps.clients,
    credentials: deps.credentials,
  });
  return deliver(provider, event, deps);
}

/** What a test passes for one Event Grid delivery. */
export interface AzureTestDeps
  extends Partial<Pick<PipelineDeps, 'remainingTimeMs' | 'onReport' | 'onProgress'>>,
    Pick<AzureProviderOptions, 'credential' | 'aksClient'> {
  config: Config;
  logger: Logger;
  now?: () => Date;
}

/** One Event Grid delivery through the Azure provider and the pipeline, as the Function handles it. */
export function handleAzureEvents(body: unknown, deps: AzureTestDeps): Promise<DeliveryOutcome> {
  const provider = createAzureProvider({
    config: deps.config,
    credential: deps.credential,
    aksClient: deps.aksClient,
  });
  return deliver(provider, body, deps);
}

/** What both kinds of test deps give the pipeline. */
type DeliveryDeps = Pick<
  AwsTestDeps,
  'config' | 'logger' | 'now' | 'remainingTimeMs' | 'onReport' | 'onProgress'
>;

/** One delivery through a pipeline of `provider` alone, with the settings and stand-ins of `deps`. */
function deliver(provider: CloudProvider, body: unknown, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  return createPipeline([provider]).handleDelivery(body, {
    logger: deps.logger,
    settings: deps.config,
    parseOptions: deps.config,
    remainingTimeMs: deps.remainingTimeMs,
    now: deps.now,
    onReport: deps.onReport,
    onProgress: deps.onProgress,
  });
}

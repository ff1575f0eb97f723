/** The Azure Function entry point: adapts Event Grid and the InvocationContext to the pipeline. */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../../src/config.ts';
import { redactingLogger } from '../../src/logging.ts';
import { createNotifier } from '../../src/notify/notifier.ts';
import { createSecretUrlResolver } from '../../src/notify/secret-url.ts';
import { createPipeline } from '../../src/pipeline/handle-delivery.ts';
import { reportSink } from '../../src/pipeline/report-sink.ts';
import { type DeliveryOutcome, throwIfRetryable } from '../../src/pipeline/results.ts';
import { defaultAzureCredential } from '../../src/providers/azure/aks-token.ts';
import { type AzureProviderOptions, createAzureProvider } from '../../src/providers/azure/provider.ts';
import { invocationContextLogger, invocationContextMetrics } from '../../src/telemetry/invocation-context.ts';

/** host.json's functionTimeout; the drain stops in time to report before the host cuts it off. */
const FUNCTION_TIMEOUT_MS = 15 * 60_000;

// Cold start: a bad setting fails here, with a message naming it.
const config = loadConfig();
const credential = defaultAzureCredential();
const provider = createAzureProvider({ config, credential: () => credential });
const pipeline = createPipeline([provider]);
const resolveUrl = createSecretUrlResolver({ readers: provider.secretReaders });

/**
 * Handles one Event Grid delivery (one event or a batch); throws (so Event Grid redelivers) only when a
 * retry may help. `overrides` replaces the identity or the ARM client (tests, benchmarks).
 */
export async function spotDrainer(
  event: EventGridEvent | EventGridEvent[],
  context: InvocationContext,
  overrides: Partial<Pick<AzureProviderOptions, 'credential' | 'aksClient'>> = {},
): Promise<DeliveryOutcome> {
  const started = Date.now();
  const logger = redactingLogger(invocationContextLogger(context, { level: config.logLevel }));
  const metrics = invocationContextMetrics(context);
  const target =
    overrides.credential || overrides.aksClient
      ? createPipeline([createAzureProvider({ config, credential: () => credential, ...overrides })])
      : pipeline;
  try {
    const outcome = await target.handleDelivery(event, {
      logger,
      settings: config,
      parseOptions: config,
      remainingTimeMs: () => started + FUNCTION_TIMEOUT_MS - Date.now(),
      onReport: reportSink(createNotifier(config, { logger, resolveUrl }), metrics, logger),
    });
    throwIfRetryable(outcome.results);
    return outcome;
  } finally {
    metrics.flush();
  }
}

app.eventGrid('spotDrainer', {
  handler: (event, context) => spotDrainer(event, context).then(() => undefined),
});

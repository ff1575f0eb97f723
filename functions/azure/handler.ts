/** The Azure Function entry point: adapts Event Grid and the InvocationContext to the pipeline. */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../../src/config.ts';
import { redactingLogger } from '../../src/logging.ts';
import { createNotifier } from '../../src/notify/notifier.ts';
import { createSecretTextResolver, createSecretUrlResolver } from '../../src/notify/secret-url.ts';
import { createPipeline } from '../../src/pipeline/handle-delivery.ts';
import { reportSink } from '../../src/pipeline/report-sink.ts';
import { type DeliveryOutcome, throwIfRetryable } from '../../src/pipeline/results.ts';
import { checkSecretReferences } from '../../src/pipeline/secret-references.ts';
import { defaultAzureCredential } from '../../src/providers/azure/aks-token.ts';
import { type AzureProviderOptions, createAzureProvider } from '../../src/providers/azure/provider.ts';
import { invocationContextLogger, invocationContextMetrics } from '../../src/telemetry/invocation-context.ts';

/**
 * Event Grid waits 30 s for the function's answer, then delivers the event again while the first
 * invocation still runs (https://learn.microsoft.com/azure/event-grid/delivery-and-retry). Every
 * invocation answers well inside that window: work left over is handed back as a retryable failure,
 * and the next delivery resumes from the marks on the node.
 */
export const EVENT_GRID_ANSWER_WINDOW_MS = 30_000;
/** Kept free of the answer window for token, list and report overheads after the drain stops. */
const ANSWER_MARGIN_MS = 5_000;

// Cold start: a bad setting fails here, with a message naming it.
const config = loadConfig();
const credential = defaultAzureCredential();
const provider = createAzureProvider({ config, credential: () => credential });
const pipeline = createPipeline([provider]);
checkSecretReferences(
  {
    SPOT_DRAINER_KUBECONFIG_SOURCE: config.kubeconfigSource,
    SLACK_URL: config.slackUrl,
    SPOT_DRAINER_WEBHOOK_URL: config.webhookUrl,
    SPOT_DRAINER_WEBHOOK_HEADERS: config.webhookHeaders,
  },
  [provider],
);
const resolveUrl = createSecretUrlResolver({ readers: provider.secretReaders });
const resolveText = createSecretTextResolver({ readers: provider.secretReaders });

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
      remainingTimeMs: () => started + EVENT_GRID_ANSWER_WINDOW_MS - ANSWER_MARGIN_MS - Date.now(),
      onReport: reportSink(createNotifier(config, { logger, resolveUrl, resolveText }), metrics, logger),
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

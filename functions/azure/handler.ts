/** The Azure Function entry point: adapts Event Grid and the InvocationContext to the library. */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { defaultAzureCredential } from '../../src/cloud/azure/aks-token.ts';
import { keyVaultSecretReader } from '../../src/cloud/azure/secret-reader.ts';
import { loadConfig } from '../../src/config.ts';
import { type AzureHandlerDependencies, handleAzureEvents } from '../../src/handlers/azure.ts';
import type { HandlerOutcome } from '../../src/handlers/pipeline.ts';
import { throwIfRetryable } from '../../src/handlers/pipeline.ts';
import { reportSink } from '../../src/handlers/reporting.ts';
import { createNotifier } from '../../src/notify/notifier.ts';
import { createSecretUrlResolver } from '../../src/notify/secret-url.ts';
import { invocationContextLogger, invocationContextMetrics } from '../../src/telemetry/invocation-context.ts';
import { redactingLogger } from '../../src/telemetry/redact.ts';

/** host.json's functionTimeout; the drain stops in time to report before the host cuts it off. */
const FUNCTION_TIMEOUT_MS = 15 * 60_000;

// Cold start: a bad setting fails here, with a message naming it.
const config = loadConfig();
const credential = defaultAzureCredential();
const resolveUrl = createSecretUrlResolver({ readKeyVaultReference: keyVaultSecretReader });

export async function spotDrainer(
  event: EventGridEvent | EventGridEvent[],
  context: InvocationContext,
  overrides: Partial<AzureHandlerDependencies> = {},
): Promise<HandlerOutcome> {
  const started = Date.now();
  const logger = redactingLogger(invocationContextLogger(context, { level: config.logLevel }));
  const metrics = invocationContextMetrics(context);
  try {
    const outcome = await handleAzureEvents(event, {
      config,
      logger,
      credential: () => credential,
      remainingTimeMs: () => started + FUNCTION_TIMEOUT_MS - Date.now(),
      onReport: reportSink(createNotifier(config, { logger, resolveUrl }), metrics, logger),
      ...overrides,
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

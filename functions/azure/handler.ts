/** The Azure Function entry point: adapts Event Grid and the InvocationContext to the pipeline. */
import type { TokenCredential } from '@azure/core-auth';
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../../src/config.ts';
import { redactingLogger } from '../../src/logging.ts';
import { createNotifier } from '../../src/notify/notifier.ts';
import { createSecretTextResolver, createSecretUrlResolver } from '../../src/notify/secret-url.ts';
import { parseContinuation } from '../../src/pipeline/continuation.ts';
import { settleContinuation } from '../../src/pipeline/dead-letter.ts';
import {
  type ContinuationDeps,
  createPipeline,
  type PipelineDeps,
} from '../../src/pipeline/handle-delivery.ts';
import { reportSink } from '../../src/pipeline/report-sink.ts';
import { type DeliveryOutcome, RetryableFailure, throwIfRetryable } from '../../src/pipeline/results.ts';
import { checkSecretReferences } from '../../src/pipeline/secret-references.ts';
import { defaultAzureCredential } from '../../src/providers/azure/aks-token.ts';
import {
  storageQueueContinuations,
  storageQueueDeadLetters,
} from '../../src/providers/azure/continuation-queue.ts';
import { type AzureProviderOptions, createAzureProvider } from '../../src/providers/azure/provider.ts';
import { invocationContextLogger, invocationContextMetrics } from '../../src/telemetry/invocation-context.ts';

/**
 * Event Grid waits 30 s for the function's answer, then delivers the event again while the first
 * invocation still runs (https://learn.microsoft.com/azure/event-grid/delivery-and-retry). Every
 * invocation answers well inside that window: work left over goes on in a continuation
 * (SPOT_DRAINER_CONTINUATION_QUEUE_URL, src/pipeline/continuation.ts), or without one is handed back as
 * a retryable failure; either way the next invocation resumes from the marks on the node.
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

type Overrides = Partial<Pick<AzureProviderOptions, 'credential' | 'aksClient'>>;

/** Continuations to the Storage queue of SPOT_DRAINER_CONTINUATION_QUEUE_URL, with `identity`'s tokens. */
function continuationsWith(identity: TokenCredential): ContinuationDeps | undefined {
  if (!config.continuationQueueUrl) return undefined;
  return {
    queue: storageQueueContinuations(config.continuationQueueUrl, identity),
    delaySeconds: config.continuationDelaySeconds,
  };
}
const continuation = continuationsWith(credential);

/** The poison queue of SPOT_DRAINER_DEAD_LETTER_QUEUE_URL, where continuations that fail for good go. */
function deadLettersWith(identity: TokenCredential) {
  return config.deadLetterQueueUrl ? storageQueueDeadLetters(config.deadLetterQueueUrl, identity) : undefined;
}
const deadLetters = deadLettersWith(credential);

/** The pipeline and its dependencies for one invocation that started at `started` (epoch ms). */
function invocation(context: InvocationContext, overrides: Overrides, started: number) {
  const logger = redactingLogger(invocationContextLogger(context, { level: config.logLevel }));
  const metrics = invocationContextMetrics(context);
  const overridden = overrides.credential || overrides.aksClient;
  const target = overridden
    ? createPipeline([createAzureProvider({ config, credential: () => credential, ...overrides })])
    : pipeline;
  const deps: PipelineDeps = {
    logger,
    settings: config,
    parseOptions: config,
    remainingTimeMs: () => started + EVENT_GRID_ANSWER_WINDOW_MS - ANSWER_MARGIN_MS - Date.now(),
    onReport: reportSink(createNotifier(config, { logger, resolveUrl, resolveText }), metrics, logger),
    continuation: overrides.credential ? continuationsWith(overrides.credential()) : continuation,
  };
  const letters = overrides.credential ? deadLettersWith(overrides.credential()) : deadLetters;
  return { target, deps, logger, metrics, deadLetters: letters };
}

/**
 * Handles one Event Grid delivery (one event or a batch); throws (so Event Grid redelivers) only when a
 * retry may help. `overrides` replaces the identity or the ARM client (tests, benchmarks).
 */
export async function spotDrainer(
  event: EventGridEvent | EventGridEvent[],
  context: InvocationContext,
  overrides: Overrides = {},
): Promise<DeliveryOutcome> {
  const { target, deps, metrics } = invocation(context, overrides, Date.now());
  try {
    const outcome = await target.handleDelivery(event, deps);
    throwIfRetryable(outcome.results);
    return outcome;
  } finally {
    metrics.flush();
  }
}

/**
 * Handles one continuation from the queue trigger, within the same answer window as an Event Grid
 * delivery. Throws when a retry may help and dequeues are left: the host makes the message visible
 * again. A continuation that fails for good, or on its last dequeue (SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES,
 * the host's maxDequeueCount), is sent to the poison queue as a dead letter with its reason and
 * acknowledged (src/pipeline/dead-letter.ts); the host's own move to the poison queue stays for crashes
 * and timeouts. A message that is not a continuation is logged and acknowledged (undefined).
 */
export async function spotDrainerContinuation(
  message: unknown,
  context: InvocationContext,
  overrides: Overrides = {},
): Promise<DeliveryOutcome | undefined> {
  const { target, deps, logger, metrics, deadLetters } = invocation(context, overrides, Date.now());
  const dequeueCount = context.triggerMetadata?.dequeueCount;
  try {
    const parsed = parseContinuation(message);
    if (!parsed.ok) {
      logger.warn('queue message acknowledged: not a continuation', { dequeueCount, reason: parsed.reason });
      return undefined;
    }
    const outcome = await target.handleContinuation(parsed.message, deps);
    const settled = await settleContinuation(parsed.message, outcome, {
      delivery: { count: Number(dequeueCount) || 1, max: config.continuationMaxDeliveries },
      deadLetters,
      logger,
      where: { messageId: context.triggerMetadata?.id },
    });
    if (settled === 'retry') {
      throwIfRetryable(outcome.results);
      throw new RetryableFailure(`continuation ${parsed.message.chain.id}: its dead letter was not sent`);
    }
    return outcome;
  } finally {
    metrics.flush();
  }
}

app.eventGrid('spotDrainer', {
  handler: (event, context) => spotDrainer(event, context).then(() => undefined),
});

/** The queue continuations go to; app.bicep creates it and its poison queue. */
export const CONTINUATION_QUEUE_NAME = 'spot-drainer-continuations';

app.storageQueue('spotDrainerContinuation', {
  queueName: CONTINUATION_QUEUE_NAME,
  // Identity-based: ContinuationQueue__queueServiceUri, __credential and __clientId (app.bicep).
  connection: 'ContinuationQueue',
  handler: (message, context) => spotDrainerContinuation(message, context).then(() => undefined),
});

/** The Lambda entry point: adapts EventBridge and the Lambda context to the pipeline, nothing more. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../../src/config.ts';
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
import { type DeliveryOutcome, throwIfRetryable } from '../../src/pipeline/results.ts';
import { checkSecretReferences } from '../../src/pipeline/secret-references.ts';
import { sqsContinuationQueue, sqsDeadLetterQueue } from '../../src/providers/aws/continuation-queue.ts';
import { type AwsClients, createAwsProvider } from '../../src/providers/aws/provider.ts';
import { powertoolsLogger, powertoolsMetrics } from '../../src/telemetry/powertools.ts';

// Cold start: a bad setting fails here, with a message naming it.
const config = loadConfig();
const logger = powertoolsLogger('spot-drainer', { logLevel: config.logLevel });
const metrics = powertoolsMetrics();
const region = process.env.AWS_REGION ?? 'us-east-1';
let clients: AwsClients | undefined;
const provider = createAwsProvider({
  config,
  region,
  clients: () => {
    clients ??= {
      ec2: new EC2Client({ region }),
      eks: new EKSClient({ region }),
      autoScaling: new AutoScalingClient({ region }),
    };
    return clients;
  },
});
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
const notifier = createNotifier(config, {
  logger,
  resolveUrl: createSecretUrlResolver({ readers: provider.secretReaders }),
  resolveText: createSecretTextResolver({ readers: provider.secretReaders }),
});

/** The queue continuations go to, when SPOT_DRAINER_CONTINUATION_QUEUE_URL is set. */
const continuation: ContinuationDeps | undefined = config.continuationQueueUrl
  ? {
      queue: sqsContinuationQueue({ region }, config.continuationQueueUrl),
      delaySeconds: config.continuationDelaySeconds,
    }
  : undefined;

/** Where a continuation that fails for good goes with its reason (SPOT_DRAINER_DEAD_LETTER_QUEUE_URL). */
const deadLetters = config.deadLetterQueueUrl
  ? sqsDeadLetterQueue({ region }, config.deadLetterQueueUrl)
  : undefined;

function deps(context: Context): PipelineDeps {
  return {
    logger,
    settings: config,
    parseOptions: config,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    onReport: reportSink(notifier, metrics, logger),
    continuation,
  };
}

/**
 * Handles one EventBridge event, or a batch of continuations from the SQS event source mapping.
 * EventBridge: throws (so Lambda retries) only when a retry may help. SQS: answers the messages to
 * receive again (`batchItemFailures`, with ReportBatchItemFailures on the mapping); a continuation that
 * fails for good, or on its last receive, is sent to the dead-letter queue with its reason and
 * acknowledged (src/pipeline/dead-letter.ts); a message that is not a continuation is logged and
 * acknowledged.
 */
export async function handler(
  event: EventBridgeEvent<string, unknown> | SQSEvent,
  context: Context,
): Promise<DeliveryOutcome | SQSBatchResponse> {
  try {
    if (isSqsEvent(event)) return await handleContinuations(event, context);
    const outcome = await pipeline.handleDelivery(event, deps(context));
    throwIfRetryable(outcome.results);
    return outcome;
  } finally {
    metrics.flush();
  }
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => r?.eventSource === 'aws:sqs');
}

async function handleContinuations(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const failures = await Promise.all(
    event.Records.map(async (record): Promise<string[]> => {
      const where = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount };
      const parsed = parseContinuation(record.body);
      if (!parsed.ok) {
        logger.warn('queue message acknowledged: not a continuation', { ...where, reason: parsed.reason });
        return [];
      }
      const outcome = await pipeline.handleContinuation(parsed.message, deps(context));
      // Received again after the visibility timeout, or dead-lettered (by the function, with its reason).
      const settled = await settleContinuation(parsed.message, outcome, {
        delivery: { count: Number(where.receiveCount) || 1, max: config.continuationMaxDeliveries },
        deadLetters,
        logger,
        where: { messageId: record.messageId },
      });
      return settled === 'retry' ? [record.messageId] : [];
    }),
  );
  return { batchItemFailures: failures.flat().map((itemIdentifier) => ({ itemIdentifier })) };
}

/** The Lambda entry point: adapts EventBridge and the Lambda context to the pipeline, nothing more. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { loadConfig } from '../../src/config.ts';
import { createNotifier } from '../../src/notify/notifier.ts';
import { createSecretTextResolver, createSecretUrlResolver } from '../../src/notify/secret-url.ts';
import { createPipeline } from '../../src/pipeline/handle-delivery.ts';
import { reportSink } from '../../src/pipeline/report-sink.ts';
import { type DeliveryOutcome, throwIfRetryable } from '../../src/pipeline/results.ts';
import { checkSecretReferences } from '../../src/pipeline/secret-references.ts';
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

/** Handles one EventBridge event; throws (so Lambda retries) only when a retry may help. */
export async function handler(
  event: EventBridgeEvent<string, unknown>,
  context: Context,
): Promise<DeliveryOutcome> {
  try {
    const outcome = await pipeline.handleDelivery(event, {
      logger,
      settings: config,
      parseOptions: config,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      onReport: reportSink(notifier, metrics, logger),
    });
    throwIfRetryable(outcome.results);
    return outcome;
  } finally {
    metrics.flush();
  }
}

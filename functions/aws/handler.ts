/** The Lambda entry point: adapts EventBridge and the Lambda context to the library, nothing more. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { awsSecretReader } from '../../src/cloud/aws/secret-reader.ts';
import { loadConfig } from '../../src/config.ts';
import { type AwsClients, handleAwsEvent } from '../../src/handlers/aws.ts';
import type { HandlerOutcome } from '../../src/handlers/pipeline.ts';
import { throwIfRetryable } from '../../src/handlers/pipeline.ts';
import { reportSink } from '../../src/handlers/reporting.ts';
import { createNotifier } from '../../src/notify/notifier.ts';
import { createSecretUrlResolver } from '../../src/notify/secret-url.ts';
import { powertoolsLogger, powertoolsMetrics } from '../../src/telemetry/powertools.ts';

// Cold start: a bad setting fails here, with a message naming it.
const config = loadConfig();
const logger = powertoolsLogger('spot-drainer', { logLevel: config.logLevel });
const metrics = powertoolsMetrics();
const notifier = createNotifier(config, {
  logger,
  resolveUrl: createSecretUrlResolver({ readAwsReference: awsSecretReader }),
});
const region = process.env.AWS_REGION ?? 'us-east-1';
let clients: AwsClients | undefined;

export async function handler(
  event: EventBridgeEvent<string, unknown>,
  context: Context,
): Promise<HandlerOutcome> {
  try {
    const outcome = await handleAwsEvent(event, {
      config,
      logger,
      region,
      clients: () => {
        clients ??= {
          ec2: new EC2Client({ region }),
          eks: new EKSClient({ region }),
          autoScaling: new AutoScalingClient({ region }),
        };
        return clients;
      },
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      onReport: reportSink(notifier, metrics, logger),
    });
    throwIfRetryable(outcome.results);
    return outcome;
  } finally {
    metrics.flush();
  }
}

/**
 * The AWS continuation queue: an SQS queue whose event source mapping invokes the same Lambda
 * (serverless.yml `ContinuationQueue`). The delay is the message's `DelaySeconds`
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html).
 */
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { CONTINUATION_DELAY_MAX_SECONDS } from '../../config.ts';
import type { ContinuationQueue } from '../provider.ts';

/**
 * Sends continuations to `queueUrl` with SendMessage (needs `sqs:SendMessage` on the queue). The chain id
 * goes along as a message attribute, so a dead-lettered message can be told apart without reading its
 * body. The SQS client is loaded and made on the first send (most invocations never send one: it stays
 * out of the cold start), from `config` (endpoint as the SDK is configured: AWS_ENDPOINT_URL_SQS).
 * Rejects with the SDK's error.
 */
export function sqsContinuationQueue(config: SQSClientConfig, queueUrl: string): ContinuationQueue {
  let client: SQSClient | undefined;
  return {
    kind: 'SQS',
    async send(body, delaySeconds, about) {
      const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
      client ??= new SQSClient(config);
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          DelaySeconds: Math.min(CONTINUATION_DELAY_MAX_SECONDS, Math.max(0, Math.round(delaySeconds))),
          MessageAttributes: {
            chain: { DataType: 'String', StringValue: about.chain },
            invocation: { DataType: 'Number', StringValue: String(about.invocation) },
          },
        }),
      );
    },
  };
}

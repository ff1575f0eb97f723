/**
 * The AWS continuation queue: an SQS queue whose event source mapping invokes the same Lambda
 * (serverless.yml `ContinuationQueue`). The delay is the message's `DelaySeconds`
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html).
 * A continuation that fails for good goes to the stack's dead-letter queue (`FailedEventsQueue`) with
 * its reason as message attributes.
 */
import type { MessageAttributeValue, SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { CONTINUATION_DELAY_MAX_SECONDS } from '../../config.ts';
import type { ContinuationQueue, DeadLetterQueue } from '../provider.ts';

/** SQS keeps at most 256 KiB per message, attributes included; a reason is cut well before that. */
export const REASON_ATTRIBUTE_MAX_CHARS = 1024;

/**
 * SendMessage to `queueUrl` with a client made on the first send (most invocations never send one: the
 * SDK stays out of the cold start), from `config` (endpoint as the SDK is configured: AWS_ENDPOINT_URL_SQS).
 */
function sqsSender(config: SQSClientConfig, queueUrl: string) {
  let client: SQSClient | undefined;
  return async (
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    delaySeconds?: number,
  ): Promise<void> => {
    const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    client ??= new SQSClient(config);
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        DelaySeconds: delaySeconds,
        MessageAttributes: attributes,
      }),
    );
  };
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
const number = (value: number): MessageAttributeValue => ({ DataType: 'Number', StringValue: String(value) });

/**
 * Sends continuations to `queueUrl` with SendMessage (needs `sqs:SendMessage` on the queue). The chain id
 * goes along as a message attribute, so a dead-lettered message can be told apart without reading its
 * body. Rejects with the SDK's error.
 */
export function sqsContinuationQueue(config: SQSClientConfig, queueUrl: string): ContinuationQueue {
  const send = sqsSender(config, queueUrl);
  return {
    kind: 'SQS',
    send: (body, delaySeconds, about) =>
      send(
        body,
        { chain: text(about.chain), invocation: number(about.invocation) },
        Math.min(CONTINUATION_DELAY_MAX_SECONDS, Math.max(0, Math.round(delaySeconds))),
      ),
  };
}

/**
 * Sends dead letters to `queueUrl` (the stack's dead-letter queue; needs `sqs:SendMessage` on it), with
 * the attributes `reason` (cut to REASON_ATTRIBUTE_MAX_CHARS), `chain`, `invocation` and `deliveries`,
 * which the SQS console and ReceiveMessage show without the body being read. Rejects with the SDK's error.
 */
export function sqsDeadLetterQueue(config: SQSClientConfig, queueUrl: string): DeadLetterQueue {
  const send = sqsSender(config, queueUrl);
  return {
    kind: 'SQS',
    send: (body, about) =>
      send(body, {
        reason: text(about.reason.slice(0, REASON_ATTRIBUTE_MAX_CHARS)),
        chain: text(about.chain),
        invocation: number(about.invocation),
        deliveries: number(about.deliveries),
      }),
  };
}

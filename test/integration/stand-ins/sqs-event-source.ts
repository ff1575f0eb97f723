/**
 * The Lambda SQS event source mapping, played by the test: receives from the queue (batch size 1, as
 * serverless.yml configures it), invokes the handler with the event Lambda sends
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), and deletes what the handler did not
 * report in `batchItemFailures` (ReportBatchItemFailures). Failed messages become visible again after
 * the queue's visibility timeout, and the queue's redrive policy dead-letters them.
 */
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** What one poll did: the messages it delivered and the ids the handler asked to receive again. */
export interface Poll {
  delivered: number;
  failed: string[];
}

/** An SQS event record exactly as Lambda builds it from a received message. */
export function sqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          stringValue: value.StringValue,
          dataType: value.DataType ?? 'String',
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Receives once (long polling up to `waitSeconds`) and, for a message, invokes `invoke` with it. */
export async function pollOnce(
  sqs: SQSClient,
  queue: { url: string; arn: string; region: string },
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse>,
  waitSeconds = 1,
): Promise<Poll> {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = received.Messages ?? [];
  if (messages.length === 0) return { delivered: 0, failed: [] };
  const response = await invoke({
    Records: messages.map((message) => sqsRecord(message, queue.arn, queue.region)),
  });
  const failed = response.batchItemFailures.map((failure) => failure.itemIdentifier);
  for (const message of messages) {
    if (failed.includes(message.MessageId ?? '')) continue;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));
  }
  return { delivered: messages.length, failed };
}

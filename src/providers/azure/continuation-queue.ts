/**
 * The Azure continuation queue: a Storage queue whose queue trigger runs the same Function App
 * (infra/azure/modules/app.bicep `spot-drainer-continuations`), reached with the function's managed
 * identity (Storage Queue Data Message Sender on the queue). The delay is the message's initial
 * visibility timeout
 * (https://learn.microsoft.com/rest/api/storageservices/put-message#uri-parameters).
 * A continuation that fails for good goes to the queue's poison queue (`spot-drainer-continuations-poison`,
 * where the Functions host moves messages too), as a dead letter that carries its reason.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { QueueClient } from '@azure/storage-queue';
import type { ContinuationQueue, DeadLetterQueue } from '../provider.ts';

/** How long a dead letter stays on the poison queue: 14 days, as long as the AWS dead-letter queue keeps one. */
export const DEAD_LETTER_TIME_TO_LIVE_SECONDS = 14 * 24 * 3600;

/**
 * Puts messages on the queue at `queueUrl` with a client made on the first send (loaded then: most
 * invocations never send one, and it stays out of the cold start). The body is base64-encoded, as the
 * Functions queue trigger expects by default (host.json `extensions.queues.messageEncoding`) and as the
 * host writes poison messages.
 */
function storageQueueSender(queueUrl: string, credential: TokenCredential) {
  let client: QueueClient | undefined;
  return async (body: string, options: { visibilityTimeout?: number; messageTimeToLive?: number }) => {
    const { QueueClient } = await import('@azure/storage-queue');
    client ??= new QueueClient(queueUrl, credential);
    await client.sendMessage(Buffer.from(body, 'utf8').toString('base64'), options);
  };
}

/**
 * Sends continuations to the queue at `queueUrl` (`https://<account>.queue.core.windows.net/<queue>`)
 * with a token from `credential`. Rejects with the SDK's error.
 */
export function storageQueueContinuations(queueUrl: string, credential: TokenCredential): ContinuationQueue {
  const send = storageQueueSender(queueUrl, credential);
  return {
    kind: 'Azure Storage queue',
    send: (body, delaySeconds) => send(body, { visibilityTimeout: Math.max(0, Math.round(delaySeconds)) }),
  };
}

/**
 * Sends dead letters to the poison queue at `queueUrl` with a token from `credential` (Storage Queue
 * Data Message Sender on it), kept DEAD_LETTER_TIME_TO_LIVE_SECONDS. A Storage queue message has no
 * attributes: the reason is in the body (src/pipeline/dead-letter.ts). Rejects with the SDK's error.
 */
export function storageQueueDeadLetters(queueUrl: string, credential: TokenCredential): DeadLetterQueue {
  const send = storageQueueSender(queueUrl, credential);
  return {
    kind: 'Azure Storage queue',
    send: (body) => send(body, { messageTimeToLive: DEAD_LETTER_TIME_TO_LIVE_SECONDS }),
  };
}

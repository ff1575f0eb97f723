/**
 * The Azure continuation queue: a Storage queue whose queue trigger runs the same Function App
 * (infra/azure/modules/app.bicep `spot-drainer-continuations`), reached with the function's managed
 * identity (Storage Queue Data Message Sender on the queue). The delay is the message's initial
 * visibility timeout
 * (https://learn.microsoft.com/rest/api/storageservices/put-message#uri-parameters).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { QueueClient } from '@azure/storage-queue';
import type { ContinuationQueue } from '../provider.ts';

/**
 * Sends continuations to the queue at `queueUrl` (`https://<account>.queue.core.windows.net/<queue>`)
 * with a token from `credential`. The body is base64-encoded, as the Functions queue trigger expects by
 * default (host.json `extensions.queues.messageEncoding`). Rejects with the SDK's error.
 */
export function storageQueueContinuations(queueUrl: string, credential: TokenCredential): ContinuationQueue {
  let client: QueueClient | undefined;
  return {
    kind: 'Azure Storage queue',
    async send(body, delaySeconds) {
      // Loaded on the first send: most invocations never send one, and it stays out of the cold start.
      const { QueueClient } = await import('@azure/storage-queue');
      client ??= new QueueClient(queueUrl, credential);
      await client.sendMessage(Buffer.from(body, 'utf8').toString('base64'), {
        visibilityTimeout: Math.max(0, Math.round(delaySeconds)),
      });
    },
  };
}

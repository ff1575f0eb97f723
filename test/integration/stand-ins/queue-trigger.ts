/**
 * The Azure Functions host's queue trigger, played by the test: receives one message (batchSize 1, as
 * host.json sets), decodes it as the host does (base64, then JSON), invokes the function with the
 * trigger's metadata, deletes the message when the function succeeds; when it throws, makes the message
 * visible again after host.json's visibilityTimeout, and after maxDequeueCount moves it to
 * `<queue>-poison` (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages).
 */
import type { InvocationContext } from '@azure/functions';
import type { QueueClient } from '@azure/storage-queue';

/** host.json extensions.queues, as functions/azure/host.json sets them. */
export interface QueueTriggerSettings {
  maxDequeueCount: number;
  visibilityTimeoutSeconds: number;
}

/** What one poll did. */
export interface TriggerPoll {
  delivered: number;
  threw?: unknown;
  poisoned?: boolean;
}

/** Receives once and, for a message, runs `invoke` as the host would. */
export async function triggerOnce(
  queue: QueueClient,
  poison: QueueClient,
  settings: QueueTriggerSettings,
  invoke: (message: unknown, context: InvocationContext) => Promise<unknown>,
  context: (metadata: Record<string, unknown>) => InvocationContext,
): Promise<TriggerPoll> {
  const received = await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 300 });
  const [message] = received.receivedMessageItems;
  if (!message) return { delivered: 0 };
  const text = Buffer.from(message.messageText, 'base64').toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // The host passes text that is not JSON as a string.
  }
  const metadata = {
    id: message.messageId,
    dequeueCount: message.dequeueCount,
    insertionTime: message.insertedOn,
    popReceipt: message.popReceipt,
  };
  try {
    await invoke(body, context(metadata));
    await queue.deleteMessage(message.messageId, message.popReceipt);
    return { delivered: 1 };
  } catch (threw) {
    if (message.dequeueCount >= settings.maxDequeueCount) {
      await poison.sendMessage(message.messageText);
      await queue.deleteMessage(message.messageId, message.popReceipt);
      return { delivered: 1, threw, poisoned: true };
    }
    await queue.updateMessage(
      message.messageId,
      message.popReceipt,
      undefined,
      settings.visibilityTimeoutSeconds,
    );
    return { delivered: 1, threw };
  }
}

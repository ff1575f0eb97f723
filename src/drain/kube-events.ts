import { randomBytes } from 'node:crypto';
import type { CoreV1Event, V1Node } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { KubeCore } from '../kube/client.ts';
import type { Logger } from '../logging.ts';
import type { PlannedPod } from './plan.ts';

const COMPONENT = 'spot-drainer';
/** Node events live in `default`, where the kubelet puts its own. */
const NODE_EVENT_NAMESPACE = 'default';

/** The `type` of a Kubernetes Event (core/v1 Event). */
export type KubeEventType = 'Normal' | 'Warning';

/**
 * Records Kubernetes Events (the core/v1 Event objects `kubectl describe` shows; not the cloud events
 * that start a drain). Recording never throws and never blocks: `node` and `pod` queue the event and
 * return; `flush` waits for the queue.
 */
export interface KubeEventRecorder {
  /** An event on the Node, in namespace `default` where the kubelet records its own. */
  node(node: V1Node, reason: string, message: string, type?: KubeEventType): void;
  /** An event on the pod, in the pod's namespace. */
  pod(pod: PlannedPod, reason: string, message: string, type?: KubeEventType): void;
  /** Waits for the events still being sent, at most `timeoutMs` (ms, default 5000). Never rejects. */
  flush(timeoutMs?: number): Promise<void>;
}

/** A core/v1 Event about `involved`, first and last seen now, from the spot-drainer component. */
function buildEvent(
  namespace: string,
  involved: CoreV1Event['involvedObject'],
  reason: string,
  message: string,
  type: KubeEventType,
): CoreV1Event {
  const now = new Date();
  return {
    metadata: { name: `${involved.name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: involved,
    reason,
    message,
    type,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: COMPONENT,
  };
}

/**
 * Writes Kubernetes Events (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/,
 * written through the core/v1 API) so `kubectl describe node` (and `describe pod`) tell the story with no
 * agent in the cluster. Events are sent in the background at low concurrency (`options.concurrency`,
 * default 4), off the critical path; a failure to record one is logged as a warning and never fails the drain.
 */
export function createKubeEventRecorder(
  core: KubeCore,
  logger: Logger,
  options: { concurrency?: number } = {},
): KubeEventRecorder {
  const limit = pLimit(options.concurrency ?? 4);
  const pending = new Set<Promise<void>>();
  const send = (namespace: string, event: CoreV1Event) => {
    const task = limit(async () => {
      try {
        await core.createNamespacedEvent({ namespace, body: event });
      } catch (error) {
        logger.warn('could not record event', { reason: event.reason, error: (error as Error).message });
      }
    });
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };
  return {
    node(node, reason, message, type = 'Normal') {
      const name = node.metadata?.name ?? '';
      send(
        NODE_EVENT_NAMESPACE,
        buildEvent(
          NODE_EVENT_NAMESPACE,
          { kind: 'Node', apiVersion: 'v1', name, uid: node.metadata?.uid },
          reason,
          message,
          type,
        ),
      );
    },
    pod(planned, reason, message, type = 'Normal') {
      send(
        planned.namespace,
        buildEvent(
          planned.namespace,
          {
            kind: 'Pod',
            apiVersion: 'v1',
            name: planned.name,
            namespace: planned.namespace,
            uid: planned.uid,
          },
          reason,
          message,
          type,
        ),
      );
    },
    async flush(timeoutMs = 5000) {
      const all = Promise.allSettled([...pending]);
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}

/** For dry runs: records nothing. */
export const noKubeEvents: KubeEventRecorder = { node() {}, pod() {}, async flush() {} };

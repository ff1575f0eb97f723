/**
 * Watches one node and its pods from outside whatever drains it, so our engine and `kubectl drain` are
 * timed the same way: when the node turned unschedulable, when each pod got its deletionTimestamp (the
 * eviction was accepted), and when the last of them was gone.
 */
import { type KubeConfig, type V1Node, type V1Pod, Watch } from '@kubernetes/client-node';
import type { PoolApis } from '../../src/local-cluster/node-pool.ts';

export interface ObservedDrain {
  cordonAt?: number;
  /** When the last pod to be drained was seen terminating (or gone). */
  allAcceptedAt?: number;
  /** When the last pod to be drained was gone. */
  emptyAt?: number;
  pods: number;
}

export interface DrainObserver {
  /** Resolves when every pod to be drained is gone, or at `timeoutMs` (with what was seen). */
  done(timeoutMs: number): Promise<ObservedDrain>;
  stop(): void;
}

/** DaemonSet and mirror pods stay on a drained node (kubectl --ignore-daemonsets, and our engine alike). */
function staysOnNode(pod: V1Pod): boolean {
  return (
    (pod.metadata?.ownerReferences ?? []).some((owner) => owner.kind === 'DaemonSet') ||
    pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined
  );
}

export async function observeDrain(
  config: KubeConfig,
  apis: PoolApis,
  nodeName: string,
): Promise<DrainObserver> {
  const watch = new Watch(config);
  const accepted = new Map<string, number>();
  const gone = new Map<string, number>();
  const result: ObservedDrain = { pods: 0 };
  let finish: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const pods = await apis.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` });
  const tracked = new Set(
    pods.items.filter((pod) => !staysOnNode(pod)).map((pod) => pod.metadata?.uid ?? ''),
  );
  result.pods = tracked.size;
  const node = await apis.core.readNode({ name: nodeName });

  const check = () => {
    if (accepted.size === tracked.size && result.allAcceptedAt === undefined)
      result.allAcceptedAt = Math.max(...accepted.values());
    if (gone.size === tracked.size) {
      result.emptyAt = Math.max(...gone.values());
      finish?.();
    }
  };
  const onPod = (phase: string, pod: V1Pod) => {
    const uid = pod.metadata?.uid ?? '';
    if (!tracked.has(uid)) return;
    const now = Date.now();
    if ((pod.metadata?.deletionTimestamp || phase === 'DELETED') && !accepted.has(uid))
      accepted.set(uid, now);
    if (phase === 'DELETED' && !gone.has(uid)) gone.set(uid, now);
    check();
  };
  const onNode = (_phase: string, seen: V1Node) => {
    if (seen.spec?.unschedulable && result.cordonAt === undefined) result.cordonAt = Date.now();
  };
  const ignore = () => undefined;
  const podWatch = await watch.watch(
    '/api/v1/pods',
    { fieldSelector: `spec.nodeName=${nodeName}`, resourceVersion: pods.metadata?.resourceVersion },
    onPod,
    ignore,
  );
  const nodeWatch = await watch.watch(
    '/api/v1/nodes',
    { fieldSelector: `metadata.name=${nodeName}`, resourceVersion: node.metadata?.resourceVersion },
    onNode,
    ignore,
  );
  const stop = () => {
    podWatch.abort();
    nodeWatch.abort();
  };
  return {
    stop,
    async done(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        finished,
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      stop();
      return { ...result };
    },
  };
}

import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Interruption } from '../../events/interruption.ts';
import { KubeApiError, type KubeClient, type KubeCore, type WatchEvent } from '../../kube/client.ts';
import { silentLogger } from '../../logging.ts';
import { createDrainContext } from '../context.ts';
import { planPods } from '../plan.ts';
import { defaultDrainSettings } from '../settings.ts';
import { waitForEmpty } from './wait.ts';

const node: V1Node = {
  metadata: { name: 'node-a', uid: 'node-uid' },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
};
const pod = (name: string): V1Pod => ({
  metadata: { name, namespace: 'apps', uid: `uid-${name}`, resourceVersion: '10' },
  spec: { nodeName: 'node-a', containers: [] },
  status: { phase: 'Running' },
});
const interruption: Interruption = {
  cloud: 'aws',
  kind: 'spot-interruption',
  eventId: 'evt-1',
  machine: { cloud: 'aws', instanceId: 'i-0abc' },
  action: 'drain',
  deadline: new Date(Date.now() + 60_000),
  eventTime: new Date(),
  details: {},
};

type PodWatchAnswer = (onEvent: (event: WatchEvent<V1Pod>) => void, signal: AbortSignal) => Promise<void>;
type NodeWatchAnswer = (onEvent: (event: WatchEvent<V1Node>) => void) => Promise<void>;

/**
 * A KubeCore answering only watches (`answers`, one per watch request of the pods; `nodeWatch`, if given,
 * the watch of the node) and counting every call.
 */
function fakeCore(answers: PodWatchAnswer[], nodeWatch?: NodeWatchAnswer) {
  const calls: string[] = [];
  const refuse = (name: string) => async () => {
    calls.push(name);
    throw new Error(`unexpected ${name}`);
  };
  const core = {
    readNode: refuse('readNode'),
    listNode: refuse('listNode'),
    patchNode: refuse('patchNode'),
    listPodForAllNamespaces: refuse('listPodForAllNamespaces'),
    readNamespacedPod: refuse('readNamespacedPod'),
    createNamespacedPodEviction: refuse('createNamespacedPodEviction'),
    deleteNamespacedPod: refuse('deleteNamespacedPod'),
    createNamespacedEvent: refuse('createNamespacedEvent'),
    async watchPodForAllNamespaces(params, onEvent, signal) {
      calls.push(`watch from ${params.resourceVersion}`);
      const answer = answers.shift();
      if (!answer) throw new Error('no more watches');
      await answer(onEvent, signal);
    },
    ...(nodeWatch && {
      async watchNode(params: { name: string; resourceVersion?: string }, onEvent) {
        calls.push(`watch node ${params.name} from ${params.resourceVersion}`);
        await nodeWatch(onEvent);
      },
    }),
  } satisfies KubeCore;
  const kube: KubeClient = {
    core,
    server: 'https://api.test',
    request: async () => ({}) as never,
    requestCount: () => calls.length,
    close: async () => undefined,
  };
  return { kube, calls };
}

/** A drain of `drained` whose `pods` have all been evicted: what the wait starts from. */
function afterEvictions(drained: V1Node, kube: KubeClient, pods: V1Pod[], clock?: () => number) {
  const ctx = createDrainContext(drained, interruption, {
    kube,
    clock,
    logger: silentLogger,
    settings: { ...defaultDrainSettings },
    backoff: { initialMs: 1, maxMs: 2 },
  });
  const planned = ctx.report.planned(planPods(pods, ctx.settings), false);
  for (const entry of planned)
    ctx.report.podResult(entry, { outcome: 'evicted', attempts: 1, acceptedAt: Date.now() });
  return ctx;
}

describe('waitForEmpty', () => {
  it('waits with one watch from the list it was given, and opens it again (not polling) after a 429', async () => {
    const pods = [pod('a'), pod('b')];
    const { kube, calls } = fakeCore(
      [
        async () => {
          throw new KubeApiError(
            429,
            '{"kind":"Status","code":429}',
            { 'retry-after': '0' },
            'GET',
            '/api/v1/pods',
          );
        },
        async (onEvent) => {
          onEvent({
            type: 'MODIFIED',
            object: { ...pod('a'), metadata: { ...pod('a').metadata, resourceVersion: '11' } },
          });
          onEvent({
            type: 'DELETED',
            object: { ...pod('a'), metadata: { ...pod('a').metadata, resourceVersion: '12' } },
          });
          onEvent({
            type: 'DELETED',
            object: { ...pod('b'), metadata: { ...pod('b').metadata, resourceVersion: '13' } },
          });
          // The server would go on streaming; the wait aborts the watch once the pods are gone.
        },
      ],
      // A wait this short never looks at the node.
      async () => undefined,
    );
    const ctx = afterEvictions(node, kube, pods);

    const seen = await waitForEmpty(ctx, false, { pods, resourceVersion: '10' });

    expect(calls).toEqual(['watch from 10', 'watch from 10']);
    expect(seen).toEqual({ pods: [], resourceVersion: '13' });
    expect(ctx.report.build().counts.stillTerminating).toBe(0);
    expect(ctx.report.build().timings.emptyMs).toBeDefined();
  });
});

describe('waitForEmpty: the node watched on the side', () => {
  it('after 5 s of waiting, watches the node and ends the wait when its kubelet stopped, never reading it', async () => {
    const pods = [pod('a')];
    const markedNode = { ...node, metadata: { ...node.metadata, resourceVersion: '20' } };
    const notReady: V1Node = {
      ...markedNode,
      metadata: { ...markedNode.metadata, resourceVersion: '21' },
      status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
    };
    let podWatchAborted = false;
    const { kube, calls } = fakeCore(
      [
        // The pod never leaves: only the node's news can end this watch.
        (_onEvent, signal) =>
          new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => {
              podWatchAborted = true;
              resolve();
            }),
          ),
      ],
      async (onEvent) => {
        onEvent({ type: 'MODIFIED', object: notReady });
      },
    );
    let sinceStart = 0;
    const ctx = afterEvictions(markedNode, kube, pods, () => Date.now() + sinceStart);

    const waited = waitForEmpty(ctx, false, { pods, resourceVersion: '10' });
    sinceStart = 5000;
    await waited;

    expect(podWatchAborted).toBe(true);
    // Polling took over (and lists the pods to delete them with grace 0); the node itself was never read.
    expect(calls.slice(0, 3)).toEqual([
      'watch from 10',
      'watch node node-a from 20',
      'listPodForAllNamespaces',
    ]);
    expect(calls).not.toContain('readNode');
  });
});

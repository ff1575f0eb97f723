import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { WatchEvent } from '../../kube/client.ts';
import { describeApiError } from '../../kube/errors.ts';
import { withAttempts } from '../attempts.ts';
import type { DrainContext } from '../context.ts';
import { deletePodNow } from '../evict.ts';
import { planPods } from '../plan.ts';
import { kubeletAlive, listNodePods, type NodePods, onNode } from './plan.ts';

/**
 * The node's kubelet cannot finish graceful deletions (`kubeletAlive`): the pods the drain moved (evicted,
 * or already terminating) would stay terminating until the budget runs out. Deletes them with grace period
 * 0 instead (the cleanup semantics: their controllers then replace them at once), records it in the
 * report (`nodeUnreachable`, the pods' outcome `deleted`), the log and a SpotNodeUnreachable Warning Event.
 */
async function forceDeleteOnDeadNode(ctx: DrainContext, pods: V1Pod[], waitingFor: Set<string>) {
  const { report } = ctx;
  const stuck = planPods(
    pods.filter((pod) => waitingFor.has(pod.metadata?.uid ?? '')),
    ctx.settings,
  );
  if (!report.nodeUnreachable) {
    report.nodeUnreachable = true;
    const message = `node ${ctx.nodeName} is not Ready or unreachable: its kubelet cannot finish graceful deletions; ${stuck.length} evicted pods deleted with grace period 0`;
    ctx.deps.logger.warn('node unreachable, force-deleting evicted pods', {
      node: ctx.nodeName,
      eventId: ctx.interruption.eventId,
      pods: stuck.length,
    });
    ctx.events.node(report.node, 'SpotNodeUnreachable', message, 'Warning');
  }
  const limit = pLimit(ctx.settings.evictionConcurrency);
  await Promise.all(
    stuck.map((pod) =>
      limit(async () => {
        if (pod.pod.metadata?.deletionGracePeriodSeconds === 0) return;
        const result = await deletePodNow(ctx.core, pod, ctx.budget, 0, ctx.backoff);
        report.forceDeleted(pod, result);
      }),
    ),
  );
}

/**
 * How long a watch of the wait may run (ms, the budget left, at most 5 minutes: an unlimited budget hands
 * over to polling then) and the `timeoutSeconds` that asks the server to end it just after.
 */
function watchSpan(ctx: DrainContext): { waitMs: number; timeoutSeconds: number } {
  const waitMs = Math.min(ctx.budget.remainingMs(), 300_000);
  return { waitMs, timeoutSeconds: Math.max(1, Math.ceil(waitMs / 1000) + 1) };
}

/** How long a wait goes before the node is looked at again: pods with a short grace period are gone by then. */
const KUBELET_CHECK_AFTER_MS = 5000;

/**
 * Whether the node's kubelet can still finish graceful deletions, kept current while the wait lasts (until
 * `signal`). After `KUBELET_CHECK_AFTER_MS` of waiting, one watch of the node from the node as marked (a
 * wait that ends sooner costs no request); where the watch cannot be had (refused, no `watchNode`) or has
 * ended, a read of the node every 5 s.
 */
function kubeletWatcher(ctx: DrainContext, signal: AbortSignal): () => Promise<boolean> {
  let alive = kubeletAlive(ctx.report.node);
  let nodeReadAt = ctx.clock();
  let watch: 'not yet' | 'open' | 'ended' = 'not yet';
  const openWatch = () => {
    const resourceVersion = ctx.report.node.metadata?.resourceVersion;
    if (!ctx.core.watchNode || !resourceVersion) return 'ended';
    const { timeoutSeconds } = watchSpan(ctx);
    const onEvent = ({ type, object }: WatchEvent<V1Node>) => {
      if (type === 'ERROR') watch = 'ended';
      else if (type === 'DELETED') alive = false;
      else if (type !== 'BOOKMARK') alive = kubeletAlive(object as V1Node);
    };
    ctx.core
      .watchNode({ name: ctx.nodeName, resourceVersion, timeoutSeconds }, onEvent, signal)
      .catch(() => undefined)
      .finally(() => {
        watch = 'ended';
      });
    return 'open';
  };
  return async () => {
    if (!alive || ctx.clock() - nodeReadAt < KUBELET_CHECK_AFTER_MS) return alive;
    if (watch === 'not yet') watch = openWatch();
    if (watch === 'ended') {
      nodeReadAt = ctx.clock();
      alive = kubeletAlive(await ctx.core.readNode({ name: ctx.nodeName }));
    }
    return alive;
  };
}

/** How a watch for the pods to leave ended: with the node's pods as seen then, or with a hand-over to polling. */
type WatchEnd = { empty: boolean; seen?: NodePods } | 'poll';

/**
 * Waits for the pods in `waitingFor` to leave with one watch of the node's pods from `from` (the list the
 * evicted pods come from), checking the kubelet every 5 s on the side. A watch refused for now (throttled,
 * transient, cut) is opened again from the last resourceVersion seen, with backoff. Hands over to polling
 * (`'poll'`) when the watch cannot go on (refused, e.g. without the `watch` verb; ended by the server;
 * resourceVersion expired) or the kubelet is found dead (polling force-deletes the pods).
 */
async function watchUntilGone(
  ctx: DrainContext,
  waitingFor: Set<string>,
  from: NodePods,
  alive: () => Promise<boolean>,
): Promise<WatchEnd> {
  const watch = ctx.core.watchPodForAllNamespaces;
  if (!watch || !from.resourceVersion) return 'poll';
  const pods = new Map(from.pods.map((pod) => [pod.metadata?.uid ?? '', pod]));
  let resourceVersion = from.resourceVersion;
  const left = () => [...waitingFor].filter((uid) => pods.has(uid)).length;
  if (left() === 0) {
    ctx.report.podsLeft(0);
    return { empty: true, seen: from };
  }
  const stop = new AbortController();
  let end: WatchEnd = 'poll';
  const finish = (how: WatchEnd) => {
    end = how;
    stop.abort();
  };
  const onEvent = ({ type, object }: WatchEvent<V1Pod>) => {
    if (type === 'ERROR') return finish('poll');
    const pod = object as V1Pod;
    resourceVersion = pod.metadata?.resourceVersion ?? resourceVersion;
    if (type === 'DELETED') pods.delete(pod.metadata?.uid ?? '');
    else if (type !== 'BOOKMARK') pods.set(pod.metadata?.uid ?? '', pod);
    if (left() === 0) finish({ empty: true, seen: { pods: [...pods.values()], resourceVersion } });
  };
  // An unlimited budget: the watch ends after 5 minutes and polling takes over.
  const { waitMs, timeoutSeconds } = watchSpan(ctx);
  const budgetEnd = setTimeout(() => finish({ empty: false }), waitMs);
  const kubelet = (async () => {
    while (!stop.signal.aborted) {
      await sleep(1000, undefined, { signal: stop.signal }).catch(() => undefined);
      if (!stop.signal.aborted && !(await alive().catch(() => true))) finish('poll');
    }
  })();
  try {
    // Throttled (429 from Priority and Fairness) or cut: watched again from the last resourceVersion seen,
    // after the same backoff as any request; polling instead would only add requests to a loaded server.
    await withAttempts(
      ctx.budget,
      () =>
        watch({ fieldSelector: onNode(ctx.nodeName), resourceVersion, timeoutSeconds }, onEvent, stop.signal),
      {
        backoff: ctx.backoff,
        decide: ({ retryByDefault }) => ({ retry: retryByDefault && !stop.signal.aborted }),
      },
    );
  } catch {
    // Refused: polling takes over.
  } finally {
    clearTimeout(budgetEnd);
    stop.abort();
    await kubelet;
  }
  if (end !== 'poll') ctx.report.podsLeft(left());
  return end;
}

/** Polls the node's pods (every 250 ms, growing to 1 s) until the pods in `waitingFor` are gone. */
async function pollUntilGone(
  ctx: DrainContext,
  waitingFor: Set<string>,
  alive: () => Promise<boolean>,
): Promise<NodePods | undefined> {
  for (let interval = 250; ; interval = Math.min(1000, interval * 1.5)) {
    try {
      const kubeletUp = await alive();
      const seen = await listNodePods(ctx.core, ctx.nodeName, ctx.budget, ctx.backoff);
      const left = seen.pods.filter((pod) => waitingFor.has(pod.metadata?.uid ?? ''));
      ctx.report.podsLeft(left.length);
      if (left.length === 0) return seen;
      if (!kubeletUp) await forceDeleteOnDeadNode(ctx, left, waitingFor);
    } catch (error) {
      ctx.report.errors.push(`waiting for pods: ${describeApiError(error).message}`);
      return undefined;
    }
    if (ctx.budget.remainingMs() <= interval) return undefined;
    await sleep(interval);
  }
}

/**
 * Wait phase: waits until none of the evicted, deleted or terminating pods is left on the node, or the
 * budget runs out; the machine may not outlive them. One watch of the node's pods from `from` (the list
 * the pods to wait for come from: https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes)
 * does it in one request however long the pods take; without it (no `from`, the watch refused or cut)
 * the pods are polled (every 250 ms, growing to 1 s). Skipped unless `settings.waitForEmpty`, and on
 * cleanup (the machine is gone). On a node whose kubelet cannot finish a graceful deletion (Ready not
 * True, or tainted unreachable: checked on the node as marked, then kept current), the
 * pods still there are deleted with grace period 0 rather than waited for to the end of the budget
 * (`forceDeleteOnDeadNode`); after 5 s of waiting the node is watched (one request), or read every 5 s
 * without the watch. Records `emptyMs` and `stillTerminating`; a listing that fails for good ends
 * the wait with an error in the report. Resolves with the node's pods as seen when the last one waited
 * for had left (the sweep's first look at the node), else undefined. Never throws.
 */
export async function waitForEmpty(
  ctx: DrainContext,
  cleanup: boolean,
  from?: NodePods,
): Promise<NodePods | undefined> {
  const waitingFor = ctx.report.leaving();
  if (!ctx.settings.waitForEmpty || cleanup || waitingFor.size === 0) return undefined;
  ctx.progress('waiting');
  const done = new AbortController();
  const alive = kubeletWatcher(ctx, done.signal);
  try {
    if (from && kubeletAlive(ctx.report.node)) {
      const watched = await watchUntilGone(ctx, waitingFor, from, alive);
      if (watched !== 'poll') return watched.empty ? watched.seen : undefined;
    }
    if (ctx.budget.remainingMs() <= 0) return undefined;
    return await pollUntilGone(ctx, waitingFor, alive);
  } finally {
    done.abort();
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { describeApiError } from '../../kube/errors.ts';
import type { DrainContext } from '../context.ts';
import { deletePodNow } from '../evict.ts';
import { planPods } from '../plan.ts';
import { kubeletAlive, listNodePods } from './plan.ts';

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
 * Wait phase: polls the node's pods (every 250 ms, growing to 1 s) until none of the evicted, deleted or
 * terminating ones is left, or the budget runs out; the machine may not outlive them. Skipped unless
 * `settings.waitForEmpty`, and on cleanup (the machine is gone). On a node whose kubelet cannot finish a
 * graceful deletion (Ready not True, or tainted unreachable: checked on the node as marked, and read
 * again every 5 s of waiting), the pods still there are deleted with grace period 0 rather than waited
 * for to the end of the budget (`forceDeleteOnDeadNode`). Records `emptyMs` and `stillTerminating`; a
 * listing that fails for good ends the wait with an error in the report. Never throws.
 */
export async function waitForEmpty(ctx: DrainContext, cleanup: boolean): Promise<void> {
  const waitingFor = ctx.report.leaving();
  if (!ctx.settings.waitForEmpty || cleanup || waitingFor.size === 0) return;
  ctx.progress('waiting');
  let alive = kubeletAlive(ctx.report.node);
  let nodeReadAt = ctx.clock();
  for (let interval = 250; ; interval = Math.min(1000, interval * 1.5)) {
    try {
      if (alive && ctx.clock() - nodeReadAt >= 5000) {
        nodeReadAt = ctx.clock();
        alive = kubeletAlive(await ctx.core.readNode({ name: ctx.nodeName }));
      }
      const pods = await listNodePods(ctx.core, ctx.nodeName, ctx.budget, ctx.backoff);
      const left = pods.filter((pod) => waitingFor.has(pod.metadata?.uid ?? ''));
      ctx.report.podsLeft(left.length);
      if (left.length === 0) return;
      if (!alive) await forceDeleteOnDeadNode(ctx, left, waitingFor);
    } catch (error) {
      ctx.report.errors.push(`waiting for pods: ${describeApiError(error).message}`);
      return;
    }
    if (ctx.budget.remainingMs() <= interval) return;
    await sleep(interval);
  }
}

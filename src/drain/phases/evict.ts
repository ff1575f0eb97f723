import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { DrainContext } from '../context.ts';
import { deletePodNow, evictPod } from '../evict.ts';
import { graceDeadline, type PlannedPod } from '../plan.ts';
import type { DrainPlan } from './plan.ts';

/** Evicts (or, on `cleanup`, deletes) one pod and records the result, its Kubernetes Event and progress. */
async function actOnPod(ctx: DrainContext, pod: PlannedPod, listedAt: number, cleanup: boolean) {
  const { settings, budget, report } = ctx;
  const result = cleanup
    ? await deletePodNow(ctx.core, pod, budget, 0, ctx.backoff)
    : await evictPod(ctx.core, pod, budget, {
        deadlinePolicy: settings.deadlinePolicy,
        forceDeleteLeadMs: settings.forceDeleteLeadMs,
        graceDeadline: graceDeadline(budget.deadline, settings),
        gracePeriodOverrideSeconds: settings.podTerminationGracePeriodSeconds,
        listedAt,
        backoff: ctx.backoff,
      });
  report.podResult(pod, result);
  // A PodDisruptionBudget overridden at the deadline is always told on the pod, for its owners to see.
  const forced = !cleanup && result.outcome === 'deleted';
  if (result.acceptedAt !== undefined && (settings.podEvents || forced)) {
    const [reason, what] = cleanup
      ? ['SpotDrainerDeleted', 'Deleted']
      : result.outcome === 'deleted'
        ? [
            'SpotDrainerForceDeleted',
            'Deleted at the deadline (deadline policy force-delete) because a PodDisruptionBudget still held it,',
          ]
        : ['SpotDrainerEvicted', 'Evicted'];
    ctx.events.pod(pod, reason, `${what} from node ${ctx.nodeName}: ${ctx.describeInterruption}`);
  }
  ctx.progress('evicting');
}

/** Resolves when the last third of the budget begins (never, for an unlimited budget), or on `signal`. */
function reserveReached(ctx: DrainContext, signal: AbortSignal): Promise<void> {
  const reserveStart = ctx.budget.stopAt() - ctx.budget.remainingMs() / 3;
  if (!Number.isFinite(reserveStart)) return new Promise<void>(() => {});
  return sleep(Math.max(0, reserveStart - ctx.clock()), undefined, { signal }).catch(() => undefined);
}

/**
 * Evict phase: acts on the planned pods in parallel (at most `settings.evictionConcurrency` requests in
 * flight), through the Eviction API (https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/)
 * or, for a machine that is gone, by deletion. Critical pods (system-cluster-critical and
 * system-node-critical) go once the others are out or when the last third of the time begins, the order
 * graceful node shutdown uses. Never throws: each pod's outcome is in the report.
 */
export async function evictPods(ctx: DrainContext, plan: DrainPlan, cleanup: boolean): Promise<void> {
  const limit = pLimit(ctx.settings.evictionConcurrency);
  const act = (pod: PlannedPod) => limit(() => actOnPod(ctx, pod, plan.listedAt, cleanup));
  const normal = plan.toAct.filter((pod) => !pod.critical);
  const critical = plan.toAct.filter((pod) => pod.critical);
  const normalDone = Promise.all(normal.map(act));
  if (critical.length > 0) {
    const gate = new AbortController();
    await Promise.race([normalDone, reserveReached(ctx, gate.signal)]);
    gate.abort();
    await Promise.all([normalDone, Promise.all(critical.map(act))]);
  } else {
    await normalDone;
  }
  ctx.log(cleanup ? 'deleted pods' : 'evictions done', {
    accepted: ctx.report.accepted,
    evictable: plan.toAct.length,
    blockedByPdb: ctx.report.blocked,
  });
}

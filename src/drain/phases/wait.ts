import { setTimeout as sleep } from 'node:timers/promises';
import { describeApiError } from '../../kube/errors.ts';
import type { DrainContext } from '../context.ts';
import { listNodePods } from './plan.ts';

/**
 * Wait phase: polls the node's pods (every 250 ms, growing to 1 s) until none of the evicted, deleted or
 * terminating ones is left, or the budget runs out; the machine may not outlive them. Skipped unless
 * `settings.waitForEmpty`, and on cleanup (the machine is gone). Records `emptyMs` and `stillTerminating`;
 * a listing that fails for good ends the wait with an error in the report. Never throws.
 */
export async function waitForEmpty(ctx: DrainContext, cleanup: boolean): Promise<void> {
  const waitingFor = ctx.report.leaving();
  if (!ctx.settings.waitForEmpty || cleanup || waitingFor.size === 0) return;
  ctx.progress('waiting');
  for (let interval = 250; ; interval = Math.min(1000, interval * 1.5)) {
    try {
      const pods = await listNodePods(ctx.core, ctx.nodeName, ctx.budget, ctx.backoff);
      const left = pods.filter((pod) => waitingFor.has(pod.metadata?.uid ?? '')).length;
      ctx.report.podsLeft(left);
      if (left === 0) return;
    } catch (error) {
      ctx.report.errors.push(`waiting for pods: ${describeApiError(error).message}`);
      return;
    }
    if (ctx.budget.remainingMs() <= interval) return;
    await sleep(interval);
  }
}

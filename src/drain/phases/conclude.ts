import type { DrainContext } from '../context.ts';

/**
 * Last phase of a drain or cleanup: settles the outcome (`completed` or `partial`, and whether a retry
 * could help), records SpotDrained / SpotCleanedUp (only the invocation that wrote the marks: one per
 * interruption, not one per delivery) or a SpotDrainFailed Warning on the node, reports
 * progress `done`, and waits (at most 3 s, and 1 s short of the function's time) for the Kubernetes
 * Events still being sent. Never throws.
 */
export async function concludeDrain(ctx: DrainContext, cleanup: boolean): Promise<void> {
  const { report } = ctx;
  const counts = report.conclude(ctx.budget.limitedByFunctionTime());
  if (report.outcome === 'completed') {
    // One per interruption: a duplicate delivery that found the marks in place finds a drained node too.
    if (report.markedByThisInvocation)
      ctx.events.node(
        report.node,
        cleanup ? 'SpotCleanedUp' : 'SpotDrained',
        `${counts.evicted + counts.deleted} pods ${cleanup ? 'deleted' : 'evicted'} in ${report.elapsedMs()} ms`,
      );
  } else {
    const incomplete = counts.blockedByPdb + counts.failed + counts.timedOut + counts.returned;
    const returned = counts.returned > 0 ? `, ${counts.returned} landed back on the node` : '';
    ctx.events.node(
      report.node,
      'SpotDrainFailed',
      `${incomplete} of ${counts.evictable} pods not evicted (${counts.blockedByPdb} blocked by PodDisruptionBudgets, ${counts.failed} refused, ${counts.timedOut} timed out${returned})`,
      'Warning',
    );
  }
  ctx.progress('done');
  await ctx.events.flush(Math.min(3000, Math.max(0, (ctx.deps.remainingTimeMs?.() ?? 5000) - 1000)));
}

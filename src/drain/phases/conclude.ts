import type { DrainContext } from '../context.ts';
import { describeMarks } from './mark.ts';

/** Pods named in the drain's Event; the rest are counted ("and 12 more"), all of them are in the report. */
const NAMED_PODS = 20;

function podList(names: string[]): string {
  if (names.length === 0) return '';
  const more = names.length > NAMED_PODS ? `, and ${names.length - NAMED_PODS} more` : '';
  return `: ${names.slice(0, NAMED_PODS).join(', ')}${more}`;
}

/**
 * Last phase of a drain or cleanup: settles the outcome (`completed` or `partial`, and whether a retry
 * could help), records the drain's one Kubernetes Event on the node, reports progress `done`, and waits
 * (at most 3 s, and 1 s short of the function's time) for the Kubernetes Events still being sent. The
 * Event is SpotDrained / SpotCleanedUp (only by the invocation that wrote the marks: one per interruption,
 * not one per delivery), or a SpotDrainFailed Warning; it says what the marks were, for which
 * interruption, and names the pods moved: one Event per drain rather than one per pod, so a zone's worth
 * of drains does not double the requests on the API server (per-pod Events: `settings.podEvents`).
 * Never throws.
 */
export async function concludeDrain(ctx: DrainContext, cleanup: boolean): Promise<void> {
  const { report } = ctx;
  const counts = report.conclude(ctx.budget.limitedByFunctionTime());
  const marks = report.markedByThisInvocation ? `${describeMarks(ctx)}; ` : '';
  const moved = `${counts.evicted + counts.deleted} pods ${cleanup ? 'deleted' : 'evicted'}`;
  if (report.outcome === 'completed') {
    // One per interruption: a duplicate delivery that found the marks in place finds a drained node too.
    if (report.markedByThisInvocation)
      ctx.events.node(
        report.node,
        cleanup ? 'SpotCleanedUp' : 'SpotDrained',
        `${marks}${moved} in ${report.elapsedMs()} ms${podList(report.moved())}`,
      );
  } else {
    const incomplete = counts.blockedByPdb + counts.failed + counts.timedOut + counts.returned;
    const returned = counts.returned > 0 ? `, ${counts.returned} landed back on the node` : '';
    ctx.events.node(
      report.node,
      'SpotDrainFailed',
      `${marks}${incomplete} of ${counts.evictable} pods not evicted (${counts.blockedByPdb} blocked by PodDisruptionBudgets, ${counts.failed} refused, ${counts.timedOut} timed out${returned}); ${moved}${podList(report.moved())}`,
      'Warning',
    );
  }
  ctx.progress('done');
  await ctx.events.flush(Math.min(3000, Math.max(0, (ctx.deps.remainingTimeMs?.() ?? 5000) - 1000)));
}

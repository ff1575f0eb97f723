import { admissionDenial } from '../../kube/errors.ts';
import { type DrainContext, recordFailure } from '../context.ts';
import { MARKS_LEFT_OUT, type MarkLevel, markPatch } from '../marks.ts';
import { type NodePatchResult, patchNode } from '../node-patch.ts';

/** From the whole set of marks down to the smallest protection, tried in turn on admission denials. */
const LEVELS: MarkLevel[] = ['full', 'no-taint', 'cordon-only'];

/**
 * Mark phase: cordons, taints and annotates the node in one JSON Patch (`markPatch`), unless a duplicate
 * delivery finds the marks in place (`markedByThisInvocation: false`). An admission policy (a
 * ValidatingAdmissionPolicy, a webhook) that denies the patch is told apart from a concurrent writer: the
 * denial is recorded with the policy's message (report errors, log, SpotMarksDenied Warning Event) and
 * the smallest write the policy allows is tried next (all but the taint, then the cordon alone); the
 * report's `marksRefused` says which marks are missing. Records the cordon time and the
 * SpotInterruptionReceived / SpotCordoned Kubernetes Events. Returns false (failure recorded in the
 * report) when not even the cordon could be written; the drain must not go on without it.
 */
export async function markNode(ctx: DrainContext): Promise<boolean> {
  const { settings, interruption, report, clock } = ctx;
  let result: NodePatchResult | undefined;
  for (const level of LEVELS) {
    try {
      result = await patchNode(ctx.core, report.node, ctx.budget, ctx.backoff, (current) =>
        markPatch(current, interruption, {
          excludeFromLoadBalancers: settings.excludeFromLoadBalancers,
          now: new Date(clock()),
          level,
          chain: ctx.deps.chain,
        }),
      );
      report.marksRefused = MARKS_LEFT_OUT[level];
      break;
    } catch (error) {
      const denial = admissionDenial(error);
      if (denial === undefined || level === 'cordon-only') {
        recordFailure(ctx, 'cordon', error);
        return false;
      }
      const message = `admission denied the ${level === 'full' ? 'marks' : 'marks without the taint'}: ${denial}`;
      report.errors.push(message);
      ctx.deps.logger.warn('marks denied by admission', {
        node: ctx.nodeName,
        eventId: interruption.eventId,
        level,
        denial,
      });
      ctx.events.node(report.node, 'SpotMarksDenied', message, 'Warning');
    }
  }
  if (!result) return false;
  report.cordoned(result.node, result.wrote);
  ctx.events.node(report.node, 'SpotInterruptionReceived', ctx.describeInterruption);
  if (report.markedByThisInvocation) {
    const refused =
      report.marksRefused.length > 0 ? ` (refused by admission: ${report.marksRefused.join(', ')})` : '';
    const what = report.marksRefused.includes('taint') ? 'Cordoned' : 'Cordoned and tainted';
    ctx.events.node(report.node, 'SpotCordoned', `${what} for ${interruption.kind}${refused}`);
  }
  ctx.log('cordoned', {
    cordonMs: report.cordonMs,
    wrote: report.markedByThisInvocation,
    marksRefused: report.marksRefused,
  });
  ctx.progress('cordoned');
  return true;
}

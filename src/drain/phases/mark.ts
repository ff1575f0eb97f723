import { admissionDenial } from '../../kube/errors.ts';
import { type DrainContext, recordFailure } from '../context.ts';
import { MARKS_LEFT_OUT, type MarkLevel, markPatch } from '../marks.ts';
import { type NodePatchResult, patchNode } from '../node-patch.ts';

/** From the whole set of marks down to the smallest protection, tried in turn on admission denials. */
const LEVELS: MarkLevel[] = ['full', 'no-taint', 'cordon-only'];
/** The same without the taint, which SPOT_DRAINER_TAINT_NODE=false leaves out by choice. */
const UNTAINTED_LEVELS: MarkLevel[] = ['no-taint', 'cordon-only'];

/** The marks an admission policy refused at `level`: what it leaves out, less what was not asked for. */
function refusedAt(level: MarkLevel, taintNode: boolean): string[] {
  return MARKS_LEFT_OUT[level].filter((mark) => taintNode || mark !== 'taint');
}

/**
 * What this invocation's marks did, for the one Kubernetes Event a drain records on the node: "Cordoned
 * and tainted for spot-interruption (aws event …), machine leaves at …", with the marks an admission
 * policy refused.
 */
export function describeMarks(ctx: DrainContext): string {
  const { marksRefused } = ctx.report;
  const refused = marksRefused.length > 0 ? ` (refused by admission: ${marksRefused.join(', ')})` : '';
  const tainted = ctx.settings.taintNode && !marksRefused.includes('taint');
  return `${tainted ? 'Cordoned and tainted' : 'Cordoned'} for ${ctx.describeInterruption}${refused}`;
}

/**
 * Mark phase: cordons, taints and annotates the node in one JSON Patch (`markPatch`), unless a duplicate
 * delivery finds the marks in place (`markedByThisInvocation: false`). An admission policy (a
 * ValidatingAdmissionPolicy, a webhook) that denies the patch is told apart from a concurrent writer: the
 * denial is recorded with the policy's message (report errors, log, SpotMarksDenied Warning Event) and
 * the smallest write the policy allows is tried next (all but the taint, then the cordon alone); the
 * report's `marksRefused` says which marks are missing. With `settings.taintNode` off the taint is never
 * written (nor reported refused). Records the cordon time; a delivery that finds the marks in place
 * records a SpotInterruptionReceived Kubernetes Event (the one that wrote them records its Event when the
 * drain ends, `concludeDrain`, or at once when it only cordons). Returns false (failure recorded in the
 * report) when not even the cordon could be written; the drain must not go on without it.
 */
export async function markNode(ctx: DrainContext): Promise<boolean> {
  const { settings, interruption, report, clock } = ctx;
  let result: NodePatchResult | undefined;
  const levels = settings.taintNode ? LEVELS : UNTAINTED_LEVELS;
  for (const level of levels) {
    try {
      result = await patchNode(ctx.core, report.node, ctx.budget, ctx.backoff, (current) =>
        markPatch(current, interruption, {
          excludeFromLoadBalancers: settings.excludeFromLoadBalancers,
          now: new Date(clock()),
          level,
          chain: ctx.deps.chain,
        }),
      );
      report.marksRefused = refusedAt(level, settings.taintNode);
      break;
    } catch (error) {
      const denial = admissionDenial(error);
      if (denial === undefined || level === 'cordon-only') {
        recordFailure(ctx, 'cordon', error);
        return false;
      }
      const what = level === 'full' || !settings.taintNode ? 'marks' : 'marks without the taint';
      const message = `admission denied the ${what}: ${denial}`;
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
  // The invocation that wrote the marks tells the whole story in one Event when it ends (`describeMarks`).
  if (!report.markedByThisInvocation)
    ctx.events.node(
      report.node,
      'SpotInterruptionReceived',
      `${ctx.describeInterruption}; marks already in place`,
    );
  ctx.log('cordoned', {
    cordonMs: report.cordonMs,
    wrote: report.markedByThisInvocation,
    marksRefused: report.marksRefused,
  });
  ctx.progress('cordoned');
  return true;
}

import { type DrainContext, guardStep } from '../context.ts';
import { markPatch } from '../marks.ts';
import { patchNode } from '../node-patch.ts';

/**
 * Mark phase: cordons, taints and annotates the node in one JSON Patch (`markPatch`), unless a duplicate
 * delivery finds the marks in place (`markedByThisInvocation: false`). Records the cordon time and the
 * SpotInterruptionReceived / SpotCordoned Kubernetes Events. Returns false (failure recorded in the
 * report) when the marks could not be written; the drain must not go on without them.
 */
export async function markNode(ctx: DrainContext): Promise<boolean> {
  const { settings, interruption, report, clock } = ctx;
  const marked = await guardStep(ctx, 'cordon', async () => {
    const result = await patchNode(ctx.core, report.node, ctx.budget, ctx.backoff, (current) =>
      markPatch(current, interruption, {
        excludeFromLoadBalancers: settings.excludeFromLoadBalancers,
        now: new Date(clock()),
      }),
    );
    report.cordoned(result.node, result.wrote);
  });
  if (!marked) return false;
  ctx.events.node(report.node, 'SpotInterruptionReceived', ctx.describeInterruption);
  if (report.markedByThisInvocation)
    ctx.events.node(report.node, 'SpotCordoned', `Cordoned and tainted for ${interruption.kind}`);
  ctx.log('cordoned', { cordonMs: report.cordonMs, wrote: report.markedByThisInvocation });
  ctx.progress('cordoned');
  return true;
}

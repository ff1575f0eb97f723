import { type DrainContext, flushEvents, guardStep } from '../context.ts';
import { releasePatch } from '../marks.ts';
import { patchNode } from '../node-patch.ts';

/**
 * Release phase, for an interruption that was called off (Azure Canceled/Completed): removes this
 * event's marks (`releasePatch`) and uncordons the node if nothing else holds it. A dry run, or a node
 * without this event's marks, only logs. Failures are recorded in the report (outcome `failed`).
 */
export async function releaseNode(ctx: DrainContext): Promise<void> {
  const { settings, interruption, report } = ctx;
  const plan = releasePatch(report.node, interruption);
  if (settings.dryRun || !plan.patch) {
    ctx.log('release', { result: plan.reason, dryRun: settings.dryRun });
    report.outcome = settings.dryRun ? 'dry-run' : 'completed';
    return;
  }
  const released = await guardStep(ctx, 'release', async () => {
    const result = await patchNode(
      ctx.core,
      report.node,
      ctx.budget,
      ctx.backoff,
      (current) => releasePatch(current, interruption).patch,
    );
    report.node = result.node;
  });
  if (!released) return;
  ctx.events.node(
    report.node,
    'SpotInterruptionCanceled',
    `${ctx.describeInterruption} was called off; ${plan.uncordons ? 'uncordoned' : plan.reason}`,
  );
  ctx.log('released', { uncordoned: plan.uncordons });
  await flushEvents(ctx, 2000);
}

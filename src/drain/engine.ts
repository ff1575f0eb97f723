import type { V1Node } from '@kubernetes/client-node';
import type { DrainAction, Interruption } from '../events/interruption.ts';
import { createDrainContext, type DrainDependencies, flushEvents } from './context.ts';
import { concludeDrain } from './phases/conclude.ts';
import { evictPods } from './phases/evict.ts';
import { describeMarks, markNode } from './phases/mark.ts';
import { markOutOfService } from './phases/out-of-service.ts';
import { kubeletAlive, planDrain } from './phases/plan.ts';
import { releaseNode } from './phases/release.ts';
import { sweepReturning } from './phases/sweep.ts';
import { waitForEmpty } from './phases/wait.ts';
import type { DrainReport } from './report.ts';

/**
 * Under SPOT_DRAINER_CORDON_ONLY every action but `release` becomes `cordon`, recorded so in the marks,
 * the report and the notification; `details.cordonOnlyInsteadOf` keeps the action the event asked for.
 */
function cordonOnly(interruption: Interruption, enabled: boolean): Interruption {
  if (!enabled || interruption.action === 'release' || interruption.action === 'cordon') return interruption;
  return {
    ...interruption,
    action: 'cordon',
    details: { ...interruption.details, cordonOnlyInsteadOf: interruption.action },
  };
}

/** `drainNode`'s dependencies and progress reports, defined with the drain's context (src/drain/context.ts). */
export type { DrainDependencies, DrainProgress } from './context.ts';

/**
 * The action to carry out once the node is marked: `cordon-or-cleanup` depends on the node's readiness
 * (Ready condition True, no unreachable taint).
 */
function effectiveAction(action: DrainAction, node: V1Node): DrainAction {
  if (action !== 'cordon-or-cleanup') return action;
  return kubeletAlive(node) ? 'cordon' : 'cleanup';
}

/**
 * The one drain engine both clouds share. Takes a node that was positively resolved and a normalized
 * interruption, and acts within the time the interruption and the function leave (`deps.budget`, or one
 * made from the interruption's deadline): release (the interruption was called off), or mark (one JSON
 * Patch: cordon, taint, annotations), then for a drain or cleanup plan (one pod list), evict (Eviction API
 * with PodDisruptionBudgets respected; delete on cleanup), wait for the node to empty, and sweep the pods
 * that landed on it after the marks (evicted in turn, or reported); a cleanup whose machine the cloud
 * confirms gone may then taint the node out-of-service (`settings.outOfServiceTaint`). Under
 * `settings.cordonOnly` every action but release stops after the marks.
 *
 * Resolves with a `DrainReport` (src/drain/report.ts) in every case: API failures that stop the drain
 * give outcome `failed` (with `retryable` when another invocation could pass them), pods that could not be
 * evicted in time give `partial`. Rejects only on programming errors.
 */
export async function drainNode(
  node: V1Node,
  received: Interruption,
  deps: DrainDependencies,
): Promise<DrainReport> {
  const interruption = cordonOnly(received, deps.settings.cordonOnly);
  const ctx = createDrainContext(node, interruption, deps);
  const { settings, report } = ctx;
  if (interruption.action === 'release') {
    await releaseNode(ctx);
    return report.build();
  }
  if (!settings.dryRun && !(await markNode(ctx))) return report.build();
  const action = effectiveAction(interruption.action, report.node);
  if (action === 'cordon') {
    report.outcome = settings.dryRun ? 'dry-run' : 'completed';
    if (report.markedByThisInvocation) ctx.events.node(report.node, 'SpotCordoned', describeMarks(ctx));
    await flushEvents(ctx, 2000);
    return report.build();
  }
  const cleanup = action === 'cleanup';
  const plan = await planDrain(ctx, cleanup);
  if (!plan || settings.dryRun) return report.build();
  await evictPods(ctx, plan, cleanup);
  const afterWait = await waitForEmpty(ctx, cleanup, plan.seen);
  await sweepReturning(ctx, cleanup, afterWait);
  if (cleanup && settings.outOfServiceTaint) await markOutOfService(ctx, deps.machineShutDown);
  await concludeDrain(ctx, cleanup);
  return report.build();
}

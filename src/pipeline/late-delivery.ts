/**
 * An interruption handled when its machine is already gone, or too late for anything graceful, is
 * handled as cleanup: a graceful drain can no longer finish, and evictions that wait on
 * PodDisruptionBudgets would leave pods Running on a machine that has been reclaimed, with no
 * replacement. Deleting them at once lets their controllers replace them now. Events arrive late as a
 * matter of course: Lambda's async retries come 1 and 2 minutes after a failed attempt, EventBridge
 * retries for up to 24 hours, Event Grid for up to a day.
 */
import type { Interruption } from '../events/interruption.ts';

/** Actions that assume the machine is still there and can be drained gracefully. */
const GRACEFUL = new Set(['drain', 'cordon-or-cleanup']);

/**
 * The interruption to act on: `interruption` itself, or a copy with action `cleanup` and the reason in
 * `details.cleanupBecause` when `machineGone` says so (the provider's own knowledge, e.g. EC2 state
 * `terminated`) or the deadline, less `safetyMs`, has passed at `nowMs` (epoch ms). Pure.
 */
export function actionForLateDelivery(
  interruption: Interruption,
  machineGone: string | undefined,
  nowMs: number,
  safetyMs: number,
): Interruption {
  if (!GRACEFUL.has(interruption.action)) return interruption;
  const deadline = interruption.deadline?.getTime();
  const late =
    deadline !== undefined && nowMs >= deadline - safetyMs
      ? `handled ${Math.round((nowMs - deadline) / 1000)} s after its deadline ${new Date(deadline).toISOString()}`
      : undefined;
  const because = machineGone ?? late;
  if (!because) return interruption;
  return {
    ...interruption,
    action: 'cleanup',
    details: { ...interruption.details, cleanupBecause: because },
  };
}

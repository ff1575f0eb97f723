/**
 * The Auto Scaling obligation of a terminate lifecycle action: heartbeat while the node drains, then
 * CompleteLifecycleAction with CONTINUE so the instance terminates without waiting out the hook
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html). Every way out of the
 * pipeline decides what happens to the action; see `lifecycleDecision`.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { describeApiError } from '../../kube/errors.ts';
import type { Logger } from '../../logging.ts';
import type { CloudAction, DrainHooks, DrainTarget, Settlement } from '../provider.ts';
import { completeLifecycleAction, recordHeartbeat, startLifecycleHeartbeat } from './lifecycle-action.ts';
import type { LifecycleHookRef } from './machine.ts';

const COMPLETE = 'CompleteLifecycleAction';

/**
 * What to do with the lifecycle action once the interruption's outcome is known:
 * - complete: the node is drained (or as drained as the deadline allowed), or this cluster has no node
 *   for the instance: nothing is gained by holding the instance;
 * - retry: the platform delivers the event again, and that attempt settles it;
 * - hold: the drain failed for good; the pods still on the node keep running until the hook times out;
 * - heartbeat: a continuation goes on with the drain; a heartbeat now restarts the hook's timeout so the
 *   instance is kept across the gap between invocations.
 * Pure.
 */
export function lifecycleDecision(settlement: Settlement): {
  decision: 'complete' | 'retry' | 'hold' | 'heartbeat';
  why: string;
} {
  switch (settlement.status) {
    case 'continued':
      return { decision: 'heartbeat', why: 'the drain goes on in a continuation' };
    case 'node-gone':
      return { decision: 'complete', why: 'no node of this cluster names the instance' };
    case 'failed':
      return settlement.retryable
        ? { decision: 'retry', why: 'the delivery is retried' }
        : { decision: 'hold', why: 'the drain could not start; the hook times out on its own' };
    case 'drained': {
      const { report } = settlement;
      if (report.retryable) return { decision: 'retry', why: 'the drain is incomplete and is retried' };
      if (report.outcome === 'failed')
        return { decision: 'hold', why: 'the drain failed; the hook times out on its own' };
      return { decision: 'complete', why: `drain ${report.outcome}` };
    }
  }
}

/** Options of `lifecycleHooks`. */
export interface LifecycleHookOptions {
  autoScaling: () => AutoScalingClient;
  /** Heartbeat interval in ms for the drain of `target` (a third of the hook's heartbeat timeout, at most 5 minutes). */
  heartbeatIntervalMs: (target: DrainTarget) => number;
  logger: Logger;
  /** Say what would be done instead of doing it: a dry run, or a replay without cloud calls. */
  simulate?: 'dry run' | 'replay without --cloud-calls';
}

/** Heartbeats during the drain and settles the lifecycle action afterwards; never throws. */
export function lifecycleHooks(hook: LifecycleHookRef, options: LifecycleHookOptions): DrainHooks {
  const { logger, simulate } = options;
  return {
    duringDrain: simulate
      ? undefined
      : (signal, target) =>
          startLifecycleHeartbeat(options.autoScaling(), hook, {
            intervalMs: options.heartbeatIntervalMs(target),
            signal,
            onError: (error) =>
              logger.warn('lifecycle heartbeat failed', { error: describeApiError(error).message }),
          }),
    settle: async (settlement): Promise<CloudAction> => {
      const { decision, why } = lifecycleDecision(settlement);
      if (decision === 'heartbeat') return heartbeatNow(hook, options, why);
      if (decision === 'retry') return { action: COMPLETE, result: `left for the retry: ${why}` };
      if (decision === 'hold') return { action: COMPLETE, result: `not completed: ${why}` };
      if (simulate) return { action: COMPLETE, result: `would complete with CONTINUE (${simulate}): ${why}` };
      try {
        const result = await completeLifecycleAction(options.autoScaling(), hook, 'CONTINUE');
        logger.info('lifecycle action completed', { hook: hook.lifecycleHookName, result, why });
        return { action: COMPLETE, result: `${result} with CONTINUE: ${why}` };
      } catch (error) {
        // Auto Scaling proceeds on its own when the hook times out; the drain itself is done.
        const message = describeApiError(error).message;
        logger.error('could not complete the lifecycle action', { error: message });
        return { action: COMPLETE, result: `failed: ${message}` };
      }
    },
  };
}

const HEARTBEAT = 'RecordLifecycleActionHeartbeat';

/** One heartbeat before the drain is handed to a continuation; never throws. */
async function heartbeatNow(
  hook: LifecycleHookRef,
  options: LifecycleHookOptions,
  why: string,
): Promise<CloudAction> {
  if (options.simulate) return { action: HEARTBEAT, result: `would record (${options.simulate}): ${why}` };
  try {
    const result = await recordHeartbeat(options.autoScaling(), hook);
    return { action: HEARTBEAT, result: `${result}: ${why}` };
  } catch (error) {
    const message = describeApiError(error).message;
    options.logger.warn('lifecycle heartbeat failed', { error: message });
    return { action: HEARTBEAT, result: `failed: ${message}` };
  }
}

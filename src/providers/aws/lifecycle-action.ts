import {
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import type { LifecycleHookRef } from './machine.ts';

/**
 * The result reported to CompleteLifecycleAction: CONTINUE lets the termination go on; ABANDON also
 * terminates, for a terminate hook
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/completing-lifecycle-hooks.html).
 */
export type LifecycleActionResult = 'CONTINUE' | 'ABANDON';

/**
 * Lets Auto Scaling go on with the termination. 'already-completed' when the action is no longer
 * pending: completed by a duplicate delivery, or timed out.
 */
export async function completeLifecycleAction(
  client: AutoScalingClient,
  hook: LifecycleHookRef,
  result: LifecycleActionResult,
): Promise<'completed' | 'already-completed'> {
  try {
    await client.send(
      new CompleteLifecycleActionCommand({ ...hookParameters(hook), LifecycleActionResult: result }),
    );
    return 'completed';
  } catch (error) {
    if (isNoActiveLifecycleAction(error)) return 'already-completed';
    throw error;
  }
}

/** Extends the hook's timeout. 'inactive' when there is no pending action left to extend. */
export async function recordHeartbeat(
  client: AutoScalingClient,
  hook: LifecycleHookRef,
): Promise<'recorded' | 'inactive'> {
  try {
    await client.send(new RecordLifecycleActionHeartbeatCommand(hookParameters(hook)));
    return 'recorded';
  } catch (error) {
    if (isNoActiveLifecycleAction(error)) return 'inactive';
    throw error;
  }
}

/**
 * How often to record a heartbeat (ms, above 0, and below the hook's heartbeat timeout to be of use) and the
 * signal that stops it.
 */
export interface LifecycleHeartbeatOptions {
  intervalMs: number;
  signal: AbortSignal;
  /** A failed heartbeat (throttling, network) is retried at the next interval; this hears about it. */
  onError?: (error: unknown) => void;
}

/** Why heartbeats stopped: the drain ended (`aborted`) or Auto Scaling has no pending action (`inactive`). */
export type HeartbeatStopReason = 'aborted' | 'inactive';

/**
 * Records a heartbeat every intervalMs while a long drain runs, so the hook does not time out and let
 * the instance terminate early. Settles once the signal aborts or the action is gone; rejects only for
 * an intervalMs that is not positive (a programming error).
 */
export async function startLifecycleHeartbeat(
  client: AutoScalingClient,
  hook: LifecycleHookRef,
  { intervalMs, signal, onError }: LifecycleHeartbeatOptions,
): Promise<HeartbeatStopReason> {
  if (!(intervalMs > 0))
    throw new Error(`lifecycle heartbeat: intervalMs must be positive, got ${intervalMs}`);
  while (await sleep(intervalMs, signal)) {
    try {
      if ((await recordHeartbeat(client, hook)) === 'inactive') return 'inactive';
    } catch (error) {
      onError?.(error);
    }
  }
  return 'aborted';
}

function hookParameters(hook: LifecycleHookRef) {
  return {
    AutoScalingGroupName: hook.autoScalingGroupName,
    LifecycleHookName: hook.lifecycleHookName,
    InstanceId: hook.instanceId,
    ...(hook.lifecycleActionToken ? { LifecycleActionToken: hook.lifecycleActionToken } : {}),
  };
}

function isNoActiveLifecycleAction(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationError' &&
    /no active lifecycle action found/i.test(error.message)
  );
}

/** Resolves true after ms, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

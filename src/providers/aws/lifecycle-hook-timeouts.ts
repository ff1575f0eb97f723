/**
 * A lifecycle hook's own timeouts, read with DescribeLifecycleHooks once per cold start: how long Auto
 * Scaling waits between heartbeats before it acts (HeartbeatTimeout, 30–7200 s) and how long heartbeats
 * can hold the instance in all (GlobalTimeout: 100 × HeartbeatTimeout, at most 48 h).
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LifecycleHook.html
 */
import { type AutoScalingClient, DescribeLifecycleHooksCommand } from '@aws-sdk/client-auto-scaling';
import { createAsyncCache } from '../../async-cache.ts';
import type { LifecycleHookRef } from './machine.ts';

/** A hook's timeouts, in seconds. */
export interface LifecycleHookTimeouts {
  heartbeatTimeoutSeconds: number;
  globalTimeoutSeconds: number;
}

const timeouts = createAsyncCache<LifecycleHookTimeouts | undefined>();

/**
 * The timeouts of `hook`'s lifecycle hook; undefined when Auto Scaling does not know the hook (deleted
 * since). Rejects with the SDK's error (throttling, access denied): callers fall back to the setting.
 */
export function lifecycleHookTimeouts(
  client: AutoScalingClient,
  hook: Pick<LifecycleHookRef, 'autoScalingGroupName' | 'lifecycleHookName'>,
): Promise<LifecycleHookTimeouts | undefined> {
  return timeouts.get(`${hook.autoScalingGroupName}/${hook.lifecycleHookName}`, async () => {
    const output = await client.send(
      new DescribeLifecycleHooksCommand({
        AutoScalingGroupName: hook.autoScalingGroupName,
        LifecycleHookNames: [hook.lifecycleHookName],
      }),
    );
    const found = output.LifecycleHooks?.find(
      (candidate) => candidate.LifecycleHookName === hook.lifecycleHookName,
    );
    if (!found?.HeartbeatTimeout) return undefined;
    return {
      heartbeatTimeoutSeconds: found.HeartbeatTimeout,
      globalTimeoutSeconds: found.GlobalTimeout ?? Math.min(100 * found.HeartbeatTimeout, 172_800),
    };
  });
}

/** Forgets what was read (tests). */
export function clearLifecycleHookTimeouts(): void {
  timeouts.clear();
}

/** Heartbeats go out every third of the heartbeat timeout, and at least every 5 minutes. */
export function heartbeatIntervalMs(heartbeatTimeoutSeconds: number): number {
  return Math.min(300_000, (heartbeatTimeoutSeconds * 1000) / 3);
}

import { AutoScalingClient, DescribeLifecycleHooksCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import type { Interruption } from '../../events/interruption.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { LogFields, Logger } from '../../logging.ts';
import { clearLifecycleHookTimeouts, heartbeatIntervalMs } from './lifecycle-hook-timeouts.ts';
import { createAwsProvider } from './provider.ts';

const eventTime = new Date('2026-11-29T10:00:00Z');
const action: Interruption = {
  cloud: 'aws',
  kind: 'lifecycle-terminate',
  eventId: 'token-1',
  machine: { cloud: 'aws', instanceId: 'i-0a1b2c3d4e5f60718' },
  action: 'drain',
  eventTime,
  deadline: new Date(eventTime.getTime() + 3_600_000),
  details: {
    AutoScalingGroupName: 'workers-spot',
    LifecycleHookName: 'spot-drainer-terminate',
    LifecycleActionToken: 'token-1',
  },
};

function recordingLogger() {
  const warnings: Array<{ message: string; fields?: LogFields }> = [];
  const logger: Logger = {
    debug() {},
    info() {},
    error() {},
    warn: (message, fields) => warnings.push({ message, fields }),
  };
  return { logger, warnings };
}

describe('the lifecycle hook’s own timeout', () => {
  const autoScaling = mockClient(AutoScalingClient);
  afterEach(() => {
    autoScaling.reset();
    clearLifecycleHookTimeouts();
  });
  const provider = (cloudCalls = true) =>
    createAwsProvider({
      config: loadConfig({ SPOT_DRAINER_INSTANCE_LOOKUP: 'none' }),
      region: 'us-east-1',
      cloudCalls,
      clients: () => ({ autoScaling: new AutoScalingClient({ region: 'us-east-1' }) }) as never,
    });
  const resolve = (cloudCalls = true) => {
    const { logger, warnings } = recordingLogger();
    const cluster = { name: 'replayed', kube: {} as KubeClient };
    const connect = () => Promise.reject(new Error('not used'));
    return provider(cloudCalls)
      .resolveTarget(action, { logger, connect, cluster })
      .then((resolution) => ({ resolution, warnings }));
  };

  it('sets the deadline from the hook (DescribeLifecycleHooks, once per cold start) and warns when the setting disagrees', async () => {
    autoScaling.on(DescribeLifecycleHooksCommand).resolves({
      LifecycleHooks: [
        { LifecycleHookName: 'spot-drainer-terminate', HeartbeatTimeout: 300, GlobalTimeout: 30_000 },
      ],
    });
    const { resolution, warnings } = await resolve();
    expect(resolution).toMatchObject({
      status: 'target',
      target: { deadline: new Date('2026-11-29T10:05:00Z') },
    });
    expect(warnings).toEqual([
      expect.objectContaining({
        fields: { hook: 'spot-drainer-terminate', heartbeatTimeoutSeconds: 300, configuredSeconds: 3600 },
      }),
    ]);
    await resolve();
    expect(autoScaling.commandCalls(DescribeLifecycleHooksCommand)).toHaveLength(1);
    expect(autoScaling.commandCalls(DescribeLifecycleHooksCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'workers-spot',
      LifecycleHookNames: ['spot-drainer-terminate'],
    });
  });

  it('keeps the setting, with a warning, when the hook cannot be described', async () => {
    autoScaling
      .on(DescribeLifecycleHooksCommand)
      .rejects(new Error('User is not authorized to perform: autoscaling:DescribeLifecycleHooks'));
    const { resolution, warnings } = await resolve();
    expect(resolution.status === 'target' && resolution.target.deadline).toBeUndefined();
    expect(warnings.map((warning) => warning.message)).toEqual([
      'could not describe the lifecycle hook; its timeout is taken from the setting',
    ]);
  });

  it('makes no call without cloud calls (replay)', async () => {
    await resolve(false);
    expect(autoScaling.commandCalls(DescribeLifecycleHooksCommand)).toHaveLength(0);
  });

  it('heartbeats every third of the timeout, at least every 5 minutes', () => {
    expect(heartbeatIntervalMs(300)).toBe(100_000);
    expect(heartbeatIntervalMs(3600)).toBe(300_000);
  });
});

import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../logging.ts';
import { drainReport } from '../../notify/report.fixture.ts';
import type { Settlement } from '../provider.ts';
import { lifecycleDecision, lifecycleHooks } from './lifecycle-hooks.ts';
import type { LifecycleHookRef } from './machine.ts';

const hook: LifecycleHookRef = {
  autoScalingGroupName: 'workers-spot',
  lifecycleHookName: 'spot-drainer-terminate',
  lifecycleActionToken: 'c613620e-07e2-4ed2-a9e2-ef8258911ade',
  instanceId: 'i-0a1b2c3d4e5f60718',
};

const drained = (overrides: Parameters<typeof drainReport>[0]): Settlement => ({
  status: 'drained',
  report: drainReport(overrides),
});

describe('lifecycleDecision: every way out of the pipeline settles the lifecycle action', () => {
  it.each<[string, Settlement, 'complete' | 'retry' | 'hold' | 'heartbeat']>([
    [
      'handed to a continuation',
      { status: 'continued', report: drainReport({ outcome: 'partial', retryable: true }) },
      'heartbeat',
    ],
    ['drained', drained({ outcome: 'completed' }), 'complete'],
    ['drained as far as the deadline allowed', drained({ outcome: 'partial', retryable: false }), 'complete'],
    ['cut short by the function, retried', drained({ outcome: 'partial', retryable: true }), 'retry'],
    ['a drain that failed for good', drained({ outcome: 'failed', retryable: false }), 'hold'],
    ['no node for the instance', { status: 'node-gone' }, 'complete'],
    ['a failure the platform retries', { status: 'failed', retryable: true }, 'retry'],
    ['a failure nothing will retry', { status: 'failed', retryable: false }, 'hold'],
  ])('%s → %s', (_name, settlement, decision) => {
    expect(lifecycleDecision(settlement).decision).toBe(decision);
  });
});

describe('lifecycleHooks.settle', () => {
  const autoScaling = mockClient(AutoScalingClient);
  afterEach(() => autoScaling.reset());
  const client = () => new AutoScalingClient({ region: 'eu-west-1' });

  it('records a heartbeat, and does not complete, when a continuation goes on with the drain', async () => {
    const calls: string[] = [];
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).callsFake(() => {
      calls.push('heartbeat');
      return {};
    });
    autoScaling.on(CompleteLifecycleActionCommand).callsFake(() => {
      calls.push('complete');
      return {};
    });
    const hooks = lifecycleHooks(hook, {
      autoScaling: client,
      heartbeatIntervalMs: () => 1000,
      logger: silentLogger,
    });
    const action = await hooks.settle?.({ status: 'continued', report: drainReport({ retryable: true }) });
    expect(action).toEqual({
      action: 'RecordLifecycleActionHeartbeat',
      result: 'recorded: the drain goes on in a continuation',
    });
    expect(calls).toEqual(['heartbeat']);
  });

  it('completes with CONTINUE, once, when the node is gone', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});
    const hooks = lifecycleHooks(hook, {
      autoScaling: client,
      heartbeatIntervalMs: () => 1000,
      logger: silentLogger,
    });
    const action = await hooks.settle?.({ status: 'node-gone' });
    expect(action).toEqual({
      action: 'CompleteLifecycleAction',
      result: 'completed with CONTINUE: no node of this cluster names the instance',
    });
    const calls = autoScaling.commandCalls(CompleteLifecycleActionCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([
      {
        AutoScalingGroupName: 'workers-spot',
        LifecycleHookName: 'spot-drainer-terminate',
        InstanceId: 'i-0a1b2c3d4e5f60718',
        LifecycleActionToken: 'c613620e-07e2-4ed2-a9e2-ef8258911ade',
        LifecycleActionResult: 'CONTINUE',
      },
    ]);
  });

  it('says what it would do in a dry run or a replay without cloud calls, and calls nothing', async () => {
    for (const simulate of ['dry run', 'replay without --cloud-calls'] as const) {
      const hooks = lifecycleHooks(hook, {
        autoScaling: client,
        heartbeatIntervalMs: () => 1000,
        logger: silentLogger,
        simulate,
      });
      expect(hooks.duringDrain).toBeUndefined();
      expect((await hooks.settle?.(drained({ outcome: 'completed' })))?.result).toBe(
        `would complete with CONTINUE (${simulate}): drain completed`,
      );
    }
    expect(autoScaling.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(0);
  });

  it('returns a failure as its result instead of throwing', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).rejects(new Error('Rate exceeded'));
    const hooks = lifecycleHooks(hook, {
      autoScaling: client,
      heartbeatIntervalMs: () => 1000,
      logger: silentLogger,
    });
    expect(await hooks.settle?.({ status: 'node-gone' })).toEqual({
      action: 'CompleteLifecycleAction',
      result: 'failed: Rate exceeded',
    });
  });
});

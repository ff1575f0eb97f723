import {
  AutoScalingClient,
  AutoScalingServiceException,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { completeLifecycleAction, recordHeartbeat, startLifecycleHeartbeat } from './lifecycle-action.ts';
import type { LifecycleHookRef } from './machine.ts';

const autoScaling = mockClient(AutoScalingClient);
const client = new AutoScalingClient({ region: 'eu-west-1' });
const hook: LifecycleHookRef = {
  autoScalingGroupName: 'workers-spot',
  lifecycleHookName: 'drain-before-terminate',
  lifecycleActionToken: 'bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635',
  instanceId: 'i-0abc',
};

function validationError(message: string) {
  return new AutoScalingServiceException({
    name: 'ValidationError',
    $fault: 'client',
    $metadata: {},
    message,
  });
}
const noActiveAction = () => validationError('No active Lifecycle Action found with instance ID i-0abc');
const throttled = () =>
  new AutoScalingServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: {},
    message: 'Rate exceeded',
  });

beforeEach(() => {
  autoScaling.reset();
});

describe('completeLifecycleAction', () => {
  it('completes the action with the hook, instance, token and result', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});

    await expect(completeLifecycleAction(client, hook, 'CONTINUE')).resolves.toBe('completed');
    expect(autoScaling.commandCalls(CompleteLifecycleActionCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'workers-spot',
      LifecycleHookName: 'drain-before-terminate',
      InstanceId: 'i-0abc',
      LifecycleActionToken: 'bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635',
      LifecycleActionResult: 'CONTINUE',
    });
  });

  it('sends no token when the event carried none', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});
    const { lifecycleActionToken: _, ...withoutToken } = hook;

    await completeLifecycleAction(client, withoutToken, 'ABANDON');

    const input = autoScaling.commandCalls(CompleteLifecycleActionCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('LifecycleActionToken');
    expect(input?.LifecycleActionResult).toBe('ABANDON');
  });

  it('treats "No active Lifecycle Action found" as already completed', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).rejects(noActiveAction());

    await expect(completeLifecycleAction(client, hook, 'CONTINUE')).resolves.toBe('already-completed');
  });

  it('lets other validation errors propagate', async () => {
    autoScaling.on(CompleteLifecycleActionCommand).rejects(validationError('LifecycleHook not found'));

    await expect(completeLifecycleAction(client, hook, 'CONTINUE')).rejects.toThrow(
      'LifecycleHook not found',
    );
  });
});

describe('recordHeartbeat', () => {
  it('records a heartbeat for the hook', async () => {
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});

    await expect(recordHeartbeat(client, hook)).resolves.toBe('recorded');
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)[0]?.args[0].input).toMatchObject({
      AutoScalingGroupName: 'workers-spot',
      LifecycleHookName: 'drain-before-terminate',
      InstanceId: 'i-0abc',
    });
  });

  it('reports an action that is no longer pending as inactive', async () => {
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).rejects(noActiveAction());

    await expect(recordHeartbeat(client, hook)).resolves.toBe('inactive');
  });
});

describe('startLifecycleHeartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records a heartbeat every interval until aborted, then stops', async () => {
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const controller = new AbortController();

    const stopped = startLifecycleHeartbeat(client, hook, { intervalMs: 60_000, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(3);

    controller.abort();
    await expect(stopped).resolves.toBe('aborted');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(3);
  });

  it('keeps going after a failed heartbeat and reports the failure', async () => {
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).rejectsOnce(throttled()).resolves({});
    const controller = new AbortController();
    const onError = vi.fn();

    const stopped = startLifecycleHeartbeat(client, hook, {
      intervalMs: 1_000,
      signal: controller.signal,
      onError,
    });
    await vi.advanceTimersByTimeAsync(2_000);
    controller.abort();

    await expect(stopped).resolves.toBe('aborted');
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ name: 'Throttling' }));
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(2);
  });

  it('stops by itself once the lifecycle action is gone', async () => {
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolvesOnce({}).rejects(noActiveAction());

    const stopped = startLifecycleHeartbeat(client, hook, {
      intervalMs: 1_000,
      signal: new AbortController().signal,
    });
    await vi.advanceTimersByTimeAsync(5_000);

    await expect(stopped).resolves.toBe('inactive');
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(2);
  });

  it('records nothing when the signal is already aborted', async () => {
    await expect(
      startLifecycleHeartbeat(client, hook, { intervalMs: 1_000, signal: AbortSignal.abort() }),
    ).resolves.toBe('aborted');
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(0);
  });
});

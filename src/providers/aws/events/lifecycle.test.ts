import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  loadEvent,
  onlyInterruption,
  plusSeconds,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { lifecycleHookOf } from '../machine.ts';
import { lifecycleParser } from './lifecycle.ts';

const action = loadEvent('aws/asg-terminate-lifecycle-action.json');
const testNotification = loadEvent('aws/asg-test-notification.json');
const actionTime = dateAt(action, 'time');

describe('EC2 Instance-terminate Lifecycle Action', () => {
  it('drains the instance and carries the hook to complete, due when the hook times out', () => {
    expect(onlyInterruption(lifecycleParser.parse(action, context))).toStrictEqual({
      cloud: 'aws',
      kind: 'lifecycle-terminate',
      eventId: '87654321-4321-4321-4321-210987654321',
      eventTime: actionTime,
      account: '123456789012',
      region: 'us-east-1',
      machine: { cloud: 'aws', instanceId: 'i-0a1b2c3d4e5f60718' },
      action: 'drain',
      deadline: plusSeconds(actionTime, 3600),
      details: {
        AutoScalingGroupName: 'eks-spot-pool-a',
        LifecycleHookName: 'spot-drainer-terminate',
        LifecycleActionToken: '87654321-4321-4321-4321-210987654321',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      },
    });
  });

  it('carries the lifecycle action to complete in its details, for the AWS provider to read back', () => {
    expect(lifecycleHookOf(onlyInterruption(lifecycleParser.parse(action, context)))).toStrictEqual({
      autoScalingGroupName: 'eks-spot-pool-a',
      lifecycleHookName: 'spot-drainer-terminate',
      lifecycleActionToken: '87654321-4321-4321-4321-210987654321',
      instanceId: 'i-0a1b2c3d4e5f60718',
    });
  });

  it('runs the deadline from the configured hook timeout', () => {
    const shortHook = { ...context, options: { lifecycleHookTimeoutSeconds: 300 } };
    const interruption = onlyInterruption(lifecycleParser.parse(action, shortHook));
    expect(interruption.deadline).toEqual(plusSeconds(actionTime, 300));
  });

  it('recognises one lifecycle action delivered in two envelopes as one event', () => {
    const redelivered = withField(action, 'id', 'ffffffff-0000-4000-8000-000000000000');
    expect(onlyInterruption(lifecycleParser.parse(redelivered, context)).eventId).toBe(
      onlyInterruption(lifecycleParser.parse(action, context)).eventId,
    );
  });

  it('falls back to the envelope id when there is no token', () => {
    const withoutToken = withField(action, 'detail.LifecycleActionToken', undefined);
    const interruption = onlyInterruption(lifecycleParser.parse(withoutToken, context));
    expect(interruption.eventId).toBe('468fe059-f4b7-445f-bb22-2a8e8f5a2f1e');
    expect(lifecycleHookOf(interruption)).toStrictEqual({
      autoScalingGroupName: 'eks-spot-pool-a',
      lifecycleHookName: 'spot-drainer-terminate',
      instanceId: 'i-0a1b2c3d4e5f60718',
    });
  });

  it('ignores the test notification Auto Scaling sends when a hook is set up', () => {
    expect(lifecycleParser.parse(testNotification, context)).toEqual({
      status: 'ignored',
      reason: 'Auto Scaling test notification',
    });
  });

  it('ignores a message that names no instance', () => {
    const noInstance = withField(action, 'detail.EC2InstanceId', undefined);
    expect(lifecycleParser.parse(noInstance, context)).toEqual({
      status: 'ignored',
      reason: 'lifecycle message names no instance',
    });
  });

  it.each([
    [
      'a bad instance id',
      'detail.EC2InstanceId',
      'i-0a1b2c3d4e5f6071',
      'detail.EC2InstanceId: expected an EC2 instance id',
    ],
    [
      'a null instance id',
      'detail.EC2InstanceId',
      null,
      'detail.EC2InstanceId: expected string, received null',
    ],
    ['a missing hook name', 'detail.LifecycleHookName', undefined, 'detail.LifecycleHookName: required'],
    [
      'an empty group name',
      'detail.AutoScalingGroupName',
      '',
      'detail.AutoScalingGroupName: expected a non-empty string',
    ],
    [
      'a numeric token',
      'detail.LifecycleActionToken',
      87654321,
      'detail.LifecycleActionToken: expected string, received number',
    ],
    ['a numeric Event', 'detail.Event', 1, 'detail.Event: expected string, received number'],
  ])('rejects %s', (_case, path, value, reason) => {
    expect(lifecycleParser.parse(withField(action, path, value), context)).toEqual({
      status: 'invalid',
      reason,
    });
  });
});

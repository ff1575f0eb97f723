import { resolveParseOptions } from '../../../events/options.ts';
import type { EventParser } from '../../../events/parser.ts';
import { found, ignored, invalid } from '../../../events/results.ts';
import { addSeconds } from '../../../events/time.ts';
import { nonEmptyString, validate } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';
import { ec2Machine, LIFECYCLE_DETAILS } from '../machine.ts';
import { awsEvent, envelopeFacts, instanceId } from './envelope.ts';

const TEST_NOTIFICATION = 'autoscaling:TEST_NOTIFICATION';

/** Just enough to tell a test notification, or a message about no instance, from a lifecycle action. */
const lifecycleMessage = awsEvent(
  z.object({
    Event: z.optional(z.string()),
    EC2InstanceId: z.optional(z.unknown()),
  }),
);

const terminateLifecycleAction = awsEvent(
  z.object({
    EC2InstanceId: instanceId,
    AutoScalingGroupName: nonEmptyString,
    LifecycleHookName: nonEmptyString,
    LifecycleActionToken: z.optional(nonEmptyString),
    LifecycleTransition: z.optional(z.string()),
  }),
);

/**
 * Auto Scaling `EC2 Instance-terminate Lifecycle Action` events
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/automating-ec2-auto-scaling-with-eventbridge.html):
 * drain by the event time + the hook's heartbeat timeout (`lifecycleHookTimeoutSeconds`, seconds). The group,
 * hook and token go into details for CompleteLifecycleAction; the token, when present, is the event id, so
 * the same action in another envelope is a duplicate. Test notifications and messages naming no instance
 * are ignored.
 */
export const lifecycleParser: EventParser = {
  source: 'aws.autoscaling',
  types: ['EC2 Instance-terminate Lifecycle Action'],
  parse(event, context) {
    const message = validate(lifecycleMessage, event);
    if (!message.ok) return invalid(message.reason);
    if (message.value.detail.Event === TEST_NOTIFICATION) return ignored('Auto Scaling test notification');
    if (message.value.detail.EC2InstanceId === undefined)
      return ignored('lifecycle message names no instance');

    const parsed = validate(terminateLifecycleAction, event);
    if (!parsed.ok) return invalid(parsed.reason);
    const envelope = parsed.value;
    const { detail } = envelope;
    const hookTimeoutSeconds = resolveParseOptions(context.options).lifecycleHookTimeoutSeconds;
    return found([
      {
        ...envelopeFacts(envelope),
        // The token names the lifecycle action itself, while the envelope id names one delivery of it:
        // keyed on the token, the same action arriving in a second envelope (another rule, a replay from
        // an archive) is still recognised as a duplicate.
        eventId: detail.LifecycleActionToken ?? envelope.id,
        kind: 'lifecycle-terminate',
        machine: ec2Machine(detail.EC2InstanceId),
        action: 'drain',
        // Auto Scaling terminates the instance once the hook times out unless it is heartbeaten.
        deadline: addSeconds(envelope.time, hookTimeoutSeconds),
        // The provider completes the action from these (lifecycleHookOf in ../machine.ts).
        details: {
          [LIFECYCLE_DETAILS.group]: detail.AutoScalingGroupName,
          [LIFECYCLE_DETAILS.hook]: detail.LifecycleHookName,
          ...(detail.LifecycleActionToken !== undefined && {
            [LIFECYCLE_DETAILS.token]: detail.LifecycleActionToken,
          }),
          ...(detail.LifecycleTransition !== undefined && {
            LifecycleTransition: detail.LifecycleTransition,
          }),
        },
      },
    ]);
  },
};

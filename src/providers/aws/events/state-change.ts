import type { DrainAction } from '../../../events/interruption.ts';
import type { EventParser } from '../../../events/parser.ts';
import { found, ignored, invalid } from '../../../events/results.ts';
import { validate } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';
import { ec2Machine } from '../machine.ts';
import { awsEvent, envelopeFacts, instanceId } from './envelope.ts';

/** A stopping instance can still be drained; a stopped or terminated one is gone, its pods with it. */
const ACTION_BY_STATE: ReadonlyMap<string, DrainAction> = new Map([
  ['stopping', 'drain'],
  ['shutting-down', 'drain'],
  ['stopped', 'cleanup'],
  ['terminated', 'cleanup'],
]);

const stateOnly = awsEvent(z.object({ state: z.string() }));
const stateChange = awsEvent(z.object({ 'instance-id': instanceId, state: z.string() }));

/**
 * `EC2 Instance State-change Notification`
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html): `stopping`
 * and `shutting-down` drain, `stopped` and `terminated` clean up, all with the deadline `now`; other states
 * are ignored.
 */
export const stateChangeParser: EventParser = {
  source: 'aws.ec2',
  types: ['EC2 Instance State-change Notification'],
  parse(event, context) {
    const withState = validate(stateOnly, event);
    if (!withState.ok) return invalid(withState.reason);
    const state = withState.value.detail.state;
    const action = ACTION_BY_STATE.get(state);
    if (!action) return ignored(`EC2 instance state "${state}" needs no action`);

    const parsed = validate(stateChange, event);
    if (!parsed.ok) return invalid(parsed.reason);
    const envelope = parsed.value;
    return found([
      {
        ...envelopeFacts(envelope),
        kind: 'instance-state-change',
        machine: ec2Machine(envelope.detail['instance-id']),
        action,
        // The instance is already on its way down: whatever lead time there was has passed.
        deadline: context.now,
        details: { state },
      },
    ]);
  },
};

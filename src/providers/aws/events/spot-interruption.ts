import type { EventParser } from '../../../events/parser.ts';
import { found, invalid } from '../../../events/results.ts';
import { addSeconds } from '../../../events/time.ts';
import { validate } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';
import { ec2Machine } from '../machine.ts';
import { awsEvent, EC2_INTERRUPTION_NOTICE_SECONDS, envelopeFacts, instanceId } from './envelope.ts';

const spotInterruptionWarning = awsEvent(
  z.object({
    'instance-id': instanceId,
    'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
  }),
);

/**
 * `EC2 Spot Instance Interruption Warning`
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html): drain, by the
 * event time + 120 s for `terminate` and `stop`, by the event time itself for `hibernate`.
 */
export const spotInterruptionParser: EventParser = {
  source: 'aws.ec2',
  types: ['EC2 Spot Instance Interruption Warning'],
  parse(event) {
    const parsed = validate(spotInterruptionWarning, event);
    if (!parsed.ok) return invalid(parsed.reason);
    const envelope = parsed.value;
    const instanceAction = envelope.detail['instance-action'];
    // Hibernation starts as soon as the warning is sent; stop and terminate wait the two minutes.
    const noticeSeconds = instanceAction === 'hibernate' ? 0 : EC2_INTERRUPTION_NOTICE_SECONDS;
    return found([
      {
        ...envelopeFacts(envelope),
        kind: 'spot-interruption',
        machine: ec2Machine(envelope.detail['instance-id']),
        action: 'drain',
        deadline: addSeconds(envelope.time, noticeSeconds),
        details: { 'instance-action': instanceAction },
      },
    ]);
  },
};

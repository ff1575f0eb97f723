import type { EventParser } from '../../../events/parser.ts';
import { found, invalid } from '../../../events/results.ts';
import { addSeconds, parseTimestamp } from '../../../events/time.ts';
import { validate } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';
import { ec2Machine } from '../machine.ts';
import { awsEvent, EC2_INTERRUPTION_NOTICE_SECONDS, envelopeFacts, instanceId } from './envelope.ts';

const capacityReservationInterruption = awsEvent(
  z.object({
    'instance-id': instanceId,
    'instance-action': z.optional(z.string()),
    // The warning may carry its own termination time (and the zone id); it is the deadline when present.
    'instance-termination-time': z.optional(z.string()),
    azId: z.optional(z.string()),
  }),
);

/**
 * `aws.ec2` interruption warnings for instances in an interruptible Capacity Reservation that the owner
 * reclaims: drain, deadline the event time + 120 s as for spot; the `instance-action` is kept in details.
 * Both detail-type spellings AWS has documented are accepted.
 */
export const capacityReservationParser: EventParser = {
  source: 'aws.ec2',
  // AWS documents both spellings of the detail-type.
  types: [
    'EC2 Capacity Reservation Instance Interruption Warning',
    'EC2 Interruptible Capacity Reservation Instance Interruption Warning',
  ],
  parse(event) {
    const parsed = validate(capacityReservationInterruption, event);
    if (!parsed.ok) return invalid(parsed.reason);
    const envelope = parsed.value;
    const instanceAction = envelope.detail['instance-action'];
    const { azId } = envelope.detail;
    // An unreadable termination time falls back to the two-minute notice rather than losing the drain.
    const terminationTime = parseTimestamp(envelope.detail['instance-termination-time'] ?? '');
    return found([
      {
        ...envelopeFacts(envelope),
        kind: 'capacity-reservation-interruption',
        machine: ec2Machine(envelope.detail['instance-id']),
        action: 'drain',
        deadline: terminationTime ?? addSeconds(envelope.time, EC2_INTERRUPTION_NOTICE_SECONDS),
        details: {
          ...(instanceAction !== undefined && { 'instance-action': instanceAction }),
          ...(azId !== undefined && { azId }),
        },
      },
    ]);
  },
};

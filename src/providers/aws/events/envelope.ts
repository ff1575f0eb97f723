import type { Interruption } from '../../../events/interruption.ts';
import type { EnvelopeFormat } from '../../../events/parser.ts';
import { timestamp } from '../../../events/time.ts';
import { nonEmptyString } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';

const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** Schema of an EC2 instance id field (`i-` and 8 or 17 lower-case hex digits); the issue names the field. */
export const instanceId = z.string().check(z.regex(INSTANCE_ID, 'expected an EC2 instance id'));

/** Whether `value` is an EC2 instance id: `i-` and 8 or 17 lower-case hex digits. */
export function isInstanceId(value: string): boolean {
  return INSTANCE_ID.test(value);
}

/** The EventBridge envelope around `detail`; source and detail-type were matched by the registry. */
export function awsEvent<D extends z.core.$ZodType>(detail: D) {
  return z.object({
    id: nonEmptyString,
    source: z.string(),
    'detail-type': z.string(),
    time: timestamp,
    account: z.optional(z.string()),
    region: z.optional(z.string()),
    detail,
  });
}

/**
 * The envelope fields of an EventBridge event an interruption keeps (`id`, `time` parsed to a Date,
 * `account`, `region`); see
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html.
 */
export interface AwsEnvelope {
  id: string;
  time: Date;
  account?: string | undefined;
  region?: string | undefined;
}

/** The fields every AWS interruption takes from the envelope. */
export function envelopeFacts(
  envelope: AwsEnvelope,
): Pick<Interruption, 'cloud' | 'eventId' | 'eventTime' | 'account' | 'region'> {
  return {
    cloud: 'aws',
    eventId: envelope.id,
    eventTime: envelope.time,
    ...(envelope.account !== undefined && { account: envelope.account }),
    ...(envelope.region !== undefined && { region: envelope.region }),
  };
}

/** EventBridge: events are routed by `source` and `detail-type`. */
export const eventBridgeEnvelope: EnvelopeFormat = {
  name: 'detail-type (EventBridge)',
  address(event) {
    if (!('detail-type' in event)) return undefined;
    const { source, 'detail-type': detailType } = event;
    if (typeof source !== 'string' || typeof detailType !== 'string') {
      return 'EventBridge event without a string source and detail-type';
    }
    return { source, type: detailType };
  },
};

/** EC2 interruption warnings (spot, interruptible capacity reservations) come two minutes ahead. */
export const EC2_INTERRUPTION_NOTICE_SECONDS = 120;

import { resolveParseOptions } from '../../../events/options.ts';
import type { EventParser } from '../../../events/parser.ts';
import { found, invalid } from '../../../events/results.ts';
import { validate } from '../../../events/validation.ts';
import * as z from '../../../zod.ts';
import { ec2Machine } from '../machine.ts';
import { awsEvent, envelopeFacts, instanceId } from './envelope.ts';

const rebalanceRecommendation = awsEvent(z.object({ 'instance-id': instanceId }));

/** A raised risk of interruption, not a notice: there is no deadline. */
export const rebalanceParser: EventParser = {
  source: 'aws.ec2',
  types: ['EC2 Instance Rebalance Recommendation'],
  parse(event, context) {
    const parsed = validate(rebalanceRecommendation, event);
    if (!parsed.ok) return invalid(parsed.reason);
    const envelope = parsed.value;
    return found([
      {
        ...envelopeFacts(envelope),
        kind: 'rebalance-recommendation',
        machine: ec2Machine(envelope.detail['instance-id']),
        action: resolveParseOptions(context.options).rebalanceAction,
        details: {},
      },
    ]);
  },
};

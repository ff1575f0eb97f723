import type { EventParser } from '../../../events/parser.ts';
import { found, ignored, invalid } from '../../../events/results.ts';
import { addSeconds } from '../../../events/time.ts';
import * as z from '../../../zod.ts';
import { envelopeFacts, readAzureEvent, readData } from './envelope.ts';
import { accountOf, resolveMachine } from './machine.ts';

const SIMULATE_EVICTION_OPERATIONS = new Set([
  'microsoft.compute/virtualmachinescalesets/virtualmachines/simulateeviction/action',
  'microsoft.compute/virtualmachines/simulateeviction/action',
]);

/** Azure evicts the VM about 30 s after simulateEviction succeeds. */
const EVICTION_DELAY_SECONDS = 30;

const resourceActionData = z.object({
  operationName: z.string(),
  resourceUri: z.optional(z.string()),
  authorization: z.optional(z.object({ scope: z.optional(z.string()) })),
});

/** How operators rehearse spot handling; every other resource action in the subscription is not ours. */
export const simulateEvictionParser: EventParser = {
  source: '*',
  types: ['Microsoft.Resources.ResourceActionSuccess'],
  parse(event) {
    const envelope = readAzureEvent(event);
    if (!envelope.ok) return invalid(envelope.reason);
    const data = readData(envelope.value, resourceActionData);
    if (!data.ok) return invalid(data.reason);
    const { operationName, resourceUri, authorization } = data.value;
    if (!SIMULATE_EVICTION_OPERATIONS.has(operationName.toLowerCase())) {
      return ignored(`resource action "${operationName}" is not a simulated eviction`);
    }

    const target = resolveMachine([
      { field: 'data.resourceUri', value: resourceUri },
      { field: 'data.authorization.scope', value: authorization?.scope },
      { field: 'subject', value: envelope.value.subject },
    ]);
    if (!target.ok) return invalid(target.reason);
    return found([
      {
        ...envelopeFacts(envelope.value),
        ...accountOf(target.vm),
        kind: 'simulated-eviction',
        machine: target.machine,
        action: 'drain',
        deadline: addSeconds(envelope.value.time, EVICTION_DELAY_SECONDS),
        details: { operationName },
      },
    ]);
  },
};

/** Sample events for the integration tests: any fixture under test/fixtures/events, retargeted. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { retargetAwsEvent } from '../../src/local-cluster/sample-events.ts';

export { azureScheduledEvent } from '../../src/local-cluster/sample-events.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'events');

/** A sample event with its time set to now and its machine replaced, as if the cloud had just sent it. */
export function awsEvent(file: string, instanceId: string, time = new Date()): Record<string, unknown> {
  return retargetAwsEvent(JSON.parse(readFileSync(join(fixtures, 'aws', file), 'utf8')), instanceId, time);
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'events');

/** A sample event with its time set to now and its machine replaced, as if the cloud had just sent it. */
export function awsEvent(file: string, instanceId: string, time = new Date()): Record<string, unknown> {
  const text = readFileSync(join(fixtures, 'aws', file), 'utf8');
  const sample = JSON.parse(text) as { detail: Record<string, unknown> };
  const original = (sample.detail['instance-id'] ?? sample.detail.EC2InstanceId) as string;
  const event = JSON.parse(text.replaceAll(original, instanceId)) as Record<string, unknown>;
  event.time = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  event.id = crypto.randomUUID();
  return event;
}

export function azureEventText(file: string): string {
  return readFileSync(join(fixtures, 'azure', file), 'utf8');
}

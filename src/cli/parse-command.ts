import type { Interruption } from '../events/interruption.ts';
import type { ParseResult } from '../events/parser.ts';
import { parseEvents } from '../events/registry.ts';
import { expectedProviderId } from '../kube/provider-id.ts';
import { readEventJson } from './input.ts';

export function describeInterruption(interruption: Interruption) {
  return {
    cloud: interruption.cloud,
    kind: interruption.kind,
    action: interruption.action,
    eventId: interruption.eventId,
    eventTime: interruption.eventTime.toISOString(),
    deadline: interruption.deadline?.toISOString() ?? null,
    machine: interruption.machine,
    expectedProviderId: expectedProviderId(interruption.machine),
    details: interruption.details,
    ...(interruption.lifecycleHook ? { lifecycleHook: interruption.lifecycleHook } : {}),
  };
}

export interface CommandOutput {
  code: number;
  stdout?: string;
  stderr?: string;
}

/** `spot-drainer parse <event.json | ->`: the normalized interruptions, or why the event is not acted on. */
export async function parseCommand(path: string | undefined, now = new Date()): Promise<CommandOutput> {
  const body = await readEventJson(path);
  const results: ParseResult[] = parseEvents(body, { now });
  const invalid = results.filter((result) => result.status === 'invalid');
  if (invalid.length > 0 && results.every((result) => result.status !== 'interruptions')) {
    return { code: 2, stderr: `unusable event: ${invalid.map((result) => result.reason).join('; ')}` };
  }
  const interruptions = results.flatMap((result) =>
    result.status === 'interruptions' ? result.interruptions : [],
  );
  if (interruptions.length === 0) {
    const reasons = results.flatMap((result) => (result.status === 'interruptions' ? [] : [result.reason]));
    return { code: 0, stdout: JSON.stringify({ status: 'ignored', reasons }, null, 2) };
  }
  const skipped = results.flatMap((result) => (result.status === 'interruptions' ? [] : [result.reason]));
  return {
    code: 0,
    stdout: JSON.stringify(
      {
        status: 'interruptions',
        interruptions: interruptions.map(describeInterruption),
        ...(skipped.length ? { skipped } : {}),
      },
      null,
      2,
    ),
  };
}

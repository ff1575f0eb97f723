import { loadConfig } from '../config.ts';
import type { Interruption } from '../events/interruption.ts';
import type { ParseResult } from '../events/parser.ts';
import { createPipeline, type Pipeline } from '../pipeline/handle-delivery.ts';
import { allProviders } from '../providers/all.ts';
import { readEventJson } from './input.ts';

/** An interruption as `parse` and `replay --json` print it: dates as ISO strings, with the provider id its node must carry. */
export function describeInterruption(interruption: Interruption, pipeline: Pipeline) {
  const provider = pipeline.providerFor(interruption.cloud);
  return {
    cloud: interruption.cloud,
    kind: interruption.kind,
    action: interruption.action,
    eventId: interruption.eventId,
    eventTime: interruption.eventTime.toISOString(),
    deadline: interruption.deadline?.toISOString() ?? null,
    machine: interruption.machine,
    expectedProviderId: provider?.expectedProviderId(interruption.machine) ?? null,
    details: interruption.details,
  };
}

/** What a command prints and its exit code. */
export interface CommandOutput {
  code: number;
  stdout?: string;
  stderr?: string;
}

/** `spot-drainer parse <event.json | ->`: the normalized interruptions, or why the event is not acted on. */
export async function parseCommand(path: string | undefined, now = new Date()): Promise<CommandOutput> {
  const body = await readEventJson(path);
  const config = loadConfig();
  const pipeline = createPipeline(allProviders(config, { cloudCalls: false }));
  const results: ParseResult[] = pipeline.registry.parseEvents(body, { now, options: config });
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
        interruptions: interruptions.map((interruption) => describeInterruption(interruption, pipeline)),
        ...(skipped.length ? { skipped } : {}),
      },
      null,
      2,
    ),
  };
}

import { loadConfig } from '../config.ts';
import type { Interruption } from '../events/interruption.ts';
import type { ParseResult } from '../events/parser.ts';
import { createPipeline, type Pipeline } from '../pipeline/handle-delivery.ts';
import { allProviders } from '../providers/all.ts';
import { readEventFiles } from './input.ts';

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

/** The reasons of the results that are not interruptions, by status. */
export function notActedOn(results: readonly ParseResult[]): { invalid: string[]; ignored: string[] } {
  const reasons = (status: 'invalid' | 'ignored') =>
    results.flatMap((result) => (result.status === status ? [result.reason] : []));
  return { invalid: reasons('invalid'), ignored: reasons('ignored') };
}

/**
 * `spot-drainer parse <event.json | -> [more.json ...]`: the normalized interruptions, or why the events
 * are not acted on. Malformed events are listed as `invalid`, valid ones that are not ours as `ignored`.
 */
export async function parseCommand(paths: readonly string[], now = new Date()): Promise<CommandOutput> {
  const body = await readEventFiles(paths);
  const config = loadConfig();
  const pipeline = createPipeline(allProviders(config, { cloudCalls: false }));
  const results: ParseResult[] = pipeline.registry.parseEvents(body, { now, options: config });
  const { invalid, ignored } = notActedOn(results);
  const interruptions = results.flatMap((result) =>
    result.status === 'interruptions' ? result.interruptions : [],
  );
  if (interruptions.length === 0 && invalid.length > 0) {
    return { code: 2, stderr: `unusable event: ${invalid.join('; ')}` };
  }
  if (interruptions.length === 0) {
    return { code: 0, stdout: JSON.stringify({ status: 'ignored', reasons: ignored }, null, 2) };
  }
  return {
    code: 0,
    stdout: JSON.stringify(
      {
        status: 'interruptions',
        interruptions: interruptions.map((interruption) => describeInterruption(interruption, pipeline)),
        ...(invalid.length ? { invalid } : {}),
        ...(ignored.length ? { ignored } : {}),
      },
      null,
      2,
    ),
    ...(invalid.length ? { stderr: `${invalid.length} invalid event(s): ${invalid.join('; ')}` } : {}),
  };
}

/**
 * `spot-drainer replay <event.json>`: the pipeline a cloud function runs (the same code), against the
 * cluster of a kubeconfig context. The node is resolved by provider id; by default no cloud API is
 * called, and what the function would do about cloud obligations (a lifecycle action) is reported
 * instead; `--cloud-calls` makes the calls with the SDKs' own credentials and endpoints.
 */
import { loadConfig } from '../config.ts';
import type { Interruption } from '../events/interruption.ts';
import type { ParseResult } from '../events/parser.ts';
import type { KubeClient } from '../kube/client.ts';
import { type Logger, silentLogger } from '../logging.ts';
import { createNotifier } from '../notify/notifier.ts';
import { createSecretTextResolver, createSecretUrlResolver } from '../notify/secret-url.ts';
import { createPipeline, type Pipeline } from '../pipeline/handle-delivery.ts';
import { reportSink } from '../pipeline/report-sink.ts';
import type { InterruptionResult } from '../pipeline/results.ts';
import { allProviders } from '../providers/all.ts';
import { checkWrites, plannedWrites } from './access-check.ts';
import { readEventFiles } from './input.ts';
import { checkConnection, kubeClientFor, loadKubeconfig } from './kubeconfig-file.ts';
import { type CommandOutput, notActedOn } from './parse-command.ts';
import { terminalProgress } from './progress.ts';
import { REPLAY_EXIT, type ReplayResult, replayExitCode, replayHumanOutput } from './replay-output.ts';

/** The flags of `spot-drainer replay`. */
export interface ReplayOptions {
  /** The event files, read as one delivery (`-` for standard input). */
  files: readonly string[];
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
  json: boolean;
  /** When the event is taken to arrive; deadlines keep their distance from it. */
  now?: Date;
  /** Call the clouds' APIs (DescribeInstances, CompleteLifecycleAction) as the function would. */
  cloudCalls?: boolean;
  /** Notify even a dry run or a duplicate (Slack, webhook); otherwise only as the function would. */
  notify?: boolean;
  /** Act on an event whose deadline has passed (or that is dated in the future) without --now. */
  force?: boolean;
}

/** An event dated this far ahead of the clock is taken to be a sample, not a real delivery. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Why acting on these interruptions now would surprise the user, or undefined: a deadline that has
 * passed (the function would delete the pods at once, as for a machine already gone), or an event dated
 * in the future (a sample). Pure.
 */
export function staleReason(interruptions: readonly Interruption[], nowMs: number): string | undefined {
  for (const interruption of interruptions) {
    const deadline = interruption.deadline?.getTime();
    const what = `event ${interruption.eventId} (${interruption.kind})`;
    if (deadline !== undefined && deadline < nowMs) {
      const ago = Math.round((nowMs - deadline) / 60_000);
      return `${what}: its deadline ${interruption.deadline?.toISOString()} passed ${ago} min ago, so the function would clean the node up at once (delete its pods)`;
    }
    if (interruption.eventTime.getTime() > nowMs + FUTURE_TOLERANCE_MS) {
      return `${what} is dated ${interruption.eventTime.toISOString()}, in the future`;
    }
  }
  return undefined;
}

/** Replay `--now`: every deadline moves by the same amount, keeping its distance from the event. */
function retimer(now: Date | undefined): ((interruption: Interruption) => Interruption) | undefined {
  if (!now) return undefined;
  const shift = Date.now() - now.getTime();
  return (interruption) => ({
    ...interruption,
    deadline: interruption.deadline && new Date(interruption.deadline.getTime() + shift),
  });
}

function firstEventTime(parsed: readonly ParseResult[]): string {
  for (const result of parsed) {
    if (result.status === 'interruptions' && result.interruptions[0])
      return result.interruptions[0].eventTime.toISOString();
  }
  return new Date().toISOString();
}

function toReplayResult(result: InterruptionResult, pipeline: Pipeline): ReplayResult {
  const provider = pipeline.providerFor(result.interruption.cloud);
  const machine = provider?.expectedProviderId(result.interruption.machine) ?? result.interruption.cloud;
  const common = { machine, cloudActions: result.cloudActions };
  // `continued` needs a continuation queue, which replay never has; read as handled all the same.
  if (result.status === 'handled' || result.status === 'continued')
    return { ...common, status: 'handled', report: result.report };
  if (result.status === 'skipped') return { ...common, status: 'skipped', reason: result.reason };
  return { ...common, status: 'failed', reason: result.reason, retryable: result.retryable };
}

/** A dry run's handled results, each with the writes its real run would make that would be refused. */
async function withAccessChecks(results: ReplayResult[], kube: KubeClient): Promise<ReplayResult[]> {
  return Promise.all(
    results.map(async (result) => {
      if (result.status !== 'handled' || !result.report.dryRun) return result;
      const checks = await checkWrites(kube, plannedWrites(result.report));
      return { ...result, refused: checks.filter((check) => !check.allowed) };
    }),
  );
}

/** Parses the delivery; the output when nothing in it is to be acted on, or the stale-event refusal. */
function screen(
  parsed: readonly ParseResult[],
  options: ReplayOptions,
  now: Date,
  dryRun: boolean,
): CommandOutput | undefined {
  const { invalid, ignored } = notActedOn(parsed);
  if (!parsed.some((result) => result.status === 'interruptions')) {
    return invalid.length > 0
      ? { code: REPLAY_EXIT.usage, stderr: `unusable event: ${invalid.join('; ')}` }
      : { code: 0, stdout: `ignored: ${ignored.join('; ')}` };
  }
  const stale =
    options.now || options.force || dryRun
      ? undefined
      : staleReason(
          parsed.flatMap((result) => (result.status === 'interruptions' ? result.interruptions : [])),
          now.getTime(),
        );
  if (!stale) return undefined;
  return {
    code: REPLAY_EXIT.usage,
    stderr: `${stale}. Nothing was written. Replay it as if it arrived on time with --now <event time> (for example --now ${firstEventTime(parsed)}), look first with --dry-run, or act anyway with --force.`,
  };
}

/**
 * Runs the replay. Throws UsageError for unreadable files, KubeconfigError for an unusable kubeconfig or
 * an unreachable cluster; everything the pipeline finds comes back in the output and the exit code (see
 * replayExitCode).
 */
export async function replayCommand(
  options: ReplayOptions,
  logger: Logger = silentLogger,
): Promise<CommandOutput> {
  const body = await readEventFiles(options.files);
  const config = loadConfig();
  const settings = { ...config, dryRun: options.dryRun || config.dryRun };
  const pipeline = createPipeline(allProviders(config, { cloudCalls: options.cloudCalls ?? false }));
  const now = options.now ?? new Date();
  const parsed = pipeline.registry.parseEvents(body, { now, options: config });
  const screened = screen(parsed, options, now, settings.dryRun);
  if (screened) return screened;
  const loaded = loadKubeconfig(options.kubeconfig, options.context);
  const kube = kubeClientFor(loaded);
  const readers = Object.assign({}, ...pipeline.providers.map((provider) => provider.secretReaders));
  const notifier = createNotifier(config, {
    logger,
    resolveUrl: createSecretUrlResolver({ readers }),
    resolveText: createSecretTextResolver({ readers }),
  });
  const progress = !options.json && process.stderr.isTTY;
  try {
    await checkConnection(kube, loaded);
    const outcome = await pipeline.handleDelivery(body, {
      logger,
      settings,
      parseOptions: config,
      now: () => now,
      retime: retimer(options.now),
      cluster: { name: loaded.context, kube },
      onReport: reportSink(notifier, undefined, logger, { forceNotify: options.notify }),
      onProgress: progress
        ? (update, interruption) => terminalProgress(process.stderr, () => interruption.deadline)(update)
        : undefined,
    });
    const results = await withAccessChecks(
      outcome.results.map((result) => toReplayResult(result, pipeline)),
      kube,
    );
    const { invalid } = notActedOn(parsed);
    return {
      code: replayExitCode(results),
      stdout: options.json ? JSON.stringify(results, null, 2) : replayHumanOutput(results),
      ...(invalid.length
        ? { stderr: `${invalid.length} invalid event(s) not handled: ${invalid.join('; ')}` }
        : {}),
    };
  } finally {
    await kube.close();
  }
}

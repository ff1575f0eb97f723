/**
 * `spot-drainer replay <event.json>`: the pipeline a cloud function runs (the same code), against the
 * cluster of a kubeconfig context. The node is resolved by provider id; by default no cloud API is
 * called, and what the function would do about cloud obligations (a lifecycle action) is reported
 * instead; `--cloud-calls` makes the calls with the SDKs' own credentials and endpoints.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../config.ts';
import type { Interruption } from '../events/interruption.ts';
import { createKubeClient } from '../kube/client.ts';
import { clusterAccessFromKubeconfig, kubeconfigEntry } from '../kube/kubeconfig.ts';
import { type Logger, silentLogger } from '../logging.ts';
import { createNotifier } from '../notify/notifier.ts';
import { createSecretUrlResolver } from '../notify/secret-url.ts';
import { createPipeline, type Pipeline } from '../pipeline/handle-delivery.ts';
import { reportSink } from '../pipeline/report-sink.ts';
import type { InterruptionResult } from '../pipeline/results.ts';
import { allProviders } from '../providers/all.ts';
import { execToken } from './exec-token.ts';
import { readEventJson, UsageError } from './input.ts';
import type { CommandOutput } from './parse-command.ts';
import { terminalProgress } from './progress.ts';
import { type ReplayResult, replayExitCode, replaySummaryLine } from './replay-output.ts';

/** The flags of `spot-drainer replay`. */
export interface ReplayOptions {
  file: string | undefined;
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
}

function kubeconfigPath(explicit: string | undefined): string {
  return explicit ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
}

function readKubeconfig(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read kubeconfig ${path}: ${(error as Error).message}`);
  }
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

function toReplayResult(result: InterruptionResult, pipeline: Pipeline): ReplayResult {
  const provider = pipeline.providerFor(result.interruption.cloud);
  const machine = provider?.expectedProviderId(result.interruption.machine) ?? result.interruption.cloud;
  const common = { machine, cloudActions: result.cloudActions };
  if (result.status === 'handled') return { ...common, status: 'handled', report: result.report };
  if (result.status === 'skipped') return { ...common, status: 'skipped', reason: result.reason };
  return { ...common, status: 'failed', reason: result.reason, retryable: result.retryable };
}

/**
 * Runs the replay. Throws UsageError for an unreadable file or kubeconfig; everything the pipeline finds
 * comes back in the output and the exit code (see replayExitCode).
 */
export async function replayCommand(
  options: ReplayOptions,
  logger: Logger = silentLogger,
): Promise<CommandOutput> {
  const body = await readEventJson(options.file);
  const config = loadConfig();
  const settings = { ...config, dryRun: options.dryRun || config.dryRun };
  const pipeline = createPipeline(allProviders(config, { cloudCalls: options.cloudCalls ?? false }));
  const now = options.now ?? new Date();
  const parsed = pipeline.registry.parseEvents(body, { now, options: config });
  if (!parsed.some((result) => result.status === 'interruptions')) {
    const reasons = parsed
      .map((result) => (result.status === 'interruptions' ? '' : result.reason))
      .join('; ');
    return parsed.some((result) => result.status === 'invalid')
      ? { code: 2, stderr: `unusable event: ${reasons}` }
      : { code: 0, stdout: `ignored: ${reasons}` };
  }
  const path = kubeconfigPath(options.kubeconfig);
  const text = readKubeconfig(path);
  const kube = createKubeClient(
    clusterAccessFromKubeconfig(text, { context: options.context, baseDir: dirname(path), execToken }),
  );
  const notifier = createNotifier(config, {
    logger,
    resolveUrl: createSecretUrlResolver({
      readers: Object.assign({}, ...pipeline.providers.map((provider) => provider.secretReaders)),
    }),
  });
  const progress = !options.json && process.stderr.isTTY;
  try {
    const outcome = await pipeline.handleDelivery(body, {
      logger,
      settings,
      parseOptions: config,
      now: () => now,
      retime: retimer(options.now),
      cluster: { name: kubeconfigEntry(text, options.context).context, kube },
      onReport: reportSink(notifier, undefined, logger, { forceNotify: options.notify }),
      onProgress: progress
        ? (update, interruption) => terminalProgress(process.stderr, () => interruption.deadline)(update)
        : undefined,
    });
    const results = outcome.results.map((result) => toReplayResult(result, pipeline));
    return {
      code: replayExitCode(results),
      stdout: options.json ? JSON.stringify(results, null, 2) : results.map(replaySummaryLine).join('\n'),
    };
  } finally {
    await kube.close();
  }
}

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { awsSecretReader } from '../cloud/aws/secret-reader.ts';
import { aksNodeNameForResourceId } from '../cloud/azure/resource-id.ts';
import { keyVaultSecretReader } from '../cloud/azure/secret-reader.ts';
import { loadConfig } from '../config.ts';
import { drainNode } from '../drain/engine.ts';
import type { DrainReport } from '../drain/report.ts';
import type { Interruption } from '../events/interruption.ts';
import { parseEvents } from '../events/registry.ts';
import { createKubeClient } from '../kube/client.ts';
import { clusterAccessFromKubeconfig } from '../kube/kubeconfig.ts';
import { resolveNode } from '../kube/node-resolution.ts';
import { expectedProviderId } from '../kube/provider-id.ts';
import { type Logger, silentLogger } from '../logging.ts';
import { createNotifier } from '../notify/notifier.ts';
import { createSecretUrlResolver } from '../notify/secret-url.ts';
import { execToken } from './exec-token.ts';
import { readEventJson, UsageError } from './input.ts';
import type { CommandOutput } from './parse-command.ts';
import { terminalProgress } from './progress.ts';

export interface ReplayOptions {
  file: string | undefined;
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
  json: boolean;
  /** When the event is taken to arrive; deadlines keep their distance from it. */
  now?: Date;
}

type ReplayResult =
  | { machine: string; status: 'handled'; report: DrainReport }
  | { machine: string; status: 'skipped'; reason: string };

function kubeconfigPath(explicit: string | undefined): string {
  return explicit ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
}

function summaryLine(result: ReplayResult): string {
  if (result.status === 'skipped') return `${result.machine}: skipped, ${result.reason}`;
  const { report } = result;
  const { counts, timings } = report;
  return [
    `${report.node}: ${report.action} ${report.outcome}${report.dryRun ? ' (dry run)' : ''}`,
    `cordoned in ${timings.cordonMs ?? '-'} ms`,
    `${counts.evicted + counts.deleted}/${counts.evictable} pods evicted`,
    counts.blockedByPdb ? `${counts.blockedByPdb} blocked by PodDisruptionBudgets` : '',
    report.deadline ? `deadline ${report.deadlineMet ? 'met' : 'missed'}` : '',
    `${timings.totalMs} ms in all`,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * `spot-drainer replay <event.json>`: the pipeline a cloud function runs, against any cluster in a
 * kubeconfig, with the node resolved by provider id and no cloud calls.
 */
export async function replayCommand(
  options: ReplayOptions,
  logger: Logger = silentLogger,
): Promise<CommandOutput> {
  const body = await readEventJson(options.file);
  const config = loadConfig();
  const realNow = Date.now();
  const now = options.now ?? new Date(realNow);
  const shift = realNow - now.getTime();
  const parsed = parseEvents(body, {
    now,
    options: {
      rebalanceAction: config.rebalanceAction,
      maintenanceAction: config.maintenanceAction,
      lifecycleHookTimeoutSeconds: config.lifecycleHookTimeoutSeconds,
    },
  });
  const interruptions: Interruption[] = parsed
    .flatMap((result) => (result.status === 'interruptions' ? result.interruptions : []))
    .map((interruption) => ({
      ...interruption,
      deadline: interruption.deadline && new Date(interruption.deadline.getTime() + shift),
    }));
  if (interruptions.length === 0) {
    const invalid = parsed.filter((result) => result.status === 'invalid');
    const reasons = parsed
      .map((result) => (result.status === 'interruptions' ? '' : result.reason))
      .join('; ');
    return invalid.length > 0
      ? { code: 2, stderr: `unusable event: ${reasons}` }
      : { code: 0, stdout: `ignored: ${reasons}` };
  }

  let kubeconfig: string;
  try {
    kubeconfig = readFileSync(kubeconfigPath(options.kubeconfig), 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read kubeconfig ${kubeconfigPath(options.kubeconfig)}: ${(error as Error).message}`,
    );
  }
  const kube = createKubeClient(
    clusterAccessFromKubeconfig(kubeconfig, {
      context: options.context,
      baseDir: dirname(kubeconfigPath(options.kubeconfig)),
      execToken,
    }),
  );
  const notifier = createNotifier(config, {
    logger,
    resolveUrl: createSecretUrlResolver({
      readAwsReference: awsSecretReader,
      readKeyVaultReference: keyVaultSecretReader,
    }),
  });
  const progress = !options.json && process.stderr.isTTY;
  const results: ReplayResult[] = [];
  try {
    for (const interruption of interruptions) {
      const machine = expectedProviderId(interruption.machine);
      const nameHint =
        interruption.machine.cloud === 'azure'
          ? aksNodeNameForResourceId(interruption.machine.resourceId)
          : undefined;
      const node = await resolveNode(kube.core, interruption.machine, { nameHint });
      if (!node) {
        results.push({ machine, status: 'skipped', reason: `no node has provider id ${machine}` });
        continue;
      }
      const report = await drainNode(node, interruption, {
        kube,
        logger,
        settings: { ...config, dryRun: options.dryRun || config.dryRun },
        onProgress: progress ? terminalProgress(process.stderr, () => interruption.deadline) : undefined,
      });
      await notifier.notify(report, { machine: interruption.machine, force: true });
      results.push({ machine, status: 'handled', report });
    }
  } finally {
    await kube.close();
  }
  const ok = results.every(
    (result) =>
      result.status === 'handled' &&
      (result.report.outcome === 'completed' || result.report.outcome === 'dry-run'),
  );
  return {
    code: ok ? 0 : 1,
    stdout: options.json ? JSON.stringify(results, null, 2) : results.map(summaryLine).join('\n'),
  };
}

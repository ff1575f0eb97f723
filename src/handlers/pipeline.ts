import type { V1Node } from '@kubernetes/client-node';
import { type DrainProgress, drainNode } from '../drain/engine.ts';
import type { DrainReport } from '../drain/report.ts';
import type { DrainSettings } from '../drain/settings.ts';
import type { Interruption, MachineRef } from '../events/interruption.ts';
import type { KubeClient } from '../kube/client.ts';
import { describeApiError, mayPassLater } from '../kube/errors.ts';
import { resolveNode } from '../kube/node-resolution.ts';
import { expectedProviderId } from '../kube/provider-id.ts';
import type { Logger } from '../logging.ts';
import { withAttempts } from '../retry/attempts.ts';
import { createBudget } from '../retry/budget.ts';

/** What happened to one interruption, for the entry point to log, count and decide on a retry. */
export type InterruptionResult =
  | { status: 'handled'; interruption: Interruption; cluster: string; report: DrainReport }
  | { status: 'skipped'; interruption: Interruption; reason: string }
  | { status: 'failed'; interruption: Interruption; reason: string; retryable: boolean };

export interface HandlerOutcome {
  status: 'processed' | 'ignored' | 'invalid';
  reason?: string;
  results: InterruptionResult[];
}

export interface ResolvedTarget {
  cluster: string;
  kube: KubeClient;
  /** The machine as the cloud describes it (with the AWS zone when known). */
  machine: MachineRef;
  nodeNameHint?: string;
}

/** Cloud-specific steps on the edges of the shared drain (AWS lifecycle hooks hang here). */
export interface DrainHooks {
  /** Runs while the drain does; receives a signal aborted when the drain ends. */
  duringDrain?: (signal: AbortSignal) => Promise<unknown>;
  afterDrain?: (report: DrainReport) => Promise<void>;
}

export interface PipelineDependencies {
  logger: Logger;
  settings: DrainSettings;
  remainingTimeMs?: () => number;
  onReport?: (report: DrainReport, context: { cluster: string; interruption: Interruption }) => Promise<void>;
  onProgress?: (progress: DrainProgress) => void;
}

/** Resolves the node positively, then drains it. Every step that fails says why; nothing is guessed. */
export async function drainResolvedTarget(
  interruption: Interruption,
  target: ResolvedTarget,
  deps: PipelineDependencies,
  hooks: DrainHooks = {},
): Promise<InterruptionResult> {
  const { logger } = deps;
  let node: V1Node | undefined;
  // One time budget for the interruption: node resolution and the drain share it.
  const budget = createBudget({
    deadline: interruption.deadline,
    remainingTimeMs: deps.remainingTimeMs,
    deadlineSafetyMs: deps.settings.deadlineSafetyMs,
  });
  try {
    // Throttling (API Priority and Fairness answers 429 under a mass interruption) is waited out here
    // rather than costing the whole invocation a platform retry.
    node = await withAttempts(budget, () =>
      resolveNode(target.kube.core, target.machine, { nameHint: target.nodeNameHint }),
    );
  } catch (error) {
    const info = describeApiError(error);
    logger.error('node resolution failed', {
      cluster: target.cluster,
      eventId: interruption.eventId,
      error: info.message,
    });
    return {
      status: 'failed',
      interruption,
      reason: `node resolution: ${info.message}`,
      retryable: mayPassLater(error),
    };
  }
  if (!node) {
    const reason = `no node of cluster ${target.cluster} has provider id ${expectedProviderId(target.machine)} (it may be gone already)`;
    logger.warn('node not found', { cluster: target.cluster, eventId: interruption.eventId, reason });
    return { status: 'skipped', interruption, reason };
  }
  const during = new AbortController();
  const sidecar = hooks.duringDrain?.(during.signal);
  let report: DrainReport;
  try {
    report = await drainNode(node, interruption, {
      kube: target.kube,
      logger,
      settings: deps.settings,
      budget,
      remainingTimeMs: deps.remainingTimeMs,
      onProgress: deps.onProgress,
    });
  } finally {
    during.abort();
    await sidecar?.catch(() => undefined);
  }
  logger.info('drain report', { cluster: target.cluster, report });
  await hooks.afterDrain?.(report);
  await deps.onReport?.(report, { cluster: target.cluster, interruption });
  return { status: 'handled', interruption, cluster: target.cluster, report };
}

export class RetryableFailure extends Error {
  override name = 'RetryableFailure';
}

/**
 * What the platform should do with the invocation: a transient failure, or a drain cut short by the
 * function's own time while the machine is still there, is thrown so the platform retries; anything else
 * is acknowledged (a retry could not help, and must not turn into a storm).
 */
export function throwIfRetryable(results: InterruptionResult[]): void {
  const reasons = results.flatMap((result) => {
    if (result.status === 'failed' && result.retryable) return [result.reason];
    if (result.status === 'handled' && result.report.retryable) return [`${result.report.node}: incomplete`];
    return [];
  });
  if (reasons.length > 0) {
    throw new RetryableFailure(`retrying ${reasons.length} interruption(s): ${reasons.join('; ')}`);
  }
}

/** One interruption, from a resolved target to a report: find the node positively, drain it, settle the cloud's obligation. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Node } from '@kubernetes/client-node';
import { withAttempts } from '../drain/attempts.ts';
import type { TimeBudget } from '../drain/budget.ts';
import { type DrainProgress, drainNode } from '../drain/engine.ts';
import type { DrainReport } from '../drain/report.ts';
import type { DrainSettings } from '../drain/settings.ts';
import type { Interruption } from '../events/interruption.ts';
import { describeApiError, mayPassLater } from '../kube/errors.ts';
import { type NodeResolution, resolveNode } from '../kube/node-resolution.ts';
import type { Logger } from '../logging.ts';
import type {
  CloudAction,
  CloudProvider,
  DrainHooks,
  DrainTarget,
  Settlement,
} from '../providers/provider.ts';
import type { ChainControl } from './chain.ts';
import type { InterruptionResult } from './results.ts';

/** What draining a resolved target needs from the pipeline. */
export interface DrainTargetDeps {
  logger: Logger;
  settings: DrainSettings;
  /** The interruption's one time budget, created when the pipeline took it up. */
  budget: TimeBudget;
  remainingTimeMs?: () => number;
  onProgress?: (progress: DrainProgress) => void;
  /** The continuation chain this invocation belongs to, when continuations are configured. */
  chain?: ChainControl;
}

async function settle(hooks: DrainHooks, settlement: Settlement): Promise<CloudAction[]> {
  const action = await hooks.settle?.(settlement);
  return action ? [action] : [];
}

/**
 * Resolves the node by `spec.providerID` (the provider matches it; throttling and briefly persisting
 * 403s are waited out within the budget), drains it, and settles the provider's hooks on every way out.
 * Never throws for API failures: they come back as `failed` with whether a retry may help.
 */
export async function drainTarget(
  interruption: Interruption,
  target: DrainTarget,
  provider: CloudProvider,
  hooks: DrainHooks,
  deps: DrainTargetDeps,
): Promise<InterruptionResult> {
  const { logger } = deps;
  const matches = (providerID: string) => provider.providerIdMatches(target.machine, providerID);
  const expected = provider.expectedProviderId(target.machine);
  let resolution: NodeResolution;
  try {
    resolution = await awaitProviderId(deps.budget, () =>
      resolveNode(target.kube.core, { matches, describe: expected }, { nameHint: target.nodeNameHint }),
    );
  } catch (error) {
    const message = describeApiError(error).message;
    const retryable = mayPassLater(error);
    logger.error('node resolution failed', {
      cluster: target.cluster,
      eventId: interruption.eventId,
      error: message,
    });
    const cloudActions = await settle(hooks, { status: 'failed', retryable });
    return { status: 'failed', interruption, reason: `node resolution: ${message}`, retryable, cloudActions };
  }
  if (resolution.status === 'unresolved') {
    const reason = `node ${resolution.nodeName} has no spec.providerID yet (it has just joined), so it cannot be matched to ${expected}; the delivery is retried until it can`;
    logger.warn('node not resolvable yet', {
      cluster: target.cluster,
      eventId: interruption.eventId,
      reason,
    });
    const cloudActions = await settle(hooks, { status: 'failed', retryable: true });
    return { status: 'failed', interruption, reason, retryable: true, cloudActions };
  }
  if (resolution.status === 'absent') {
    const reason = `no node of cluster ${target.cluster} has provider id ${expected} (it may be gone already)`;
    logger.warn('node not found', { cluster: target.cluster, eventId: interruption.eventId, reason });
    return {
      status: 'skipped',
      interruption,
      reason,
      cloudActions: await settle(hooks, { status: 'node-gone' }),
    };
  }
  const refusal = await deps.chain?.admit(target.kube.core, resolution.node, deps.budget);
  if (refusal) {
    logger.info('left to another chain', { cluster: target.cluster, eventId: interruption.eventId, refusal });
    return { status: 'skipped', interruption, reason: refusal, cloudActions: [] };
  }
  const report = await drainWithHooks(resolution.node, interruption, target, hooks, deps);
  return concludeChain(report, interruption, target, hooks, deps);
}

/**
 * After the drain: hands the rest to a continuation when the chain can go on (the delivery is then
 * acknowledged, and the cloud-side obligation kept open), else settles it and, for a chain, records the
 * chain in the report, which is its last.
 */
async function concludeChain(
  report: DrainReport,
  interruption: Interruption,
  target: DrainTarget,
  hooks: DrainHooks,
  deps: DrainTargetDeps,
): Promise<InterruptionResult> {
  const { logger, chain } = deps;
  const handOver = chain ? await chain.handOver(target.kube.core, report, deps.budget) : 'final';
  const cluster = target.cluster;
  if (handOver === 'continued') {
    logger.info('drain report', { cluster, report, continued: true });
    const cloudActions = await settle(hooks, { status: 'continued', report });
    return { status: 'continued', interruption, cluster, report, cloudActions };
  }
  if (handOver === 'superseded' || handOver === 'released') {
    const reason = `continuation chain ${chain?.state.id} ${handOver === 'superseded' ? 'superseded by another chain' : 'ended: the node no longer records the event'}`;
    logger.warn('chain stopped', { cluster, eventId: interruption.eventId, reason });
    return { status: 'skipped', interruption, reason, cloudActions: [] };
  }
  // At the deadline the chain ends, as drained as it got; another invocation could not help.
  const retryable = report.retryable && handOver !== 'at-deadline';
  // A report handed back to the platform for a retry is not the chain's last.
  const final: DrainReport = {
    ...report,
    retryable,
    ...(chain && !retryable ? { chain: chain.summary(report) } : {}),
  };
  logger.info('drain report', { cluster, report: final });
  const cloudActions = await settle(hooks, { status: 'drained', report: final });
  return { status: 'handled', interruption, cluster, report: final, cloudActions };
}

/** How long a node without a providerID is waited for before the delivery is handed back for a retry. */
export const PROVIDER_ID_WAIT_MS = 10_000;
const PROVIDER_ID_POLL_MS = 1_000;

/**
 * Resolves, and while the node is `unresolved` (joined, providerID not set yet) resolves again every
 * second for up to PROVIDER_ID_WAIT_MS within the budget: the cloud controller sets the id within seconds.
 */
async function awaitProviderId(
  budget: TimeBudget,
  resolve: () => Promise<NodeResolution>,
): Promise<NodeResolution> {
  const giveUpAt = Math.min(budget.now() + PROVIDER_ID_WAIT_MS, budget.stopAt());
  for (;;) {
    // Throttling (API Priority and Fairness answers 429 under a mass interruption) is waited out here
    // rather than costing the whole invocation a platform retry.
    const resolution = await withAttempts(budget, resolve);
    if (resolution.status !== 'unresolved' || budget.now() + PROVIDER_ID_POLL_MS > giveUpAt)
      return resolution;
    await sleep(PROVIDER_ID_POLL_MS);
  }
}

async function drainWithHooks(
  node: V1Node,
  interruption: Interruption,
  target: DrainTarget,
  hooks: DrainHooks,
  deps: DrainTargetDeps,
): Promise<DrainReport> {
  const during = new AbortController();
  const sidecar = hooks.duringDrain?.(during.signal, target);
  try {
    return await drainNode(node, interruption, {
      kube: target.kube,
      logger: deps.logger,
      settings: deps.settings,
      budget: deps.budget,
      remainingTimeMs: deps.remainingTimeMs,
      onProgress: deps.onProgress,
      machineShutDown: target.machineShutDown,
      chain: deps.chain?.mark(),
    });
  } finally {
    during.abort();
    await sidecar?.catch(() => undefined);
  }
}

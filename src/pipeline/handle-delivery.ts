/**
 * The one pipeline. The Lambda, the Azure Function and `spot-drainer replay` all call it; they differ only
 * in the providers and dependencies they pass:
 *
 *   delivery → parse (the providers' parsers) → per interruption: provider.resolveTarget → node by
 *   provider id → drain engine → provider hooks settle → report → notify
 */
import { randomUUID } from 'node:crypto';
import { createBudget } from '../drain/budget.ts';
import type { DrainProgress } from '../drain/engine.ts';
import type { DrainReport } from '../drain/report.ts';
import type { DrainSettings } from '../drain/settings.ts';
import type { Interruption } from '../events/interruption.ts';
import type { ParseOptions } from '../events/options.ts';
import type { ParseResult } from '../events/parser.ts';
import { createEventRegistry, type EventRegistry } from '../events/registry.ts';
import type { KubeClient } from '../kube/client.ts';
import { cachedKubeClient } from '../kube/client-cache.ts';
import type { Logger } from '../logging.ts';
import type { CloudProvider, MachineLabel, ResolveContext } from '../providers/provider.ts';
import { type ChainControl, createChainControl } from './chain.ts';
import type { ChainState, ContinuationMessage, ContinuationQueue } from './continuation.ts';
import { drainTarget } from './drain-target.ts';
import { actionForLateDelivery } from './late-delivery.ts';
import type { DeliveryOutcome, InterruptionResult } from './results.ts';

/** What a report sink is told besides the report: where it happened, in the provider's words. */
export interface ReportContext {
  cluster: string;
  interruption: Interruption;
  machine: MachineLabel;
  kindLabel: string;
  /** The function's own time left, in ms (`PipelineDeps.remainingTimeMs`), when the platform limits it. */
  remainingTimeMs?: () => number;
}

/** What an entry point passes to the pipeline for one delivery. */
export interface PipelineDeps {
  logger: Logger;
  settings: DrainSettings;
  parseOptions: ParseOptions;
  /** The function's own time left, in ms (Lambda getRemainingTimeInMillis; Azure: its answer window). */
  remainingTimeMs?: () => number;
  /** The time the delivery is handled; default the clock. */
  now?: () => Date;
  onReport?: (report: DrainReport, context: ReportContext) => Promise<void>;
  onProgress?: (progress: DrainProgress, interruption: Interruption) => void;
  /** Client per cluster key; default the process-wide cache shared by warm invocations. */
  connect?: ResolveContext['connect'];
  /** Replay: act on this cluster whatever the provider would choose. */
  cluster?: { name: string; kube: KubeClient };
  /** Replay `--now`: adjusts each parsed interruption (its deadline) before it is handled. */
  retime?: (interruption: Interruption) => Interruption;
  /**
   * Continuations (src/pipeline/continuation.ts): where a drain that outlives this invocation goes on.
   * Absent: such a drain is handed back to the platform for a retry.
   */
  continuation?: ContinuationDeps;
}

/** The continuation queue of an entry point, and the chain when the invocation is itself a continuation. */
export interface ContinuationDeps {
  queue: ContinuationQueue;
  /** Delay of each continuation, in seconds (SPOT_DRAINER_CONTINUATION_DELAY_SECONDS). */
  delaySeconds: number;
  /** Set when this invocation runs a continuation message: the chain it goes on with. */
  chain?: ChainState;
}

/** The pipeline over a fixed set of providers; create it once per cold start. */
export interface Pipeline {
  readonly registry: EventRegistry;
  readonly providers: readonly CloudProvider[];
  /** The provider of `cloud`, if registered. */
  providerFor(cloud: string): CloudProvider | undefined;
  /**
   * Handles one delivery (an EventBridge event, an Event Grid batch, a replayed file). Never throws for
   * a bad event or a failed drain: the outcome says what happened, and `throwIfRetryable` decides.
   */
  handleDelivery(body: unknown, deps: PipelineDeps): Promise<DeliveryOutcome>;
  /**
   * Goes on with the drain a continuation message carries (`deps.continuation` must be set), from where
   * the node's marks say it stands. Never throws for a failed drain, as `handleDelivery`.
   */
  handleContinuation(message: ContinuationMessage, deps: PipelineDeps): Promise<DeliveryOutcome>;
}

/** Builds the pipeline. Throws when two providers claim one cloud or two parsers one event type. */
export function createPipeline(providers: readonly CloudProvider[]): Pipeline {
  const byCloud = new Map<string, CloudProvider>();
  for (const provider of providers) {
    if (byCloud.has(provider.cloud)) throw new Error(`two providers for cloud ${provider.cloud}`);
    byCloud.set(provider.cloud, provider);
  }
  const registry = createEventRegistry(
    providers.flatMap((provider) => provider.parsers),
    providers.map((provider) => provider.envelope),
  );
  return {
    registry,
    providers,
    providerFor: (cloud) => byCloud.get(cloud),
    async handleDelivery(body, deps) {
      const parsed = registry.parseEvents(body, {
        now: deps.now?.() ?? new Date(),
        options: deps.parseOptions,
      });
      const interruptions = collectInterruptions(parsed, deps);
      if (interruptions.length === 0) return unprocessed(parsed);
      const results = await Promise.all(
        interruptions.map((interruption) => handleInterruption(interruption, byCloud, deps)),
      );
      return { status: 'processed', results };
    },
    async handleContinuation(message, deps) {
      const continuation = deps.continuation && { ...deps.continuation, chain: message.chain };
      const result = await handleInterruption(message.interruption, byCloud, { ...deps, continuation });
      return { status: 'processed', results: [result] };
    },
  };
}

/**
 * The chain of this invocation: the continuation's, or a new one. None without a queue, for a release
 * (nothing to continue), a dry run, or without a limit on the function's time (replay).
 */
function chainFor(interruption: Interruption, deps: PipelineDeps): ChainControl | undefined {
  const { continuation, remainingTimeMs } = deps;
  if (!continuation || !remainingTimeMs || interruption.action === 'release' || deps.settings.dryRun)
    return undefined;
  const now = Date.now();
  return createChainControl({
    state: continuation.chain ?? {
      id: randomUUID(),
      invocation: 1,
      startedAt: new Date(now),
      markedByChain: false,
    },
    interruption,
    queue: continuation.queue,
    delaySeconds: continuation.delaySeconds,
    invocationEndsAt: now + remainingTimeMs(),
    deadlineSafetyMs: deps.settings.deadlineSafetyMs,
    logger: deps.logger,
  });
}

function collectInterruptions(parsed: readonly ParseResult[], deps: PipelineDeps): Interruption[] {
  const interruptions: Interruption[] = [];
  for (const result of parsed) {
    if (result.status === 'interruptions')
      interruptions.push(...result.interruptions.map(deps.retime ?? ((i) => i)));
    else if (result.status === 'invalid')
      deps.logger.warn('malformed event acknowledged', { reason: result.reason });
    else deps.logger.info('event ignored', { reason: result.reason });
  }
  return interruptions;
}

function unprocessed(parsed: readonly ParseResult[]): DeliveryOutcome {
  const invalid = parsed.find((result) => result.status === 'invalid');
  const first = invalid ?? parsed[0];
  return {
    status: invalid ? 'invalid' : 'ignored',
    reason: first && first.status !== 'interruptions' ? first.reason : 'empty delivery',
    results: [],
  };
}

async function handleInterruption(
  interruption: Interruption,
  byCloud: ReadonlyMap<string, CloudProvider>,
  deps: PipelineDeps,
): Promise<InterruptionResult> {
  const { logger } = deps;
  const provider = byCloud.get(interruption.cloud);
  if (!provider) {
    return {
      status: 'skipped',
      interruption,
      reason: `this function does not handle ${interruption.cloud}`,
      cloudActions: [],
    };
  }
  const hooks = provider.drainHooks(interruption, { logger, dryRun: deps.settings.dryRun });
  const resolution = await provider.resolveTarget(interruption, {
    logger,
    connect: deps.connect ?? ((key, access) => cachedKubeClient(key, access)),
    cluster: deps.cluster,
  });
  if (resolution.status === 'not-ours') {
    logger.info('not ours', { eventId: interruption.eventId, reason: resolution.reason });
    return { status: 'skipped', interruption, reason: resolution.reason, cloudActions: [] };
  }
  if (resolution.status === 'failed') {
    logger.error('target resolution failed', { eventId: interruption.eventId, error: resolution.reason });
    const action = await hooks.settle?.({ status: 'failed', retryable: resolution.retryable });
    return { ...resolution, interruption, cloudActions: action ? [action] : [] };
  }
  const { target } = resolution;
  const deadline = target.deadline ?? interruption.deadline;
  const effective = actionForLateDelivery(
    deadline === interruption.deadline ? interruption : { ...interruption, deadline },
    target.machineGone,
    Date.now(),
    deps.settings.deadlineSafetyMs,
  );
  if (effective.action !== interruption.action) {
    logger.warn('handled as cleanup', {
      eventId: interruption.eventId,
      because: effective.details.cleanupBecause,
    });
  }
  // The interruption's one budget, for node resolution and the drain. Cleanup is worth finishing
  // (and retrying) however late: its machine is gone already.
  const budget = createBudget({
    deadline: effective.deadline,
    remainingTimeMs: deps.remainingTimeMs,
    deadlineSafetyMs: deps.settings.deadlineSafetyMs,
    pastDeadline: effective.action === 'cleanup' ? 'continue' : 'stop',
  });
  const result = await drainTarget(effective, target, provider, hooks, {
    logger,
    settings: deps.settings,
    budget,
    remainingTimeMs: deps.remainingTimeMs,
    onProgress: deps.onProgress && ((progress) => deps.onProgress?.(progress, interruption)),
    chain: chainFor(effective, deps),
  });
  if (result.status === 'handled') {
    await deps.onReport?.(result.report, {
      cluster: target.cluster,
      interruption,
      machine: provider.describeMachine(target.machine),
      kindLabel: provider.kindLabel(interruption.kind),
      remainingTimeMs: deps.remainingTimeMs,
    });
  }
  return result;
}

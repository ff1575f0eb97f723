import type { V1Node } from '@kubernetes/client-node';
import type { Interruption } from '../events/interruption.ts';
import type { KubeClient, KubeCore } from '../kube/client.ts';
import { classifyError, MAY_PASS_LATER } from '../kube/errors.ts';
import type { Logger } from '../logging.ts';
import type { BackoffOptions } from './backoff.ts';
import { createBudget, type TimeBudget } from './budget.ts';
import { createKubeEventRecorder, type KubeEventRecorder, noKubeEvents } from './kube-events.ts';
import type { ChainMark } from './marks.ts';
import { DrainReportBuilder } from './report-builder.ts';
import type { DrainSettings } from './settings.ts';

/** A progress report, sent after the cordon, after each pod and when the drain ends. */
export interface DrainProgress {
  phase: 'cordoned' | 'evicting' | 'waiting' | 'done';
  /** Evictions (or deletions) accepted so far, plus pods found already gone. */
  accepted: number;
  /** Pods the drain acts on. */
  evictable: number;
  /** Pods a PodDisruptionBudget still held when their attempts ended. */
  blockedByPdb: number;
  /** Milliseconds left in the time budget (`TimeBudget.remainingMs()`). */
  remainingMs: number;
}

/** What `drainNode` needs from its caller. */
export interface DrainDependencies {
  kube: KubeClient;
  logger: Logger;
  settings: DrainSettings;
  /**
   * The interruption's time budget (src/drain/budget.ts), created once by the caller and shared with
   * node resolution. Absent: `drainNode` creates one from the interruption's deadline, `remainingTimeMs`,
   * `clock` and `settings.deadlineSafetyMs`.
   */
  budget?: TimeBudget;
  /** The function's own time left, in ms (Lambda getRemainingTimeInMillis, Azure timeout). */
  remainingTimeMs?: () => number;
  /** Epoch-ms clock (default: the budget's, else `Date.now`). */
  clock?: () => number;
  onProgress?: (progress: DrainProgress) => void;
  /** Shape of the backoff between attempts of every API call (tests shorten it). */
  backoff?: BackoffOptions;
  /**
   * The cloud's positive confirmation that the machine is gone now (EC2 reports it `terminated`), in
   * words for the report; absent when it has none (a passed deadline is not one). Only with it may a
   * cleanup taint the node out-of-service (`settings.outOfServiceTaint`).
   */
  machineShutDown?: string;
  /** The continuation chain recorded with a first marking of the event (src/pipeline/chain.ts). */
  chain?: ChainMark;
}

/** Everything the phases of one drain share; the mutable state lives in `report`. */
export interface DrainContext {
  deps: DrainDependencies;
  core: KubeCore;
  settings: DrainSettings;
  interruption: Interruption;
  nodeName: string;
  /** The node as resolved (drainNode's argument): what the out-of-service taint may be written to. */
  resolvedNode: { uid: string; providerID: string };
  budget: TimeBudget;
  clock: () => number;
  backoff?: BackoffOptions;
  events: KubeEventRecorder;
  report: DrainReportBuilder;
  /** "spot-interruption (aws event …), machine leaves at …", for Kubernetes Events. */
  describeInterruption: string;
  /** Logs at info level with the node, event id and kind. */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Sends a `DrainProgress` for `phase` built from the report's counters, if the caller asked for them. */
  progress(phase: DrainProgress['phase']): void;
}

/** Sets up one drain: its budget (the caller's, or a new one), Kubernetes Event recorder and report. */
export function createDrainContext(
  node: V1Node,
  interruption: Interruption,
  deps: DrainDependencies,
): DrainContext {
  const { kube, logger, settings } = deps;
  const clock = deps.clock ?? deps.budget?.now ?? Date.now;
  const started = clock();
  const budget =
    deps.budget ??
    createBudget({
      deadline: interruption.deadline,
      remainingTimeMs: deps.remainingTimeMs,
      clock,
      deadlineSafetyMs: settings.deadlineSafetyMs,
    });
  const nodeName = node.metadata?.name ?? '';
  const report = new DrainReportBuilder({
    node,
    interruption,
    dryRun: settings.dryRun,
    started,
    clock,
    deadline: budget.deadline,
    requestCount: () => kube.requestCount(),
  });
  const leaves = interruption.deadline ? `, machine leaves at ${interruption.deadline.toISOString()}` : '';
  return {
    deps,
    core: kube.core,
    settings,
    interruption,
    nodeName,
    resolvedNode: { uid: node.metadata?.uid ?? '', providerID: node.spec?.providerID ?? '' },
    budget,
    clock,
    backoff: deps.backoff,
    events: settings.dryRun ? noKubeEvents : createKubeEventRecorder(kube.core, logger),
    report,
    describeInterruption: `${interruption.kind} (${interruption.cloud} event ${interruption.eventId})${leaves}`,
    log: (message, fields) =>
      logger.info(message, {
        node: nodeName,
        eventId: interruption.eventId,
        kind: interruption.kind,
        ...fields,
      }),
    progress: (phase) =>
      deps.onProgress?.({
        phase,
        accepted: report.accepted,
        evictable: report.acting,
        blockedByPdb: report.blocked,
        remainingMs: budget.remainingMs(),
      }),
  };
}

/**
 * Records that the drain could not carry out `what` because of `error`: in the report (outcome `failed`,
 * retryable when another invocation could pass it and the deadline is ahead), in the log and as a Warning
 * Kubernetes Event on the node.
 */
export function recordFailure(ctx: DrainContext, what: string, error: unknown): void {
  const failure = classifyError(error);
  const retryable = MAY_PASS_LATER.has(failure.class) && ctx.report.beforeDeadline();
  ctx.report.failed(what, failure.message, retryable);
  ctx.deps.logger.error(`${what} failed`, {
    node: ctx.nodeName,
    eventId: ctx.interruption.eventId,
    status: failure.status,
    error: failure.message,
  });
  ctx.events.node(ctx.report.node, 'SpotDrainFailed', `${what} failed: ${failure.message}`, 'Warning');
}

/**
 * Runs `step`; if it throws, records the failure (`recordFailure`) and returns false. For the steps
 * without which the drain cannot go on (release, cordon, listing the pods).
 */
export async function guardStep(
  ctx: DrainContext,
  what: string,
  step: () => Promise<void>,
): Promise<boolean> {
  try {
    await step();
    return true;
  } catch (error) {
    recordFailure(ctx, what, error);
    return false;
  }
}

/** Waits for queued Kubernetes Events, at most `capMs` and never past the budget. */
export async function flushEvents(ctx: DrainContext, capMs: number): Promise<void> {
  await ctx.events.flush(Math.min(capMs, Math.max(0, ctx.budget.remainingMs())));
}

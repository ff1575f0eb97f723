/**
 * One continuation chain per event and node. The chain's id and lease (`chainUntil`) live in the node's
 * record of the interruption (`spot-drainer.io/interruptions`, src/drain/marks.ts), beside the marks:
 *
 * - the first invocation writes them with the marks, in the same patch (no extra request before the
 *   cordon), leased until the invocation's own end;
 * - a hand-over to a continuation renews the lease until the continuation is due plus CHAIN_GRACE_MS,
 *   and each continuation renews it until its own end when it starts;
 * - a second delivery of the event (an Event Grid redelivery, a duplicate EventBridge event) that finds
 *   another chain's lease running leaves the drain to that chain and is acknowledged; once a lease has
 *   run out (the chain died: its continuation was lost or dead-lettered), the next delivery takes the
 *   event over. A continuation that finds another chain's live lease stops (superseded).
 *
 * Every write tests the record as read, so two chains never both believe they hold the event.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { TimeBudget } from '../drain/budget.ts';
import { chainPatch, recordedInterruptions } from '../drain/marks.ts';
import { patchNode } from '../drain/node-patch.ts';
import type { ChainSummary, DrainReport } from '../drain/report.ts';
import type { Interruption } from '../events/interruption.ts';
import type { KubeCore } from '../kube/client.ts';
import { describeApiError } from '../kube/errors.ts';
import type { Logger } from '../logging.ts';
import type { ContinuationQueue } from '../providers/provider.ts';
import { type ChainState, CONTINUATION_TYPE, serializeContinuation } from './continuation.ts';

/** How long past its due time a continuation may start before its chain counts as dead (queue latency, cold start). */
export const CHAIN_GRACE_MS = 120_000;
/** A continuation is sent only when at least this much of the deadline is left after its delay. */
export const MIN_CONTINUATION_WORK_MS = 5_000;

/** Where the event's record on the node stands for a chain. */
export type ChainStanding =
  | { status: 'unrecorded' }
  | { status: 'own' }
  | { status: 'free' }
  | { status: 'held'; chain: string; until: string };

/** Reads the node's record of the interruption's event against chain `chainId` at `now` (epoch ms). Pure. */
export function chainStanding(
  node: V1Node,
  interruption: Interruption,
  chainId: string,
  now: number,
): ChainStanding {
  const record = recordedInterruptions(node)[interruption.kind];
  if (!record || record.eventId !== interruption.eventId) return { status: 'unrecorded' };
  if (record.chain === chainId) return { status: 'own' };
  const until = record.chainUntil ? Date.parse(record.chainUntil) : Number.NaN;
  if (record.chain && until > now) return { status: 'held', chain: record.chain, until: record.chainUntil! };
  return { status: 'free' };
}

/** What `createChainControl` needs. */
export interface ChainOptions {
  state: ChainState;
  interruption: Interruption;
  queue: ContinuationQueue;
  delaySeconds: number;
  /** Epoch ms when this invocation's own time ends. */
  invocationEndsAt: number;
  deadlineSafetyMs: number;
  logger: Logger;
  clock?: () => number;
}

/**
 * How the drain of a chain's invocation ended: `continued` (a continuation was sent), `final` (the work
 * is done or stopped for a reason a continuation cannot help), `at-deadline` (time is short, but too
 * little is left before the deadline for another invocation: the chain ends here), `retry` (the queue did
 * not take the continuation: the platform retries), `superseded` (another chain holds the event) or
 * `released` (the event's record left the node).
 */
export type HandOver = 'continued' | 'final' | 'at-deadline' | 'retry' | 'superseded' | 'released';

/** A chain's steps around one invocation's drain (see the module comment). */
export interface ChainControl {
  readonly state: ChainState;
  /** Recorded with a first marking of the event. */
  mark(): { id: string; until: Date };
  /** Before the drain: undefined to go on, or why this invocation leaves the node to another chain. */
  admit(core: KubeCore, node: V1Node, budget: TimeBudget): Promise<string | undefined>;
  /** After the drain: sends a continuation when time ran short with the deadline ahead. */
  handOver(core: KubeCore, report: DrainReport, budget: TimeBudget): Promise<HandOver>;
  /** The chain as the last report records it. */
  summary(report: DrainReport): ChainSummary;
}

/** The chain of one interruption in one invocation. Never throws from its steps for API failures. */
export function createChainControl(options: ChainOptions): ChainControl {
  const { state, interruption, logger } = options;
  const clock = options.clock ?? Date.now;
  const continuation = state.invocation > 1;
  const lease = (core: KubeCore, node: V1Node, budget: TimeBudget, until: number) =>
    patchNode(core, node, budget, undefined, (current) =>
      chainPatch(current, interruption, { id: state.id, until: new Date(until) }),
    ).then(
      () => true,
      (error: unknown) => {
        logger.warn('chain lease not written', { chain: state.id, error: describeApiError(error).message });
        return false;
      },
    );
  return {
    state,
    mark: () => ({ id: state.id, until: new Date(options.invocationEndsAt) }),
    async admit(core, node, budget) {
      const standing = chainStanding(node, interruption, state.id, clock());
      if (standing.status === 'held')
        return `continuation chain ${standing.chain} holds event ${interruption.eventId} on this node until ${standing.until}; the drain is left to it`;
      if (!continuation) return undefined;
      if (standing.status === 'unrecorded')
        return `the node no longer records event ${interruption.eventId} (released or replaced); the chain ends`;
      await lease(core, node, budget, options.invocationEndsAt);
      return undefined;
    },
    async handOver(core, report, budget) {
      if (!report.retryable || report.dryRun || budget.deadline === undefined) return 'final';
      const dueAt = clock() + options.delaySeconds * 1000;
      if (budget.deadline - options.deadlineSafetyMs < dueAt + MIN_CONTINUATION_WORK_MS) return 'at-deadline';
      let node: V1Node;
      try {
        node = await core.readNode({ name: report.node });
      } catch (error) {
        logger.warn('node not read before the hand-over', { error: describeApiError(error).message });
        return 'retry';
      }
      const standing = chainStanding(node, interruption, state.id, clock());
      if (standing.status === 'held') return 'superseded';
      if (standing.status === 'unrecorded') return 'released';
      const next: ChainState = {
        ...state,
        invocation: state.invocation + 1,
        markedByChain: state.markedByChain || report.markedByThisInvocation,
      };
      try {
        await options.queue.send(
          serializeContinuation({ type: CONTINUATION_TYPE, version: 1, chain: next, interruption }),
          options.delaySeconds,
          { chain: next.id, invocation: next.invocation },
        );
      } catch (error) {
        logger.error('continuation not sent', {
          queue: options.queue.kind,
          error: describeApiError(error).message,
        });
        return 'retry';
      }
      await lease(core, node, budget, dueAt + CHAIN_GRACE_MS);
      logger.info('drain continues', {
        chain: state.id,
        next: next.invocation,
        delaySeconds: options.delaySeconds,
      });
      return 'continued';
    },
    summary: (report) => ({
      id: state.id,
      invocations: state.invocation,
      startedAt: state.startedAt.toISOString(),
      totalMs: clock() - state.startedAt.getTime(),
      markedByChain: state.markedByChain || report.markedByThisInvocation,
    }),
  };
}

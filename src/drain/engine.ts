import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { Interruption } from '../events/interruption.ts';
import type { KubeClient, KubeCore } from '../kube/client.ts';
import { describeApiError, isStatus, mayPassLater } from '../kube/errors.ts';
import type { Logger } from '../logging.ts';
import type { BackoffOptions } from './backoff.ts';
import { createBudget, type TimeBudget } from './budget.ts';
import { createEventRecorder, type EventRecorder, noEvents } from './events.ts';
import { deletePodNow, type EvictionResult, evictPod } from './evict.ts';
import { markPatch, type NodePatch, releasePatch } from './marks.ts';
import { type PlannedPod, planPods } from './plan.ts';
import type { DrainCounts, DrainOutcome, DrainReport, PodResult } from './report.ts';
import { retryWithin } from './retry.ts';
import type { DrainSettings } from './settings.ts';

export interface DrainProgress {
  phase: 'cordoned' | 'evicting' | 'waiting' | 'done';
  accepted: number;
  evictable: number;
  blockedByPdb: number;
  remainingMs: number;
}

export interface DrainDependencies {
  kube: KubeClient;
  logger: Logger;
  settings: DrainSettings;
  /** The function's own time left (Lambda getRemainingTimeInMillis, Azure timeout). */
  remainingTimeMs?: () => number;
  /** The interruption's time budget, when the caller created it already. */
  budget?: TimeBudget;
  clock?: () => number;
  onProgress?: (progress: DrainProgress) => void;
  backoff?: BackoffOptions;
}

/** Thrown when the marks could not be written for a reason another attempt may fix. */
export class TransientDrainError extends Error {
  override name = 'TransientDrainError';
}

const JSON_PATCH = 'application/json-patch+json';

/** Applies a patch built from the node as read; re-reads and rebuilds when its test fails (another writer). */
async function patchNode(
  core: KubeCore,
  node: V1Node,
  budget: TimeBudget,
  backoff: BackoffOptions | undefined,
  build: (current: V1Node) => NodePatch | undefined,
): Promise<{ node: V1Node; wrote: boolean }> {
  const name = node.metadata?.name ?? '';
  let current = node;
  for (let conflicts = 0; ; conflicts++) {
    const patch = build(current);
    if (!patch) return { node: current, wrote: false };
    try {
      const updated = await retryWithin(
        budget,
        () => core.patchNode({ name, body: patch, contentType: JSON_PATCH }),
        backoff,
      );
      return { node: updated, wrote: true };
    } catch (error) {
      // 422: a `test` operation failed; 409: a conflict. Either way someone else wrote the node first.
      if (!isStatus(error, 409, 422) || conflicts >= 10) throw error;
      current = await retryWithin(budget, () => core.readNode({ name }), backoff);
    }
  }
}

async function listNodePods(core: KubeCore, nodeName: string, budget: TimeBudget, backoff?: BackoffOptions) {
  const list = await retryWithin(
    budget,
    () => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` }),
    backoff,
  );
  return list.items;
}

function isReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some(
    (condition) => condition.type === 'Ready' && condition.status === 'True',
  );
}

function countOutcomes(results: PodResult[], remaining: number): DrainCounts {
  const count = (outcome: PodResult['outcome']) =>
    results.filter((result) => result.outcome === outcome).length;
  return {
    pods: results.length,
    evictable: results.filter(
      (result) => result.disposition === 'evict' || result.disposition === 'already-terminating',
    ).length,
    evicted: count('evicted'),
    deleted: count('deleted'),
    gone: count('gone'),
    blockedByPdb: count('blocked-by-pdb'),
    failed: count('failed'),
    timedOut: count('timed-out'),
    skipped: count('skipped'),
    stillTerminating: remaining,
  };
}

/**
 * The one drain engine both clouds share. Takes a node that was positively resolved and a normalized
 * interruption, and acts: marks first (one patch), then evicts, deletes or releases, within the time the
 * interruption and the function leave. Returns a report; never throws for pods that could not be evicted.
 */
export async function drainNode(
  nodeIn: V1Node,
  interruption: Interruption,
  deps: DrainDependencies,
): Promise<DrainReport> {
  const { kube, logger, settings, backoff } = deps;
  const core = kube.core;
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const requestsAtStart = kube.requestCount();
  const budget =
    deps.budget ??
    createBudget({
      deadline: interruption.deadline,
      remainingTimeMs: deps.remainingTimeMs,
      clock,
      deadlineSafetyMs: settings.deadlineSafetyMs,
    });
  const nodeName = nodeIn.metadata?.name ?? '';
  const log = (message: string, fields?: Record<string, unknown>) =>
    logger.info(message, {
      node: nodeName,
      eventId: interruption.eventId,
      kind: interruption.kind,
      ...fields,
    });
  const events: EventRecorder = settings.dryRun ? noEvents : createEventRecorder(core, logger);
  const errors: string[] = [];
  const results = new Map<string, PodResult>();
  let node = nodeIn;
  let cordonMs: number | undefined;
  let markedByThisInvocation = false;
  let lastAcceptedAt: number | undefined;
  let emptyAt: number | undefined;
  let stillTerminating = 0;
  let outcome: DrainOutcome = 'completed';
  let retryable = false;
  const graceDeadline =
    budget.deadline === undefined ? undefined : budget.deadline - settings.deadlineSafetyMs;
  const describeInterruption = `${interruption.kind} (${interruption.cloud} event ${interruption.eventId})${
    interruption.deadline ? `, machine leaves at ${interruption.deadline.toISOString()}` : ''
  }`;

  const report = (): DrainReport => {
    const pods = [...results.values()];
    const counts = countOutcomes(pods, stillTerminating);
    const allAccepted = counts.blockedByPdb + counts.failed + counts.timedOut === 0;
    const deadlineMet =
      outcome !== 'failed' &&
      allAccepted &&
      (budget.deadline === undefined || (lastAcceptedAt ?? started) <= budget.deadline);
    return {
      node: nodeName,
      providerId: node.spec?.providerID,
      cloud: interruption.cloud,
      kind: interruption.kind,
      eventId: interruption.eventId,
      action: interruption.action,
      dryRun: settings.dryRun,
      outcome,
      startedAt: new Date(started).toISOString(),
      deadline: interruption.deadline?.toISOString(),
      deadlineMet,
      markedByThisInvocation,
      retryable,
      timings: {
        cordonMs,
        lastEvictionAcceptedMs: lastAcceptedAt === undefined ? undefined : lastAcceptedAt - started,
        emptyMs: emptyAt === undefined ? undefined : emptyAt - started,
        totalMs: clock() - started,
      },
      counts,
      pods,
      errors,
      apiRequests: kube.requestCount() - requestsAtStart,
    };
  };

  const fail = (error: unknown, what: string): DrainReport => {
    const info = describeApiError(error);
    errors.push(`${what}: ${info.message}`);
    outcome = 'failed';
    retryable = mayPassLater(error) && (budget.deadline === undefined || clock() < budget.deadline);
    logger.error(`${what} failed`, {
      node: nodeName,
      eventId: interruption.eventId,
      status: info.status,
      error: info.message,
    });
    events.node(node, 'SpotDrainFailed', `${what} failed: ${info.message}`, 'Warning');
    return report();
  };

  // Release: the interruption was called off.
  if (interruption.action === 'release') {
    const plan = releasePatch(node, interruption);
    if (settings.dryRun || !plan.patch) {
      log('release', { result: plan.reason, dryRun: settings.dryRun });
      outcome = settings.dryRun ? 'dry-run' : 'completed';
      return report();
    }
    try {
      ({ node } = await patchNode(
        core,
        node,
        budget,
        backoff,
        (current) => releasePatch(current, interruption).patch,
      ));
    } catch (error) {
      return fail(error, 'release');
    }
    events.node(
      node,
      'SpotInterruptionCanceled',
      `${describeInterruption} was called off; ${plan.uncordons ? 'uncordoned' : plan.reason}`,
    );
    log('released', { uncordoned: plan.uncordons });
    await events.flush(Math.min(2000, Math.max(0, budget.remainingMs())));
    return report();
  }

  // 1. Mark first, in one request.
  if (!settings.dryRun) {
    try {
      const marked = await patchNode(core, node, budget, backoff, (current) =>
        markPatch(current, interruption, {
          excludeFromLoadBalancers: settings.excludeFromLoadBalancers,
          now: new Date(clock()),
        }),
      );
      node = marked.node;
      markedByThisInvocation = marked.wrote;
      cordonMs = clock() - started;
    } catch (error) {
      return fail(error, 'cordon');
    }
    events.node(node, 'SpotInterruptionReceived', describeInterruption);
    if (markedByThisInvocation)
      events.node(node, 'SpotCordoned', `Cordoned and tainted for ${interruption.kind}`);
    log('cordoned', { cordonMs, wrote: markedByThisInvocation });
    deps.onProgress?.({
      phase: 'cordoned',
      accepted: 0,
      evictable: 0,
      blockedByPdb: 0,
      remainingMs: budget.remainingMs(),
    });
  }

  let action = interruption.action;
  if (action === 'cordon-or-cleanup') action = isReady(node) ? 'cordon' : 'cleanup';
  if (action === 'cordon') {
    outcome = settings.dryRun ? 'dry-run' : 'completed';
    await events.flush(Math.min(2000, Math.max(0, budget.remainingMs())));
    return report();
  }

  // 2. Plan from one list of the node's pods.
  let pods: V1Pod[];
  let listedAt: number | undefined;
  try {
    pods = await listNodePods(core, nodeName, budget, backoff);
    listedAt = clock();
  } catch (error) {
    return fail(error, 'list pods');
  }
  const cleanup = action === 'cleanup';
  const planned = planPods(pods, settings);
  for (const pod of planned) {
    const acts = pod.disposition === 'evict' || (cleanup && pod.disposition === 'already-terminating');
    results.set(pod.uid, {
      namespace: pod.namespace,
      name: pod.name,
      uid: pod.uid,
      disposition: pod.disposition,
      critical: pod.critical,
      attempts: 0,
      outcome: acts
        ? settings.dryRun
          ? 'planned'
          : 'timed-out'
        : pod.disposition === 'already-terminating'
          ? 'terminating'
          : 'skipped',
    });
  }
  const toAct = planned.filter(
    (pod) => results.get(pod.uid)?.outcome !== 'skipped' && results.get(pod.uid)?.outcome !== 'terminating',
  );
  if (settings.dryRun) {
    outcome = 'dry-run';
    log('dry run', { evictable: toAct.length, pods: planned.length });
    return report();
  }

  // 3. Evict (or delete, for a machine that is gone) in parallel, critical pods last.
  let accepted = 0;
  let blocked = 0;
  const progress = (phase: DrainProgress['phase']) =>
    deps.onProgress?.({
      phase,
      accepted,
      evictable: toAct.length,
      blockedByPdb: blocked,
      remainingMs: budget.remainingMs(),
    });
  const limit = pLimit(settings.evictionConcurrency);
  const act = (pod: PlannedPod) =>
    limit(async () => {
      const result: EvictionResult = cleanup
        ? await deletePodNow(core, pod, budget, 0, backoff)
        : await evictPod(core, pod, budget, {
            deadlinePolicy: settings.deadlinePolicy,
            forceDeleteLeadMs: settings.forceDeleteLeadMs,
            graceDeadline,
            listedAt,
            backoff,
          });
      const entry = results.get(pod.uid);
      if (entry) {
        entry.outcome = result.outcome;
        entry.attempts = result.attempts;
        entry.gracePeriodSeconds = result.gracePeriodSeconds;
        entry.error = result.error;
        if (result.acceptedAt !== undefined) entry.acceptedAfterMs = result.acceptedAt - started;
      }
      if (result.acceptedAt !== undefined) {
        accepted++;
        lastAcceptedAt = Math.max(lastAcceptedAt ?? 0, result.acceptedAt);
        if (settings.podEvents) {
          events.pod(
            pod,
            cleanup ? 'SpotDrainerDeleted' : 'SpotDrainerEvicted',
            `${cleanup ? 'Deleted' : 'Evicted'} from node ${nodeName}: ${describeInterruption}`,
          );
        }
      } else if (result.outcome === 'gone') {
        accepted++;
      } else if (result.outcome === 'blocked-by-pdb') {
        blocked++;
      }
      progress('evicting');
    });
  const normal = toAct.filter((pod) => !pod.critical);
  const critical = toAct.filter((pod) => pod.critical);
  const normalDone = Promise.all(normal.map(act));
  if (critical.length > 0) {
    // Critical pods go once the others are out, or when the last third of the time begins.
    const reserveStart = budget.stopAt() - budget.remainingMs() / 3;
    const gate = new AbortController();
    const reserveReached = Number.isFinite(reserveStart)
      ? sleep(Math.max(0, reserveStart - clock()), undefined, { signal: gate.signal }).catch(() => undefined)
      : new Promise<void>(() => {});
    await Promise.race([normalDone, reserveReached]);
    gate.abort();
    await Promise.all([normalDone, Promise.all(critical.map(act))]);
  } else {
    await normalDone;
  }
  log(cleanup ? 'deleted pods' : 'evictions done', {
    accepted,
    evictable: toAct.length,
    blockedByPdb: blocked,
  });

  // 4. Wait for the evicted pods to leave (the machine may not outlive them).
  const waitingFor = new Set(
    [...results.values()]
      .filter((entry) => ['evicted', 'deleted', 'terminating'].includes(entry.outcome))
      .map((entry) => entry.uid),
  );
  if (settings.waitForEmpty && !cleanup && waitingFor.size > 0) {
    progress('waiting');
    for (let interval = 250; ; interval = Math.min(1000, interval * 1.5)) {
      try {
        const left = (await listNodePods(core, nodeName, budget, backoff)).filter((pod) =>
          waitingFor.has(pod.metadata?.uid ?? ''),
        );
        stillTerminating = left.length;
        if (left.length === 0) {
          emptyAt = clock();
          break;
        }
      } catch (error) {
        errors.push(`waiting for pods: ${describeApiError(error).message}`);
        break;
      }
      if (budget.remainingMs() <= interval) break;
      await sleep(interval);
    }
  }

  const counts = countOutcomes([...results.values()], stillTerminating);
  const incomplete = counts.blockedByPdb + counts.failed + counts.timedOut;
  outcome = incomplete === 0 ? 'completed' : 'partial';
  retryable =
    outcome === 'partial' &&
    counts.failed === 0 &&
    (counts.timedOut > 0 || budget.limitedByFunctionTime()) &&
    (budget.deadline === undefined || clock() < budget.deadline);
  for (const entry of results.values())
    if (entry.error) errors.push(`${entry.namespace}/${entry.name}: ${entry.error}`);
  if (outcome === 'completed') {
    events.node(
      node,
      cleanup ? 'SpotCleanedUp' : 'SpotDrained',
      `${counts.evicted + counts.deleted} pods ${cleanup ? 'deleted' : 'evicted'} in ${clock() - started} ms`,
    );
  } else {
    events.node(
      node,
      'SpotDrainFailed',
      `${incomplete} of ${counts.evictable} pods not evicted (${counts.blockedByPdb} blocked by PodDisruptionBudgets, ${counts.failed} refused, ${counts.timedOut} timed out)`,
      'Warning',
    );
  }
  progress('done');
  await events.flush(Math.min(3000, Math.max(0, (deps.remainingTimeMs?.() ?? 5000) - 1000)));
  return report();
}

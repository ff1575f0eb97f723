import type { V1Pod, V1Toleration } from '@kubernetes/client-node';
import { describeApiError } from '../../kube/errors.ts';
import type { DrainContext } from '../context.ts';
import { taintKey } from '../marks.ts';
import { controllerOf, type PlannedPod, planPods, toleratesEveryTaint } from '../plan.ts';
import { evictPods } from './evict.ts';
import { listNodePods, type NodePods } from './plan.ts';
import { waitForEmpty } from './wait.ts';

/** Rounds of evicting pods that landed on the node after the marks, before they are reported instead. */
const MAX_ROUNDS = 3;
const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

function tolerates(tolerations: V1Toleration[], key: string): boolean {
  return tolerations.some(
    (toleration) =>
      (toleration.key === undefined || toleration.key === '' || toleration.key === key) &&
      toleration.operator === 'Exists' &&
      (toleration.effect === undefined || toleration.effect === '' || toleration.effect === 'NoSchedule'),
  );
}

/**
 * Why a pod could land on the cordoned, tainted node: it tolerates every taint (`{operator: Exists}` with
 * no key, a common chart default), or the cordon's and the drainer's taints by name, or it bypassed the
 * scheduler (bound by `spec.nodeName`, or another scheduler).
 */
export function landedBecause(pod: V1Pod, kindTaint: string): string {
  const tolerations = pod.spec?.tolerations ?? [];
  if (toleratesEveryTaint(pod)) return 'tolerates every taint (tolerations: [{operator: Exists}])';
  if (tolerates(tolerations, UNSCHEDULABLE_TAINT) && tolerates(tolerations, kindTaint))
    return `tolerates ${UNSCHEDULABLE_TAINT} and ${kindTaint}`;
  return 'placed despite the cordon (bound by spec.nodeName, or by another scheduler)';
}

function controller(pod: V1Pod): string | undefined {
  const owner = controllerOf(pod);
  return owner ? `${owner.kind}/${owner.name}` : undefined;
}

/**
 * Sweep phase, after the wait: looks at the node's pods again (as the wait last saw them, `afterWait`,
 * when it saw the node empty of the pods it waited for; else one list) and acts on those scheduled there after the
 * marks (a pod tolerating every taint gets past the cordon and the taint, so a Deployment's replacement
 * may land straight back), up to 3 rounds within the budget, each evicted (deleted on cleanup) and waited
 * for like the planned ones. Each listing follows the wait for the node to empty, by which time the
 * controllers have long created and the scheduler bound the replacements of the pods evicted; on cleanup
 * (no wait: the machine is gone) or with `waitForEmpty` off, it is immediate and sees only the pods bound
 * by then. Pods still arriving after the last round are recorded with outcome
 * `returned` (the drain is then `partial`), and every workload that came back is in the report's
 * `returningPods` with the reason, in the log and in a SpotPodsReturning Warning Event on the node: the
 * report never claims an empty node while such pods run on it. Never throws.
 */
export async function sweepReturning(
  ctx: DrainContext,
  cleanup: boolean,
  afterWait?: NodePods,
): Promise<void> {
  const { report, budget } = ctx;
  const kindTaint = taintKey(ctx.interruption.kind);
  let known = afterWait;
  for (let round = 1; round <= MAX_ROUNDS + 1; round++) {
    let seen: NodePods;
    try {
      seen = known ?? (await listNodePods(ctx.core, ctx.nodeName, budget, ctx.backoff));
    } catch (error) {
      report.errors.push(`listing the node's pods again: ${describeApiError(error).message}`);
      break;
    }
    const listedAt = ctx.clock();
    const newcomers = planPods(seen.pods, ctx.settings).filter(
      (pod) => pod.disposition === 'evict' && !report.has(pod.uid),
    );
    if (newcomers.length === 0) break;
    const acts = round <= MAX_ROUNDS && budget.remainingMs() > 2000;
    const toAct: PlannedPod[] = report.arrived(
      newcomers,
      (pod) => landedBecause(pod.pod, kindTaint),
      (pod) => controller(pod.pod),
      acts,
    );
    ctx.log('pods landed on the node after the marks', {
      round,
      pods: newcomers.map((pod) => `${pod.namespace}/${pod.name}`),
      acting: acts,
    });
    if (!acts) break;
    await evictPods(ctx, { toAct, listedAt, seen }, cleanup);
    known = await waitForEmpty(ctx, cleanup, seen);
  }
  if (report.returning.length > 0) {
    const described = report.returning
      .map((pod) => `${pod.namespace}/${pod.owner ?? pod.name}: ${pod.reason}`)
      .join('; ');
    ctx.deps.logger.warn('pods keep landing on the node', {
      node: ctx.nodeName,
      eventId: ctx.interruption.eventId,
      returning: report.returning,
    });
    ctx.events.node(
      report.node,
      'SpotPodsReturning',
      `Pods landed on the node after it was cordoned and tainted: ${described}`,
      'Warning',
    );
  }
}

import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { KubeCore } from '../../kube/client.ts';
import { withAttempts } from '../attempts.ts';
import type { BackoffOptions } from '../backoff.ts';
import type { TimeBudget } from '../budget.ts';
import { type DrainContext, guardStep } from '../context.ts';
import { type PlannedPod, planPods } from '../plan.ts';

/** The pods a drain acts on, and when the list they come from was read. */
export interface DrainPlan {
  toAct: PlannedPod[];
  /** Epoch ms the node's pod list was read (an eviction sends its resourceVersion only while fresh). */
  listedAt: number;
  /** The node's pods as listed, all of them: the wait for the node to empty watches them from there. */
  seen: NodePods;
}

/** The pods bound to a node as one list (or a watch) saw them, and the resourceVersion it saw them at. */
export interface NodePods {
  pods: V1Pod[];
  resourceVersion?: string;
}

/** The field selector of the pods bound to `nodeName`. */
export const onNode = (nodeName: string) => `spec.nodeName=${nodeName}`;

/**
 * Every pod bound to the node, across namespaces (one list with the field selector `spec.nodeName`),
 * retried within `budget` (`withAttempts`), with the list's resourceVersion. Rejects with the last API error.
 */
export async function listNodePods(
  core: KubeCore,
  nodeName: string,
  budget: TimeBudget,
  backoff?: BackoffOptions,
): Promise<NodePods> {
  const list = await withAttempts(
    budget,
    () => core.listPodForAllNamespaces({ fieldSelector: onNode(nodeName) }),
    { backoff },
  );
  return { pods: list.items, resourceVersion: list.metadata?.resourceVersion };
}

/** Whether the node's Ready condition is True. */
export function isReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some(
    (condition) => condition.type === 'Ready' && condition.status === 'True',
  );
}

/** The taint the node lifecycle controller puts on a node whose kubelet stopped reporting. */
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/**
 * Whether the node's kubelet can finish a graceful deletion: its Ready condition is True and the node
 * lifecycle controller has not tainted it unreachable. When it cannot (a dead kubelet, a machine already
 * stopped), an evicted pod stays terminating until someone deletes it with grace period 0.
 */
export function kubeletAlive(node: V1Node): boolean {
  return isReady(node) && !(node.spec?.taints ?? []).some((taint) => taint.key === UNREACHABLE_TAINT);
}

/**
 * Plan phase: lists the node's pods once and sorts them (`planPods`) into the report. `cleanup`: the
 * machine is gone, terminating pods are deleted too. Undefined (failure recorded in the report) when the
 * pods could not be listed.
 */
export async function planDrain(ctx: DrainContext, cleanup: boolean): Promise<DrainPlan | undefined> {
  let seen: NodePods = { pods: [] };
  let listedAt = 0;
  const listed = await guardStep(ctx, 'list pods', async () => {
    seen = await listNodePods(ctx.core, ctx.nodeName, ctx.budget, ctx.backoff);
    listedAt = ctx.clock();
  });
  if (!listed) return undefined;
  const planned = planPods(seen.pods, ctx.settings);
  const toAct = ctx.report.planned(planned, cleanup);
  if (ctx.settings.dryRun) {
    ctx.report.outcome = 'dry-run';
    ctx.log('dry run', { evictable: toAct.length, pods: planned.length });
  }
  return { toAct, listedAt, seen };
}

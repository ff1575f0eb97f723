import type { V1Pod } from '@kubernetes/client-node';
import type { PodDisposition } from './report.ts';
import type { DrainSettings } from './settings.ts';

/** Set by the kubelet on the mirror of a static pod; the API cannot evict those. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const CRITICAL_PRIORITY_CLASSES = new Set(['system-cluster-critical', 'system-node-critical']);
/** system-cluster-critical is 2000000000; anything at or above it is critical to the node's function. */
const CRITICAL_PRIORITY = 2_000_000_000;
/** The pod's terminationGracePeriodSeconds when the spec leaves it out (the API server's default). */
export const DEFAULT_GRACE_SECONDS = 30;

/** Which pods `kubectl drain` would refuse without a flag, and the drainer evicts anyway when set. */
export interface PlanOptions {
  evictDaemonSetPods: boolean;
  deleteEmptyDirData: boolean;
}

/** A pod of the node with what the drain will do with it. */
export interface PlannedPod {
  pod: V1Pod;
  namespace: string;
  name: string;
  uid: string;
  disposition: PodDisposition;
  critical: boolean;
}

/** The pod's controller (the owner reference with `controller: true`), or undefined for a bare pod. */
export function controllerOf(pod: V1Pod): { kind: string; name: string } | undefined {
  const owner = (pod.metadata?.ownerReferences ?? []).find((ref) => ref.controller);
  return owner ? { kind: owner.kind, name: owner.name } : undefined;
}

function isDaemonSetPod(pod: V1Pod): boolean {
  return controllerOf(pod)?.kind === 'DaemonSet';
}

/** Whether the pod has an emptyDir volume, whose data goes with the pod (`kubectl drain`'s local storage). */
export function hasEmptyDir(pod: V1Pod): boolean {
  return (pod.spec?.volumes ?? []).some((volume) => volume.emptyDir !== undefined);
}

/**
 * Whether the pod tolerates every taint: a toleration with no key, operator Exists and no effect (a
 * common chart default). Such a pod gets past the drain's cordon and taint, so a controller's replacement
 * can be scheduled straight back onto the node being drained
 * (https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/).
 */
export function toleratesEveryTaint(pod: V1Pod): boolean {
  return (pod.spec?.tolerations ?? []).some(
    (t) => (t.key === undefined || t.key === '') && t.operator === 'Exists' && !t.effect,
  );
}

/**
 * Whether the pod is critical to the node: priority class system-cluster-critical or system-node-critical,
 * or a priority at or above 2000000000 (https://kubernetes.io/docs/tasks/administer-cluster/guaranteed-scheduling-critical-addon-pods/).
 */
export function isCritical(pod: V1Pod): boolean {
  const className = pod.spec?.priorityClassName;
  return (
    (className !== undefined && CRITICAL_PRIORITY_CLASSES.has(className)) ||
    (pod.spec?.priority ?? 0) >= CRITICAL_PRIORITY
  );
}

/**
 * What the drain does with one pod: mirror (static) and finished pods stay, terminating ones are waited
 * for, DaemonSet pods stay unless `evictDaemonSetPods`, emptyDir pods go unless `deleteEmptyDirData` is
 * off (the same rules as `kubectl drain`: https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/).
 */
export function dispositionOf(pod: V1Pod, options: PlanOptions): PodDisposition {
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return 'skip-mirror';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'skip-finished';
  if (pod.metadata?.deletionTimestamp) return 'already-terminating';
  if (isDaemonSetPod(pod) && !options.evictDaemonSetPods) return 'skip-daemonset';
  if (hasEmptyDir(pod) && !options.deleteEmptyDirData) return 'skip-local-storage';
  return 'evict';
}

/**
 * Sorts the node's pods into what to evict and what to leave, non-critical before critical (the order
 * graceful node shutdown uses). Bare pods are evicted too: nothing else would save them.
 */
export function planPods(pods: V1Pod[], options: PlanOptions): PlannedPod[] {
  const planned = pods.map((pod) => ({
    pod,
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    disposition: dispositionOf(pod, options),
    critical: isCritical(pod),
  }));
  return planned.sort((a, b) => Number(a.critical) - Number(b.critical));
}

/**
 * When the grace periods of a drain must end, epoch ms: the interruption `deadline` (epoch ms) less
 * `deadlineSafetyMs`; undefined (no cap) when the interruption names no deadline.
 */
export function graceDeadline(
  deadline: number | undefined,
  settings: Pick<DrainSettings, 'deadlineSafetyMs'>,
): number | undefined {
  return deadline === undefined ? undefined : deadline - settings.deadlineSafetyMs;
}

/**
 * The pod's own grace period (or `overrideSeconds` instead, when 0 or more: SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS),
 * capped so that the container is stopped before `deadline` (epoch ms; the machine goes away then).
 * Never below 1 s: 0 would make the API server skip graceful termination altogether.
 */
export function cappedGraceSeconds(
  pod: V1Pod,
  deadline: number | undefined,
  now: number,
  overrideSeconds = -1,
): number {
  const own =
    overrideSeconds >= 0
      ? Math.max(1, overrideSeconds)
      : (pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS);
  if (deadline === undefined) return own;
  const left = Math.floor((deadline - now) / 1000);
  return Math.max(1, Math.min(own, left));
}

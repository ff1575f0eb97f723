/**
 * The workloads of `spot-drainer audit`: each pod resolved to the controller that owns it (a ReplicaSet to
 * its Deployment; StatefulSet, DaemonSet, Job and other controllers as they are; a pod with no controller
 * is its own workload), with the replicas it asks for and the pods it runs.
 */
import type {
  V1Deployment,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { controllerOf } from '../drain/plan.ts';

/** What the audit reads from the cluster, as the user's own identity. */
export interface AuditInventory {
  /** Names of the nodes taken as spot (standard capacity-type labels, or the user's selector). */
  spotNodes: ReadonlySet<string>;
  /** Every pod of the cluster: the spot nodes' pods, and the replicas elsewhere of their workloads. */
  pods: V1Pod[];
  budgets: V1PodDisruptionBudget[];
  replicaSets: V1ReplicaSet[];
  deployments: V1Deployment[];
  statefulSets: V1StatefulSet[];
}

/** A workload as findings name it: `kind` is the controller's kind, `Pod` for a bare pod. */
export interface WorkloadRef {
  namespace: string;
  kind: string;
  name: string;
}

/** A workload with the replicas it asks for (when its controller says) and its running pods. */
export interface Workload {
  ref: WorkloadRef;
  /** `spec.replicas` of a Deployment, StatefulSet or ReplicaSet (1 when unset); undefined for other kinds. */
  desiredReplicas?: number;
  /** Its pods that are bound to a node, not finished and not terminating, on any node. */
  active: V1Pod[];
}

const key = (namespace: string, kind: string, name: string) => `${namespace}/${kind}/${name}`;

/** `namespace/Kind/name`, the key workloads are grouped by. */
export function workloadKey(ref: WorkloadRef): string {
  return key(ref.namespace, ref.kind, ref.name);
}

/** A ReplicaSet's own controller (a Deployment, or e.g. an Argo Rollout), by `namespace/name`. */
function replicaSetOwners(replicaSets: readonly V1ReplicaSet[]): Map<string, { kind: string; name: string }> {
  const owners = new Map<string, { kind: string; name: string }>();
  for (const replicaSet of replicaSets) {
    const owner = (replicaSet.metadata?.ownerReferences ?? []).find((ref) => ref.controller);
    if (owner)
      owners.set(`${replicaSet.metadata?.namespace}/${replicaSet.metadata?.name}`, {
        kind: owner.kind,
        name: owner.name,
      });
  }
  return owners;
}

/**
 * The workload that owns `pod`: its controller, a ReplicaSet replaced by the controller that owns it
 * (`owners`, from {@link resolveWorkloads}), or the pod itself (kind `Pod`) when nothing controls it.
 */
export function workloadOf(pod: V1Pod, owners: ReadonlyMap<string, { kind: string; name: string }>) {
  const namespace = pod.metadata?.namespace ?? 'default';
  const controller = controllerOf(pod);
  if (!controller) return { namespace, kind: 'Pod', name: pod.metadata?.name ?? '' };
  const above = controller.kind === 'ReplicaSet' ? owners.get(`${namespace}/${controller.name}`) : undefined;
  return { namespace, ...(above ?? controller) };
}

/** Whether the pod holds a place on a node: bound, not finished, not being deleted. */
export function isActive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return (
    Boolean(pod.spec?.nodeName) &&
    phase !== 'Succeeded' &&
    phase !== 'Failed' &&
    !pod.metadata?.deletionTimestamp
  );
}

/** `spec.replicas` of the Deployments, StatefulSets and ReplicaSets, by workload key (unset means 1). */
function desiredReplicas(inventory: AuditInventory): Map<string, number> {
  const desired = new Map<string, number>();
  const add = (kind: string, objects: readonly (V1Deployment | V1StatefulSet | V1ReplicaSet)[]) => {
    for (const object of objects)
      desired.set(
        key(object.metadata?.namespace ?? 'default', kind, object.metadata?.name ?? ''),
        object.spec?.replicas ?? 1,
      );
  };
  add('Deployment', inventory.deployments);
  add('StatefulSet', inventory.statefulSets);
  add('ReplicaSet', inventory.replicaSets);
  return desired;
}

/**
 * Resolves every pod to its workload: `workloadOf` maps a pod to its workload key, `workloads` holds each
 * workload with its desired replicas and active pods (on any node).
 */
export function resolveWorkloads(inventory: AuditInventory): {
  workloadOf: (pod: V1Pod) => WorkloadRef;
  workloads: Map<string, Workload>;
} {
  const owners = replicaSetOwners(inventory.replicaSets);
  const desired = desiredReplicas(inventory);
  const workloads = new Map<string, Workload>();
  const resolve = (pod: V1Pod) => workloadOf(pod, owners);
  for (const pod of inventory.pods) {
    const ref = resolve(pod);
    const id = workloadKey(ref);
    let workload = workloads.get(id);
    if (!workload) {
      workload = { ref, active: [] };
      const replicas = desired.get(id);
      if (replicas !== undefined) workload.desiredReplicas = replicas;
      workloads.set(id, workload);
    }
    if (isActive(pod)) workload.active.push(pod);
  }
  return { workloadOf: resolve, workloads };
}

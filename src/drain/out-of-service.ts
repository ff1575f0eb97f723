/**
 * Kubernetes non-graceful node shutdown (https://kubernetes.io/docs/concepts/cluster-administration/node-shutdown/#non-graceful-node-shutdown):
 * the `node.kubernetes.io/out-of-service` NoExecute taint on a node whose machine is shut down makes the
 * pod garbage collector force-delete its terminating pods and the attach-detach controller detach its
 * volumes at once, instead of after the 6-minute `maxWaitForUnmountDuration`. On a machine that is still
 * running, the same taint would detach volumes under a live writer, so the patch here is written only
 * for the very node that was resolved, and only while its kubelet is not reporting.
 */
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { type NodePatch, replaceTaints } from './marks.ts';
import { kubeletAlive } from './phases/plan.ts';

/** The taint Kubernetes documents for a node that was shut down: `node.kubernetes.io/out-of-service=nodeshutdown:NoExecute`. */
export const OUT_OF_SERVICE_TAINT: Readonly<V1Taint> = {
  key: 'node.kubernetes.io/out-of-service',
  value: 'nodeshutdown',
  effect: 'NoExecute',
};

/** The node the interruption was resolved to: its object uid and `spec.providerID`. */
export interface ResolvedNodeIdentity {
  uid: string;
  providerID: string;
}

/**
 * What to do about the out-of-service taint on `current`:
 * - patch: add it (the JSON Patch tests the uid, providerID and taint list it was built from);
 * - present: the node carries it already;
 * - wait: the node's kubelet still reports Ready (the node lifecycle controller has not seen it stop yet);
 * - refuse: the node is no longer the one resolved (deleted and recreated, or another machine's now).
 */
export type OutOfServiceStep =
  | { step: 'patch'; patch: NodePatch }
  | { step: 'present' }
  | { step: 'wait'; reason: string }
  | { step: 'refuse'; reason: string };

/** The next step for `current`, which must still be `resolved`. Pure. */
export function outOfServiceStep(current: V1Node, resolved: ResolvedNodeIdentity): OutOfServiceStep {
  const uid = current.metadata?.uid ?? '';
  const providerID = current.spec?.providerID ?? '';
  if (uid !== resolved.uid) {
    return { step: 'refuse', reason: 'the node was deleted and created again since it was resolved' };
  }
  if (providerID !== resolved.providerID) {
    return { step: 'refuse', reason: `the node now names another machine (${providerID || 'none'})` };
  }
  const taints = current.spec?.taints ?? [];
  if (taints.some((taint) => taint.key === OUT_OF_SERVICE_TAINT.key)) return { step: 'present' };
  if (kubeletAlive(current)) {
    return { step: 'wait', reason: 'the node is still Ready: its kubelet still reports' };
  }
  return {
    step: 'patch',
    patch: [
      { op: 'test', path: '/metadata/uid', value: uid },
      { op: 'test', path: '/spec/providerID', value: providerID },
      ...replaceTaints(current.spec?.taints, [...taints, { ...OUT_OF_SERVICE_TAINT }]),
    ],
  };
}

/** How the drain engine behaves; read from the environment by src/config.ts (see docs/configuration.md). */

/**
 * What happens to pods still running when the interruption deadline comes:
 * - respect-pdb: keep retrying evictions; a PodDisruptionBudget is never overridden.
 * - force-delete: `forceDeleteLeadMs` before the deadline, delete the pods a PDB holds (one refusing, or
 *   several selecting the pod, which the Eviction API refuses for good).
 */
export type DeadlinePolicy = 'respect-pdb' | 'force-delete';

/** The drain engine's settings; durations in ms. Validated at cold start by src/config.ts. */
export interface DrainSettings {
  /** Log what would be done, change nothing on the cluster. */
  dryRun: boolean;
  deadlinePolicy: DeadlinePolicy;
  /**
   * With `force-delete`: how long before the deadline the pods a PDB still holds are deleted; a lead at or
   * below `deadlineSafetyMs` + 500 ms deletes them 500 ms before the work stops (src/drain/evict.ts
   * `forceDeleteAt`), never at the end of the budget, which is not reached.
   */
  forceDeleteLeadMs: number;
  /** Evict DaemonSet pods too (they are recreated on the node while it is only cordoned). */
  evictDaemonSetPods: boolean;
  /** Evict pods with emptyDir volumes, whose data is lost (kubectl drain --delete-emptydir-data). */
  deleteEmptyDirData: boolean;
  /** Eviction requests in flight at once. */
  evictionConcurrency: number;
  /** Label the node node.kubernetes.io/exclude-from-external-load-balancers while it drains. */
  excludeFromLoadBalancers: boolean;
  /** After evicting, wait until the evicted pods have left the node (or time runs out). */
  waitForEmpty: boolean;
  /**
   * Record a Kubernetes Event on each evicted pod, besides the drain's one Event on the node that names
   * them (one request per pod more; a pod force-deleted past its PodDisruptionBudget always gets one).
   */
  podEvents: boolean;
  /** Stop this long before the interruption deadline. */
  deadlineSafetyMs: number;
  /**
   * Every interruption only cordons (and taints) the node, whatever its kind's action: nothing is evicted
   * or deleted (aws-node-termination-handler `cordonOnly`). A called-off interruption is still released.
   */
  cordonOnly: boolean;
  /** Add the `spot-drainer.io/<kind>` NoSchedule taint with the cordon (aws-node-termination-handler `taintNode`). */
  taintNode: boolean;
  /**
   * Grace period, in seconds, sent with every eviction instead of the pod's own
   * `terminationGracePeriodSeconds`; -1 keeps the pod's own. Either way it is capped to end before the
   * deadline (aws-node-termination-handler `podTerminationGracePeriod`).
   */
  podTerminationGracePeriodSeconds: number;
  /**
   * Once the cloud confirms the machine is gone and the node is not Ready, taint it
   * `node.kubernetes.io/out-of-service=nodeshutdown:NoExecute` (Kubernetes non-graceful node shutdown).
   */
  outOfServiceTaint: boolean;
}

/** The defaults documented in docs/configuration.md. */
export const defaultDrainSettings: Readonly<DrainSettings> = {
  dryRun: false,
  deadlinePolicy: 'respect-pdb',
  forceDeleteLeadMs: 10_000,
  evictDaemonSetPods: false,
  deleteEmptyDirData: true,
  evictionConcurrency: 50,
  excludeFromLoadBalancers: true,
  waitForEmpty: true,
  podEvents: false,
  deadlineSafetyMs: 1_000,
  cordonOnly: false,
  taintNode: true,
  podTerminationGracePeriodSeconds: -1,
  outOfServiceTaint: false,
};

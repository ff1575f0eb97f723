/** The normalized form of every cloud event the drainer acts on. */

export type Cloud = 'aws' | 'azure';

/**
 * What the drain engine does to the node.
 * - drain: cordon and taint, then evict every evictable pod.
 * - cordon: cordon and taint only.
 * - cleanup: the machine is gone; cordon, then delete the pods left on the node at once.
 * - cordon-or-cleanup: cordon; clean up as well if the node is already NotReady.
 * - release: the interruption was called off; remove this kind's marks, and uncordon when no other
 *   interruption holds the node and the drainer was the one that cordoned it.
 */
export type DrainAction = 'drain' | 'cordon' | 'cleanup' | 'cordon-or-cleanup' | 'release';

export type InterruptionKind =
  | 'spot-interruption'
  | 'rebalance-recommendation'
  | 'instance-state-change'
  | 'lifecycle-terminate'
  | 'scheduled-change'
  | 'capacity-reservation-interruption'
  | 'scheduled-event'
  | 'resource-annotated'
  | 'availability-unavailable'
  | 'simulated-eviction';

/** How the Kubernetes node of the interrupted machine is recognised by its `spec.providerID`. */
export type MachineRef =
  /** providerID `aws:///<zone>/<instanceId>`; the zone comes from DescribeInstances when known. */
  | { cloud: 'aws'; instanceId: string; zone?: string }
  /**
   * providerID `azure://<resourceId>`, compared case-insensitively; resourceId is the normalized
   * `/subscriptions/.../virtualMachines/<name>` (or `.../virtualMachineScaleSets/<vmss>/virtualMachines/<n>`).
   */
  | { cloud: 'azure'; resourceId: string };

/** AWS Auto Scaling lifecycle hook to complete once the node is drained. */
export interface LifecycleHookRef {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  lifecycleActionToken?: string;
  instanceId: string;
}

export interface Interruption {
  cloud: Cloud;
  kind: InterruptionKind;
  /** Id of the cloud event, recorded on the node so duplicate deliveries are recognised. */
  eventId: string;
  machine: MachineRef;
  action: DrainAction;
  /** When the machine goes away; undefined when the event sets none (a rebalance recommendation). */
  deadline?: Date;
  /** The event's own timestamp. */
  eventTime: Date;
  region?: string;
  account?: string;
  /** Cloud-specific facts worth reporting (instance-action, state, scheduled event type...). */
  details: Record<string, string>;
  lifecycleHook?: LifecycleHookRef;
}

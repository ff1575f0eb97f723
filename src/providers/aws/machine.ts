/**
 * EC2 instances as the drainer names them, and how their Kubernetes node is recognised. The AWS cloud
 * provider (and Karpenter) write `spec.providerID` as `aws:///<availability-zone>/<instance-id>`.
 */
import type { Interruption, MachineRef } from '../../events/interruption.ts';

/** An EC2 instance; the zone comes from DescribeInstances or the event when known. */
export interface Ec2Machine extends MachineRef {
  readonly cloud: 'aws';
  readonly instanceId: string;
  readonly zone?: string;
}

/** An Auto Scaling lifecycle action to complete once the node is drained (CompleteLifecycleAction). */
export interface LifecycleHookRef {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  lifecycleActionToken?: string;
  instanceId: string;
}

const AWS_PROVIDER_ID = /^aws:\/\/\/([^/]+)\/([^/]+)$/;

/** `{ cloud: 'aws', instanceId }`, the machine every AWS parser names. */
export function ec2Machine(instanceId: string, zone?: string): Ec2Machine {
  return zone === undefined ? { cloud: 'aws', instanceId } : { cloud: 'aws', instanceId, zone };
}

/** Whether `machine` is an EC2 instance (narrows the shared MachineRef). */
export function isEc2Machine(machine: MachineRef): machine is Ec2Machine {
  return machine.cloud === 'aws' && typeof machine.instanceId === 'string';
}

/**
 * The provider id the node should carry. With the zone not known yet it reads `aws:///*\/<id>`: a
 * pattern for messages, not an id to look up.
 */
export function expectedEc2ProviderId(machine: Ec2Machine): string {
  return `aws:///${machine.zone ?? '*'}/${machine.instanceId}`;
}

/**
 * Whether a node's `spec.providerID` names the instance. Whole ids are compared, never substrings:
 * `i-0abc` does not match a node of `i-0abcd...`; the zone is compared when known.
 */
export function ec2ProviderIdMatches(machine: Ec2Machine, providerID: string): boolean {
  const match = AWS_PROVIDER_ID.exec(providerID);
  if (!match) return false;
  const [, zone, instanceId] = match;
  return instanceId === machine.instanceId && (machine.zone === undefined || zone === machine.zone);
}

/** The details keys a lifecycle-action interruption carries (set by the lifecycle parser). */
export const LIFECYCLE_DETAILS = {
  group: 'AutoScalingGroupName',
  hook: 'LifecycleHookName',
  token: 'LifecycleActionToken',
} as const;

/**
 * The lifecycle action an interruption holds open, read back from its details; undefined for every
 * other kind of interruption.
 */
export function lifecycleHookOf(interruption: Interruption): LifecycleHookRef | undefined {
  if (interruption.kind !== 'lifecycle-terminate' || !isEc2Machine(interruption.machine)) return undefined;
  const group = interruption.details[LIFECYCLE_DETAILS.group];
  const hook = interruption.details[LIFECYCLE_DETAILS.hook];
  if (!group || !hook) return undefined;
  const token = interruption.details[LIFECYCLE_DETAILS.token];
  return {
    autoScalingGroupName: group,
    lifecycleHookName: hook,
    ...(token ? { lifecycleActionToken: token } : {}),
    instanceId: interruption.machine.instanceId,
  };
}

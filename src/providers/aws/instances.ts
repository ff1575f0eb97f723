import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  type EC2Client,
} from '@aws-sdk/client-ec2';

/**
 * What DescribeInstances tells about one instance: its private DNS name (the node name under the EKS default
 * naming), zone (for `aws:///<zone>/<id>` provider ids), state, tags, and the EKS cluster the tags name.
 */
export interface InstanceFacts {
  instanceId: string;
  /** Empty for an instance that has terminated; undefined then. */
  privateDnsName?: string;
  zone?: string;
  /** pending | running | shutting-down | terminated | stopping | stopped */
  state?: string;
  tags: Record<string, string>;
  clusterName?: string;
}

const CLUSTER_TAG_PREFIX = 'kubernetes.io/cluster/';
/** Tags that carry the cluster name as their value, in order of preference. */
const CLUSTER_NAME_TAGS = [
  'eks:cluster-name', // managed node groups
  'aws:eks:cluster-name', // set by EKS on managed node group instances
  'eks:eks-cluster-name', // Karpenter v1
] as const;
const CLUSTER_TAG_VALUES: ReadonlySet<string> = new Set(['owned', 'shared']);

/**
 * One DescribeInstances call. Resolves undefined when EC2 no longer knows the instance: it is gone,
 * which is not worth a retry. Throttling and server errors propagate so the caller retries.
 */
export async function describeInstance(
  client: EC2Client,
  instanceId: string,
): Promise<InstanceFacts | undefined> {
  let output: DescribeInstancesCommandOutput;
  try {
    output = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidInstanceID.NotFound') return undefined;
    throw error;
  }

  const instance = output.Reservations?.flatMap((reservation) => reservation.Instances ?? []).find(
    (candidate) => candidate.InstanceId === instanceId,
  );
  if (!instance) return undefined;

  const tags: Record<string, string> = {};
  for (const { Key, Value } of instance.Tags ?? []) {
    if (Key !== undefined) tags[Key] = Value ?? '';
  }
  const clusterName = clusterNameFromTags(tags);
  return {
    instanceId,
    ...(instance.PrivateDnsName ? { privateDnsName: instance.PrivateDnsName } : {}),
    ...(instance.Placement?.AvailabilityZone ? { zone: instance.Placement.AvailabilityZone } : {}),
    ...(instance.State?.Name ? { state: instance.State.Name } : {}),
    tags,
    ...(clusterName ? { clusterName } : {}),
  };
}

/** The EKS cluster an instance belongs to, from the tags EKS, Karpenter or the cloud provider put on it. */
export function clusterNameFromTags(tags: Readonly<Record<string, string>>): string | undefined {
  for (const key of CLUSTER_NAME_TAGS) {
    const value = tags[key];
    if (value) return value;
  }
  const fromOwnershipTags = new Set(
    Object.entries(tags)
      .filter(([key, value]) => key.startsWith(CLUSTER_TAG_PREFIX) && CLUSTER_TAG_VALUES.has(value))
      .map(([key]) => key.slice(CLUSTER_TAG_PREFIX.length))
      .filter((name) => name !== ''),
  );
  // Tags naming two clusters leave the answer open; guessing would drain a node in the wrong cluster.
  return fromOwnershipTags.size === 1 ? [...fromOwnershipTags][0] : undefined;
}

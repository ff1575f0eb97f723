/**
 * Which EKS cluster an EC2 instance belongs to, and how to reach it: the cluster named by the instance's
 * `eks:cluster-name` / `kubernetes.io/cluster/<name>` tags (read by DescribeInstances) or by
 * SPOT_DRAINER_CLUSTER_NAME, with an IAM token (aws-iam-authenticator's presigned STS
 * GetCallerIdentity); or any cluster through a kubeconfig from SSM Parameter Store or Secrets Manager.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Config } from '../../config.ts';
import type { ClusterAccess } from '../../kube/client.ts';
import { clusterAccessFromSource } from '../../kube/kubeconfig-source.ts';
import type { SecretReaders } from '../../secrets.ts';
import { describeEksCluster } from './eks-cluster.ts';
import { eksTokenProvider } from './eks-token.ts';
import type { InstanceFacts } from './instances.ts';

/** The cluster an instance belongs to, or why it is not one this deployment drains. */
export type ClusterIdentity = { cluster: string } | { notOurs: string };

/**
 * Decides from the settings and what DescribeInstances said (undefined when not looked up or not found)
 * whether the instance is this deployment's, and in which cluster. Pure.
 */
export function identifyCluster(
  config: Pick<Config, 'clusterName' | 'managedTag'>,
  facts: InstanceFacts | undefined,
  instanceId: string,
): ClusterIdentity {
  if (!facts) {
    return config.clusterName
      ? { cluster: config.clusterName }
      : {
          notOurs: `instance ${instanceId} not described (not found, or SPOT_DRAINER_INSTANCE_LOOKUP=none) and SPOT_DRAINER_CLUSTER_NAME is not set`,
        };
  }
  if (config.clusterName && facts.clusterName && facts.clusterName !== config.clusterName) {
    return {
      notOurs: `instance ${instanceId} belongs to cluster ${facts.clusterName}, not ${config.clusterName}`,
    };
  }
  const tag = config.managedTag;
  if (
    tag &&
    (facts.tags[tag.key] === undefined || (tag.value !== undefined && facts.tags[tag.key] !== tag.value))
  ) {
    return {
      notOurs: `instance ${instanceId} lacks the managed tag ${tag.key}${tag.value === undefined ? '' : `=${tag.value}`}`,
    };
  }
  const cluster = config.clusterName ?? facts.clusterName;
  return cluster ? { cluster } : { notOurs: `instance ${instanceId} names no cluster in its tags` };
}

/** What reaching a cluster needs. */
export interface EksAccessOptions {
  /** SPOT_DRAINER_KUBECONFIG_SOURCE: when set, every cluster is reached through that kubeconfig. */
  kubeconfigSource?: string;
  region: string;
  eks: () => EKSClient;
  credentials?: AwsCredentialIdentityProvider;
  readers: SecretReaders;
}

/**
 * The client-cache key and access for `cluster`: the kubeconfig source when configured, else the EKS
 * endpoint (DescribeCluster) with a fresh IAM token per request as the EKS authenticator expects.
 */
export function eksClusterAccess(
  cluster: string,
  options: EksAccessOptions,
): { key: string; access: () => Promise<ClusterAccess> } {
  const source = options.kubeconfigSource;
  if (source)
    return { key: `kubeconfig:${source}`, access: () => clusterAccessFromSource(source, options.readers) };
  return {
    key: `eks:${options.region}:${cluster}`,
    access: async () => {
      const endpoint = await describeEksCluster(options.eks(), cluster);
      return {
        server: endpoint.endpoint,
        caPem: Buffer.from(endpoint.caData, 'base64').toString('utf8'),
        token: eksTokenProvider({
          clusterName: cluster,
          region: options.region,
          credentials: options.credentials,
        }),
      };
    },
  };
}

/**
 * What `spot-drainer audit` reads from the cluster, as the kubeconfig's own identity (list on nodes, pods,
 * poddisruptionbudgets, replicasets, deployments and statefulsets, cluster-wide): the spot nodes, by the
 * standard capacity-type labels or the user's label selector, and the objects that decide how their pods
 * fare in a drain.
 */
import type {
  V1Deployment,
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.ts';
import { describeApiError, isStatus } from '../kube/errors.ts';
import type { AuditInventory } from './audit-workloads.ts';
import { UsageError } from './input.ts';

/**
 * The labels the managed node pools put on spot nodes: EKS managed node groups, Karpenter NodePools, AKS
 * spot node pools (https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html#managed-node-group-capacity-types,
 * https://karpenter.sh/docs/concepts/scheduling/#well-known-labels,
 * https://learn.microsoft.com/azure/aks/spot-node-pool).
 */
export const SPOT_NODE_LABELS: Readonly<Record<string, string>> = {
  'eks.amazonaws.com/capacityType': 'SPOT',
  'karpenter.sh/capacity-type': 'spot',
  'kubernetes.azure.com/scalesetpriority': 'spot',
};

/** Whether a node carries one of {@link SPOT_NODE_LABELS} with its spot value. */
export function isSpotNode(node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return Object.entries(SPOT_NODE_LABELS).some(([key, value]) => labels[key] === value);
}

interface List<T> {
  items?: T[];
  metadata?: { continue?: string };
}

/** Every item of a list, 500 per request, following `continue` tokens. Rejects with the API error. */
async function listAll<T>(kube: KubeClient, path: string, labelSelector?: string): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await kube.request<List<T>>('GET', path, {
      query: { limit: 500, continue: token, labelSelector },
    });
    items.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token);
  return items;
}

/**
 * The spot nodes: those matching `selector` (a Kubernetes label selector) when given, else those with a
 * standard spot label. A selector the API server rejects is a UsageError.
 */
export async function spotNodes(kube: KubeClient, selector: string | undefined): Promise<V1Node[]> {
  try {
    const nodes = await listAll<V1Node>(kube, '/api/v1/nodes', selector);
    return selector ? nodes : nodes.filter(isSpotNode);
  } catch (error) {
    if (selector && isStatus(error, 400))
      throw new UsageError(
        `--selector ${selector}: not a label selector the API server accepts (${describeApiError(error).message})`,
      );
    throw error;
  }
}

/**
 * Reads the inventory the audit needs: the spot nodes, then every pod, PodDisruptionBudget, ReplicaSet,
 * Deployment and StatefulSet of the cluster (at once). Rejects with the first API error (e.g. 403 when the
 * identity may not list one of them).
 */
export async function readInventory(
  kube: KubeClient,
  selector: string | undefined,
): Promise<AuditInventory & { nodes: V1Node[] }> {
  const nodes = await spotNodes(kube, selector);
  const spot = new Set(nodes.map((node) => node.metadata?.name ?? ''));
  if (spot.size === 0)
    return {
      nodes,
      spotNodes: spot,
      pods: [],
      budgets: [],
      replicaSets: [],
      deployments: [],
      statefulSets: [],
    };
  const [pods, budgets, replicaSets, deployments, statefulSets] = await Promise.all([
    listAll<V1Pod>(kube, '/api/v1/pods'),
    listAll<V1PodDisruptionBudget>(kube, '/apis/policy/v1/poddisruptionbudgets'),
    listAll<V1ReplicaSet>(kube, '/apis/apps/v1/replicasets'),
    listAll<V1Deployment>(kube, '/apis/apps/v1/deployments'),
    listAll<V1StatefulSet>(kube, '/apis/apps/v1/statefulsets'),
  ]);
  return { nodes, spotNodes: spot, pods, budgets, replicaSets, deployments, statefulSets };
}

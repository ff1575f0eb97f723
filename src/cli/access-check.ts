/**
 * What a dry run checks besides the plan: that every write the real run would make is allowed, asked of
 * the API server as SelfSubjectAccessReviews for the kubeconfig's own identity (the answer RBAC, a
 * webhook or any other authorizer would give the real requests).
 */
import type { DrainReport } from '../drain/report.ts';
import type { KubeClient } from '../kube/client.ts';

/** One write the run would make, and whether the server would allow it. */
export interface AccessCheck {
  verb: string;
  /** `pods`, `pods/eviction`, `nodes`, `events`. */
  resource: string;
  /** The API group; '' is the core group. */
  group: string;
  namespace?: string;
  name?: string;
  allowed: boolean;
  /** The authorizer's reason, or why the review itself failed. */
  reason?: string;
}

type Wanted = Omit<AccessCheck, 'allowed' | 'reason'>;

/**
 * The writes a report's real run would make: the node patch and its events (namespace default, where the
 * kubelet records its own), and (unless it only cordons) per namespace of the pods to evict: the eviction, the delete (cleanup and
 * the force-delete policy) and the pods' events. A release only patches the node and records an event.
 */
export function plannedWrites(report: DrainReport): Wanted[] {
  const writes: Wanted[] = [
    { verb: 'patch', resource: 'nodes', group: '', name: report.node },
    { verb: 'create', resource: 'events', group: '', namespace: 'default' },
  ];
  if (report.action === 'release' || report.action === 'cordon') return writes;
  const namespaces = [
    ...new Set(report.pods.filter((pod) => pod.disposition === 'evict').map((pod) => pod.namespace)),
  ].sort();
  for (const namespace of namespaces) {
    writes.push(
      { verb: 'create', resource: 'pods/eviction', group: '', namespace },
      { verb: 'delete', resource: 'pods', group: '', namespace },
    );
    if (namespace !== 'default') writes.push({ verb: 'create', resource: 'events', group: '', namespace });
  }
  return writes;
}

interface ReviewStatus {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

async function review(kube: KubeClient, write: Wanted): Promise<AccessCheck> {
  const [resource, subresource] = write.resource.split('/');
  try {
    const answer = await kube.request<ReviewStatus>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              verb: write.verb,
              group: write.group,
              resource,
              ...(subresource ? { subresource } : {}),
              ...(write.namespace ? { namespace: write.namespace } : {}),
              ...(write.name ? { name: write.name } : {}),
            },
          },
        },
      },
    );
    const reason = answer.status?.reason || answer.status?.evaluationError;
    return { ...write, allowed: answer.status?.allowed === true, ...(reason ? { reason } : {}) };
  } catch (error) {
    return { ...write, allowed: false, reason: `the access review failed: ${(error as Error).message}` };
  }
}

/** Asks the server about each planned write; the checks come back in the order of `writes`. */
export function checkWrites(kube: KubeClient, writes: readonly Wanted[]): Promise<AccessCheck[]> {
  return Promise.all(writes.map((write) => review(kube, write)));
}

/** `create pods/eviction in namespace shop`, `patch nodes/ip-10-0-1-7`. */
export function describeWrite(check: Wanted): string {
  const what = `${check.verb} ${check.resource}${check.name ? `/${check.name}` : ''}`;
  const group = check.group ? ` (${check.group})` : '';
  return `${what}${group}${check.namespace ? ` in namespace ${check.namespace}` : ''}`;
}

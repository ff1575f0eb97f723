import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { KubeCore } from '../kube/client.ts';
import { classifyError, DISRUPTION_BUDGET_REFUSAL, type ErrorClassification } from '../kube/errors.ts';

/**
 * What an Eviction API refusal means (kubernetes pkg/registry/core/pod/storage/eviction.go, and the
 * admission and flow-control layers in front of it):
 * - `pdb`: 429 TooManyRequests with cause DisruptionBudget, "Cannot evict pod as it would violate the
 *   pod's disruption budget." (or the budget is still being processed): a PDB holds the pod; worth
 *   retrying until the deadline, and the force-delete policy may act on it.
 * - `multiple-pdbs`: 500 "This pod has more than one PodDisruptionBudget, which the eviction subresource
 *   does not support.": no retry can succeed while both budgets exist; the pod is held by PDBs for good,
 *   so only the force-delete policy can move it.
 * - `throttled`: 429 from API Priority and Fairness (no DisruptionBudget cause), with Retry-After: retry.
 * - `changed`: 409, a UID or resourceVersion precondition failed: read the pod again and retry.
 * - `gone`: 404, the pod no longer exists.
 * - `namespace-terminating`: 403 "... because it is being terminated": the namespace controller deletes
 *   the pod; no eviction can be created there, so it is not retried.
 * - `forbidden`: any other 401/403 (RBAC, admission webhooks): retried for the forbidden grace period.
 * - `invalid`: 400/422 (bad request, invalid eviction): permanent.
 * - `transient`: other 5xx and network failures: retry.
 * - `permanent`: anything else.
 */
export type EvictionRefusal =
  | 'pdb'
  | 'multiple-pdbs'
  | 'throttled'
  | 'changed'
  | 'gone'
  | 'namespace-terminating'
  | 'forbidden'
  | 'invalid'
  | 'transient'
  | 'permanent';

interface StatusBody {
  reason?: string;
  message?: string;
  details?: { causes?: { reason?: string; type?: string; message?: string }[] };
}

function statusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return parsed && typeof parsed === 'object' ? (parsed as StatusBody) : { message: body };
    } catch {
      return { message: body };
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : {};
}

/** The Status `message` and its causes' reasons and messages, as one text to match. */
function statusText(error: unknown, classification: ErrorClassification): string {
  const status = statusBody((error as { body?: unknown } | undefined)?.body);
  const causes = (status.details?.causes ?? []).map(
    (cause) => `${cause.reason ?? cause.type ?? ''} ${cause.message ?? ''}`,
  );
  return [classification.message, status.message ?? '', ...causes].join('\n');
}

/** The kind of refusal `error` (a failed Eviction API call) is; `classification` is `classifyError(error)`. */
export function classifyEvictionRefusal(
  error: unknown,
  classification: ErrorClassification = classifyError(error),
): EvictionRefusal {
  const { status } = classification;
  if (status === undefined) return classification.class === 'transient' ? 'transient' : 'permanent';
  const text = statusText(error, classification);
  if (status === 429) return DISRUPTION_BUDGET_REFUSAL.test(text) ? 'pdb' : 'throttled';
  if (status === 500 && /more than one PodDisruptionBudget/i.test(text)) return 'multiple-pdbs';
  if (status >= 500) return 'transient';
  if (status === 409) return 'changed';
  if (status === 404 || status === 410) return 'gone';
  if (status === 403 && /because it is being terminated/i.test(text)) return 'namespace-terminating';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 400 || status === 422) return 'invalid';
  return 'permanent';
}

/** Whether a PodDisruptionBudget holds the pod (one refusing, or several the API cannot handle). */
export function heldByPdb(refusal: EvictionRefusal | undefined): boolean {
  return refusal === 'pdb' || refusal === 'multiple-pdbs';
}

/** A label selector (matchLabels and matchExpressions), as PodDisruptionBudgets carry it. */
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * Whether `selector` selects an object with `labels` (policy/v1 semantics: an empty selector selects
 * everything, a missing one nothing).
 */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const matches =
      operator === 'In'
        ? has && values.includes(labels[key] ?? '')
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key] ?? '')
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : false;
    if (!matches) return false;
  }
  return true;
}

/**
 * The budgets of `budgets` that select `pod` as the Eviction API finds them: those of the pod's own
 * namespace (`namespace`, by default the pod's) whose selector matches its labels. More than one, and the API refuses to evict it (500).
 */
export function budgetsSelecting(
  budgets: readonly V1PodDisruptionBudget[],
  pod: V1Pod,
  namespace = pod.metadata?.namespace ?? 'default',
): V1PodDisruptionBudget[] {
  const labels = pod.metadata?.labels ?? {};
  return budgets.filter(
    (budget) =>
      (budget.metadata?.namespace ?? namespace) === namespace &&
      selectorMatches(budget.spec?.selector, labels),
  );
}

/**
 * Names (namespace/name) of the PodDisruptionBudgets selecting `pod`, for the report of a pod the Eviction
 * API refuses because more than one does. Never throws: undefined when they cannot be listed.
 */
export async function pdbsSelecting(
  core: KubeCore,
  pod: { namespace: string; pod: V1Pod },
): Promise<string[] | undefined> {
  if (!core.listNamespacedPodDisruptionBudget) return undefined;
  try {
    const list = await core.listNamespacedPodDisruptionBudget({ namespace: pod.namespace });
    return budgetsSelecting(list.items ?? [], pod.pod, pod.namespace)
      .map((budget) => `${pod.namespace}/${budget.metadata?.name ?? '?'}`)
      .sort();
  } catch {
    return undefined;
  }
}

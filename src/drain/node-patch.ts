import type { V1Node } from '@kubernetes/client-node';
import type { KubeCore } from '../kube/client.ts';
import { admissionDenial } from '../kube/errors.ts';
import { withAttempts } from './attempts.ts';
import type { BackoffOptions } from './backoff.ts';
import type { TimeBudget } from './budget.ts';
import type { NodePatch } from './marks.ts';

const JSON_PATCH = 'application/json-patch+json';
/** Patches rebuilt after conflicts before the conflict is believed. */
const MAX_CONFLICTS = 10;

/** How `patchNode` ended: the node as written (or as read, when nothing needed writing). */
export interface NodePatchResult {
  node: V1Node;
  /** False when `build` found every change already in place. */
  wrote: boolean;
}

/**
 * Applies a JSON Patch (RFC 6902, `application/json-patch+json`) built by `build` from the node as last
 * read. Someone else writing the node first makes the patch's `test` fail (422) or conflict (409); the node
 * is then read again and the patch rebuilt at once, up to 10 times. An admission denial (a
 * ValidatingAdmissionPolicy or webhook, `admissionDenial`) is not retried. Transient failures, throttling and
 * short-lived 403s are retried with backoff within `budget` (`withAttempts`). Rejects with the last API
 * error otherwise (a persisting conflict included).
 */
export async function patchNode(
  core: KubeCore,
  node: V1Node,
  budget: TimeBudget,
  backoff: BackoffOptions | undefined,
  build: (current: V1Node) => NodePatch | undefined,
): Promise<NodePatchResult> {
  const name = node.metadata?.name ?? '';
  let current = node;
  let stale = false;
  let conflicts = 0;
  return withAttempts(
    budget,
    async () => {
      if (stale) {
        current = await core.readNode({ name });
        stale = false;
      }
      const patch = build(current);
      if (!patch) return { node: current, wrote: false };
      const updated = await core.patchNode({ name, body: patch, contentType: JSON_PATCH });
      return { node: updated, wrote: true };
    },
    {
      backoff,
      decide: ({ error, classification, retryByDefault }) => {
        // An admission denial is not a concurrent writer, and the same patch would be denied again.
        if (admissionDenial(error) !== undefined) return { retry: false };
        if (classification.class !== 'conflict' || stale) return { retry: retryByDefault };
        stale = true;
        return { retry: ++conflicts <= MAX_CONFLICTS, immediate: true };
      },
    },
  );
}

import type { V1Node } from '@kubernetes/client-node';
import type { KubeCore } from './client.ts';
import { isStatus } from './errors.ts';

/** How a node of the interrupted machine is recognised; the machine's cloud provider supplies it. */
export interface ProviderIdMatcher {
  /** Whether a node's `spec.providerID` names the machine (whole ids, never substrings). */
  matches(providerID: string): boolean;
  /** The provider id looked for, for messages (`aws:///*\/i-0abc…`). */
  describe: string;
}

/** Thrown when more than one node claims the machine: the drainer never guesses between them. */
export class AmbiguousNodeError extends Error {
  override name = 'AmbiguousNodeError';
}

/** Options of resolveNode. */
export interface ResolveOptions {
  /** The node's likely name (EC2 private DNS name, AKS computer name): one GET instead of a list. */
  nameHint?: string;
  pageSize?: number;
}

/**
 * What resolution found:
 * - found: the one node whose `spec.providerID` names the machine;
 * - absent: no node names it, and none could (the node is gone, or was never this cluster's);
 * - unresolved: no node names it yet, but the node the name hint points at has no `spec.providerID`:
 *   a node that has just joined and will carry the id within seconds. Never drained on the name alone.
 */
export type NodeResolution =
  | { status: 'found'; node: V1Node }
  | { status: 'absent' }
  | { status: 'unresolved'; nodeName: string };

/**
 * Finds the node whose spec.providerID names the machine. The name hint is only a fast path: the node it
 * names is used only if its provider id matches. Rejects with AmbiguousNodeError when two nodes match
 * (never a guess), and with the API error when the API server cannot be read.
 */
export async function resolveNode(
  core: KubeCore,
  machine: ProviderIdMatcher,
  options: ResolveOptions = {},
): Promise<NodeResolution> {
  let hinted: V1Node | undefined;
  if (options.nameHint) {
    try {
      hinted = await core.readNode({ name: options.nameHint });
      if (machine.matches(hinted.spec?.providerID ?? '')) return { status: 'found', node: hinted };
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
  const matches: V1Node[] = [];
  let continueToken: string | undefined;
  do {
    const page = await core.listNode({ limit: options.pageSize ?? 500, _continue: continueToken });
    matches.push(...page.items.filter((node) => machine.matches(node.spec?.providerID ?? '')));
    continueToken = page.metadata?._continue || undefined;
  } while (continueToken);
  if (matches.length > 1) {
    throw new AmbiguousNodeError(
      `${matches.length} nodes match ${machine.describe}: ${matches.map((node) => node.metadata?.name).join(', ')}`,
    );
  }
  const [node] = matches;
  if (node) return { status: 'found', node };
  if (hinted && !hinted.spec?.providerID)
    return { status: 'unresolved', nodeName: hinted.metadata?.name ?? '' };
  return { status: 'absent' };
}

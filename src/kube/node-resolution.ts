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
 * Finds the node whose spec.providerID names the machine. The name hint is only a fast path: the node it
 * names is used only if its provider id matches. No match: undefined (the node may already be gone);
 * two matches: an error. Never a guess.
 */
export async function resolveNode(
  core: KubeCore,
  machine: ProviderIdMatcher,
  options: ResolveOptions = {},
): Promise<V1Node | undefined> {
  if (options.nameHint) {
    try {
      const node = await core.readNode({ name: options.nameHint });
      if (machine.matches(node.spec?.providerID ?? '')) return node;
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
  return matches[0];
}

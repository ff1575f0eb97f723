/** Secret-reference settings checked once, at cold start, against the providers that will read them. */

import type { CloudProvider } from '../providers/provider.ts';
import { secretScheme } from '../secrets.ts';

/** A setting that names a secret this function cannot read, or names it malformed. */
export class SecretReferenceError extends Error {
  override name = 'SecretReferenceError';
}

/**
 * Throws SecretReferenceError naming the first setting (by its variable) whose value is a secret
 * reference that none of `providers` reads, or that its provider finds malformed. Plain URLs, `file:`
 * and unset settings pass. The values themselves never appear in the message beyond the reference.
 */
export function checkSecretReferences(
  settings: Readonly<Record<string, string | undefined>>,
  providers: readonly CloudProvider[],
): void {
  for (const [variable, value] of Object.entries(settings)) {
    const scheme = value === undefined ? undefined : secretScheme(value.trim());
    if (!value || !scheme) continue;
    const provider = providers.find((candidate) => scheme in candidate.secretReaders);
    if (!provider) {
      const readable = providers.flatMap((candidate) =>
        Object.keys(candidate.secretReaders).map((s) => `${s}:`),
      );
      throw new SecretReferenceError(
        `${variable}: ${scheme}: references cannot be read by this function (it reads ${readable.join(', ') || 'none'})`,
      );
    }
    const problem = provider.secretReferenceProblem(value.trim());
    if (problem) throw new SecretReferenceError(`${variable}: ${problem}`);
  }
}

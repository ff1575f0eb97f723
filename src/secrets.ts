/**
 * Secrets named by reference, `<scheme>:<what>` (`ssm:/spot-drainer/kubeconfig`,
 * `secretsmanager:prod/kubeconfig`, `keyvault:https://v.vault.azure.net/secrets/kubeconfig`). Each
 * provider reads its own schemes; an entry point passes only its cloud's readers, so neither function
 * bundle carries the other cloud's SDK.
 */

/** Reads the secret a reference names; rejects with the store's error when it cannot. */
export type SecretReader = (reference: string) => Promise<string>;

/** Readers by scheme (`ssm`, `secretsmanager`, `keyvault`). */
export type SecretReaders = Readonly<Record<string, SecretReader>>;

const REFERENCE = /^([a-z][a-z0-9]*):(.+)$/;
const NOT_SECRET_SCHEMES = new Set(['http', 'https', 'file']);

/** The scheme of a secret reference (`ssm`), or undefined for a URL, a file or anything else. */
export function secretScheme(value: string): string | undefined {
  const match = REFERENCE.exec(value);
  if (!match?.[1] || NOT_SECRET_SCHEMES.has(match[1])) return undefined;
  return match[1];
}

/**
 * The reader for `reference`. Throws an Error naming the scheme and the schemes this function can read
 * when none of `readers` handles it.
 */
export function readerFor(reference: string, readers: SecretReaders): SecretReader {
  const scheme = secretScheme(reference) ?? reference.slice(0, Math.max(0, reference.indexOf(':')));
  const reader = readers[scheme];
  if (!reader) {
    const known = Object.keys(readers);
    throw new Error(
      `${scheme}: references cannot be read here (this function reads ${known.length ? known.map((s) => `${s}:`).join(', ') : 'no secret store'})`,
    );
  }
  return reader;
}

/**
 * Reading a secret by reference (`ssm:`, `secretsmanager:`, `keyvault:`): each cloud's entry point
 * passes only its own store, so neither function bundle carries the other cloud's SDK.
 */
export type SecretReader = (reference: string) => Promise<string>;

export interface SecretReaders {
  /** `ssm:` and `secretsmanager:` references. */
  aws?: SecretReader;
  /** `keyvault:` references. */
  keyVault?: SecretReader;
}

export function readerFor(reference: string, readers: SecretReaders): SecretReader {
  const scheme = reference.slice(0, reference.indexOf(':'));
  const reader =
    scheme === 'keyvault'
      ? readers.keyVault
      : scheme === 'ssm' || scheme === 'secretsmanager'
        ? readers.aws
        : undefined;
  if (!reader)
    throw new Error(
      `${scheme}: references cannot be read here (this function reads ${Object.keys(readers).join(' and ') || 'no secret store'})`,
    );
  return reader;
}

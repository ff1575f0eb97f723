/** Test helper: a secret-URL resolver over stand-in secret stores. */
import type { SecretReader } from '../secrets.ts';
import { createSecretUrlResolver, type SecretUrlResolver } from './secret-url.ts';

/** A resolver whose AWS (`ssm:`, `secretsmanager:`) and Key Vault (`keyvault:`) references are read by the given readers. */
export function resolverReading(stores: {
  readAwsReference?: SecretReader;
  readKeyVaultReference?: SecretReader;
}): SecretUrlResolver {
  const readers: Record<string, SecretReader> = {};
  if (stores.readAwsReference) {
    Object.assign(readers, { ssm: stores.readAwsReference, secretsmanager: stores.readAwsReference });
  }
  if (stores.readKeyVaultReference) readers.keyvault = stores.readKeyVaultReference;
  return createSecretUrlResolver({ readers });
}

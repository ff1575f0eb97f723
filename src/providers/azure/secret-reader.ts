import type { SecretReader } from '../../secrets.ts';

/** `keyvault:` references; the Key Vault SDK and the identity library load on first use. */
export const keyVaultSecretReader: SecretReader = async (reference) =>
  (await import('./keyvault-kubeconfig.ts')).readKeyVaultKubeconfig(reference);

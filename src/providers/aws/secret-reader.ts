import type { SecretReader } from '../../secrets.ts';

/** `ssm:` and `secretsmanager:` references; the SDK clients load on first use. */
export const awsSecretReader: SecretReader = async (reference) =>
  (await import('./kubeconfig-secret.ts')).readKubeconfigReference(reference);

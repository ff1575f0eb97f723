import { readFile } from 'node:fs/promises';
import type { ClusterAccess } from './client.ts';

/**
 * Cluster access from SPOT_DRAINER_KUBECONFIG_SOURCE: `file:`, `ssm:`, `secretsmanager:` or `keyvault:`.
 * Each store's SDK (and the kubeconfig parser) is loaded only when a deployment uses it, keeping the
 * functions' cold start free of code most of them never run.
 */
export async function clusterAccessFromSource(source: string): Promise<ClusterAccess> {
  const [scheme] = source.split(':', 1);
  let text: string;
  switch (scheme) {
    case 'file':
      text = await readFile(source.slice('file:'.length), 'utf8');
      break;
    case 'ssm':
    case 'secretsmanager':
      text = await (await import('../cloud/aws/kubeconfig-secret.ts')).readKubeconfigReference(source);
      break;
    case 'keyvault':
      text = await (await import('../cloud/azure/keyvault-kubeconfig.ts')).readKeyVaultKubeconfig(source);
      break;
    default:
      throw new Error(
        `SPOT_DRAINER_KUBECONFIG_SOURCE: unknown scheme ${scheme}: (expected file:, ssm:, secretsmanager: or keyvault:)`,
      );
  }
  const { clusterAccessFromKubeconfig } = await import('./kubeconfig.ts');
  return clusterAccessFromKubeconfig(text);
}

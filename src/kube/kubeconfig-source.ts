import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readerFor, type SecretReaders } from '../secrets.ts';
import type { ClusterAccess } from './client.ts';

/**
 * Cluster access from SPOT_DRAINER_KUBECONFIG_SOURCE: `file:<path>`, or a secret store reference the
 * function can read. Store SDKs and the kubeconfig parser load only when a deployment uses them.
 */
export async function clusterAccessFromSource(
  source: string,
  readers: SecretReaders,
): Promise<ClusterAccess> {
  const path = source.startsWith('file:') ? source.slice('file:'.length) : undefined;
  const text = path !== undefined ? await readFile(path, 'utf8') : await readerFor(source, readers)(source);
  const { clusterAccessFromKubeconfig } = await import('./kubeconfig.ts');
  return clusterAccessFromKubeconfig(text, { baseDir: path === undefined ? undefined : dirname(path) });
}

import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAccess } from './client.ts';

function pem(data: string | undefined, file: string | undefined): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (file) return readFileSync(file, 'utf8');
  return undefined;
}

/**
 * Cluster access from a kubeconfig (a secret store's copy, or a local file for replay): server, pinned CA,
 * and the user's token or client certificate. Exec and auth-provider users are asked for a fresh
 * Authorization header per request through client-node. TLS verification cannot be switched off here.
 */
export function clusterAccessFromKubeconfig(text: string, context?: string): ClusterAccess {
  const config = new KubeConfig();
  config.loadFromString(text);
  if (context) config.setCurrentContext(context);
  const cluster = config.getCurrentCluster();
  const user = config.getCurrentUser();
  if (!cluster)
    throw new Error(`kubeconfig has no cluster for context ${context ?? config.getCurrentContext()}`);
  if (cluster.skipTLSVerify) {
    throw new Error(
      `kubeconfig cluster ${cluster.name} sets insecure-skip-tls-verify; spot-drainer always verifies TLS`,
    );
  }
  const access: ClusterAccess = {
    server: cluster.server,
    caPem: pem(cluster.caData, cluster.caFile),
    tlsServerName: cluster.tlsServerName,
    clientCertPem: pem(user?.certData, user?.certFile),
    clientKeyPem: pem(user?.keyData, user?.keyFile),
  };
  if (user?.token) {
    const token = user.token;
    access.token = async () => token;
  } else if (user?.exec || user?.authProvider) {
    access.token = async () => {
      const options: { headers?: Record<string, string> } = { headers: {} };
      await config.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
      const header = options.headers?.Authorization ?? '';
      return header.replace(/^Bearer\s+/i, '');
    };
  }
  return access;
}

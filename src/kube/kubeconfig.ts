import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { load } from 'js-yaml';
import type { ClusterAccess } from './client.ts';

interface NamedCluster {
  name: string;
  cluster?: {
    server?: string;
    'certificate-authority-data'?: string;
    'certificate-authority'?: string;
    'insecure-skip-tls-verify'?: boolean;
    'tls-server-name'?: string;
  };
}

interface NamedUser {
  name: string;
  user?: {
    token?: string;
    tokenFile?: string;
    'client-certificate-data'?: string;
    'client-key-data'?: string;
    'client-certificate'?: string;
    'client-key'?: string;
    exec?: unknown;
    'auth-provider'?: unknown;
  };
}

interface KubeconfigDocument {
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: Array<{ name: string; context?: { cluster?: string; user?: string } }>;
  'current-context'?: string;
}

/**
 * One context of a kubeconfig (the Kubernetes `clientcmd` v1 Config format) with its cluster and user
 * entries, each carrying its own `name`; the user is empty when the context names none.
 */
export interface KubeconfigEntry {
  context: string;
  cluster: NonNullable<NamedCluster['cluster']> & { name: string };
  user: NonNullable<NamedUser['user']> & { name: string };
}

/** The cluster and user of a kubeconfig's context (its current one by default). */
export function kubeconfigEntry(text: string, contextName?: string): KubeconfigEntry {
  let document: KubeconfigDocument;
  try {
    document = (load(text) ?? {}) as KubeconfigDocument;
  } catch {
    // The parser's message may quote the document, which can hold a credential.
    throw new Error('the kubeconfig is not valid YAML');
  }
  const name = contextName ?? document['current-context'];
  const context = document.contexts?.find((entry) => entry.name === name)?.context;
  if (!name || !context)
    throw new Error(`the kubeconfig has no context ${name ?? '(current-context is not set)'}`);
  const cluster = document.clusters?.find((entry) => entry.name === context.cluster);
  if (!cluster?.cluster?.server)
    throw new Error(`the kubeconfig has no server for cluster ${context.cluster}`);
  const user = document.users?.find((entry) => entry.name === context.user);
  return {
    context: name,
    cluster: { ...cluster.cluster, name: cluster.name },
    user: { ...(user?.user ?? {}), name: user?.name ?? '' },
  };
}

/** Supplies tokens for exec and auth-provider users (the command line has the binaries they run). */
export type ExecTokenSource = (kubeconfig: string, context: string) => () => Promise<string>;

/**
 * How to read a kubeconfig: which context (default its current-context), the directory its relative file
 * paths are relative to (default the working directory), and a source for exec and auth-provider tokens.
 */
export interface KubeconfigOptions {
  context?: string;
  /** Where relative file paths in the kubeconfig are resolved from. */
  baseDir?: string;
  execToken?: ExecTokenSource;
}

/**
 * Cluster access from a kubeconfig (a secret store's copy, or a local file for replay): server, pinned CA,
 * and the user's token or client certificate. TLS verification cannot be switched off here.
 */
export function clusterAccessFromKubeconfig(text: string, options: KubeconfigOptions = {}): ClusterAccess {
  const { context, cluster, user } = kubeconfigEntry(text, options.context);
  const file = (path: string | undefined) =>
    path === undefined
      ? undefined
      : readFileSync(isAbsolute(path) || !options.baseDir ? path : join(options.baseDir, path), 'utf8');
  const decoded = (data: string | undefined) =>
    data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  if (cluster['insecure-skip-tls-verify']) {
    throw new Error(
      `kubeconfig cluster ${cluster.name} sets insecure-skip-tls-verify; spot-drainer always verifies TLS`,
    );
  }
  const access: ClusterAccess = {
    server: cluster.server!,
    caPem: decoded(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']),
    tlsServerName: cluster['tls-server-name'],
    clientCertPem: decoded(user['client-certificate-data']) ?? file(user['client-certificate']),
    clientKeyPem: decoded(user['client-key-data']) ?? file(user['client-key']),
  };
  const token = user.token ?? file(user.tokenFile)?.trim();
  if (token) {
    access.token = async () => token;
  } else if (user.exec || user['auth-provider']) {
    if (!options.execToken) {
      throw new Error(
        `kubeconfig user ${user.name} runs a credential plugin, which a cloud function cannot run: store a kubeconfig with a token or a client certificate`,
      );
    }
    access.token = options.execToken(text, context);
  }
  return access;
}

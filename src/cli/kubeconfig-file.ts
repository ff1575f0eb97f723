/**
 * The command line's kubeconfig: `--kubeconfig`, or `$KUBECONFIG` (several files a:b:c merged as kubectl
 * merges them: the first file that sets a value wins), or ~/.kube/config; and the one-line errors a person
 * gets when it is unusable or the cluster cannot be reached.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { dump, load } from 'js-yaml';
import {
  type ClusterAccess,
  createKubeClient,
  KubeApiError,
  type KubeClient,
  type KubeClientOptions,
} from '../kube/client.ts';
import { clusterAccessFromKubeconfig, kubeconfigEntry } from '../kube/kubeconfig.ts';
import { execToken } from './exec-token.ts';

/** A kubeconfig that cannot be used, or a cluster that cannot be reached: printed without a stack. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

type Named = { name: string } & Record<string, unknown>;
interface Document {
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

const FILE_FIELDS: Record<'clusters' | 'users', [string, string[]]> = {
  clusters: ['cluster', ['certificate-authority']],
  users: ['user', ['client-certificate', 'client-key', 'tokenFile']],
};

function readDocument(path: string): Document {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(error as Error).message}`);
  }
  try {
    const document = (load(text) ?? {}) as Document;
    if (typeof document !== 'object') throw new Error('not a mapping');
    return document;
  } catch {
    // The parser's message may quote the document, which can hold a credential.
    throw new KubeconfigError(`kubeconfig ${path} is not valid YAML`);
  }
}

/** Relative file paths in a kubeconfig are relative to the file itself, as kubectl reads them. */
function absolutize(document: Document, baseDir: string): Document {
  const copy: Document = { ...document };
  for (const [list, [field, keys]] of Object.entries(FILE_FIELDS)) {
    copy[list] = (document[list] as Named[] | undefined)?.map((entry) => {
      const inner = { ...(entry[field] as Record<string, unknown> | undefined) };
      for (const key of keys) {
        const value = inner[key];
        if (typeof value === 'string' && !isAbsolute(value)) inner[key] = join(baseDir, value);
      }
      return { ...entry, [field]: inner };
    });
  }
  return copy;
}

/** kubectl's merge: named entries and current-context from the first file that has them. */
export function mergeKubeconfigs(documents: readonly Document[]): Document {
  const merged: Document = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  for (const document of documents) {
    for (const list of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of document[list] ?? []) {
        if (!merged[list]?.some((existing) => existing.name === entry.name)) merged[list]?.push(entry);
      }
    }
    if (merged['current-context'] === undefined && document['current-context'])
      merged['current-context'] = document['current-context'];
  }
  return merged;
}

/** The kubeconfig file(s) to read, in kubectl's order of precedence. */
export function kubeconfigPaths(explicit: string | undefined, env = process.env.KUBECONFIG): string[] {
  if (explicit) return [explicit];
  const listed = (env ?? '').split(delimiter).filter(Boolean);
  if (listed.length === 0) return [join(homedir(), '.kube', 'config')];
  // kubectl skips files of the list that do not exist, unless none does.
  const present = listed.filter((path) => existsSync(path));
  return present.length > 0 ? present : listed.slice(0, 1);
}

/** A kubeconfig read and merged, with the context to use. */
export interface LoadedKubeconfig {
  /** The merged document as YAML, relative paths made absolute. */
  text: string;
  context: string;
  server: string;
  user: string;
  /** Where it came from, for messages. */
  source: string;
}

/** Reads the kubeconfig and picks the context; an unknown context lists the ones there are. */
export function loadKubeconfig(explicit: string | undefined, context: string | undefined): LoadedKubeconfig {
  const paths = kubeconfigPaths(explicit);
  const source = paths.join(delimiter);
  const merged = mergeKubeconfigs(paths.map((path) => absolutize(readDocument(path), dirname(path))));
  const text = dump(merged);
  const name = context ?? merged['current-context'];
  const names = (merged.contexts ?? []).map((entry) => entry.name);
  if (!name || !names.includes(name)) {
    const which = name ? `no context ${name}` : 'no current-context (pass --context)';
    throw new KubeconfigError(
      `kubeconfig ${source} has ${which}; its contexts: ${names.length ? names.join(', ') : '(none)'}`,
    );
  }
  try {
    const entry = kubeconfigEntry(text, name);
    return { text, context: name, server: entry.cluster.server ?? '', user: entry.user.name, source };
  } catch (error) {
    throw new KubeconfigError(`kubeconfig ${source}: ${(error as Error).message}`);
  }
}

/**
 * A client for the loaded context (with `options`, e.g. impersonation); a missing certificate file or the
 * like is a KubeconfigError.
 */
export function kubeClientFor(loaded: LoadedKubeconfig, options: KubeClientOptions = {}): KubeClient {
  let access: ClusterAccess;
  try {
    access = clusterAccessFromKubeconfig(loaded.text, { context: loaded.context, execToken });
  } catch (error) {
    throw new KubeconfigError(
      `kubeconfig ${loaded.source}, context ${loaded.context}: ${(error as Error).message}`,
    );
  }
  return createKubeClient(access, { requestTimeoutMs: 10_000, ...options });
}

const TLS_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|EPROTO|ERR_SSL|ALTNAME|HOSTNAME_MISMATCH/;

function apiMessage(error: KubeApiError): string {
  try {
    return (JSON.parse(error.body) as { message?: string }).message ?? '';
  } catch {
    return '';
  }
}

/** One line naming the server and what failed: connection refused, TLS, 401 or 403, no answer. */
export function describeConnectionError(error: unknown, loaded: LoadedKubeconfig): string {
  const where = `${loaded.server} (context ${loaded.context})`;
  if (error instanceof KubeApiError) {
    if (error.code === 401)
      return `${where} refused the credentials of kubeconfig user ${loaded.user || '(none)'}: 401 Unauthorized`;
    const detail = apiMessage(error);
    if (error.code === 403) return `${where}: 403 Forbidden${detail ? `: ${detail}` : ''}`;
    return `${where} answered ${error.code}${detail ? `: ${detail}` : ''}`;
  }
  const { code = '', message = String(error) } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return `cannot connect to ${where}: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host of ${where}`;
  if (code === 'ETIMEDOUT') return `no answer from ${where}`;
  if (code === 'ECONNRESET') return `${where} closed the connection`;
  if (TLS_CODES.test(code)) return `TLS with ${where} failed: ${message} (${code})`;
  return `cannot talk to ${where}: ${code ? `${code}: ` : ''}${message}`;
}

/**
 * Checks that the cluster answers and takes the credentials (one request: list one node, which the
 * drainer needs anyway), so that a connection or credential problem is one clear line before any work.
 */
export async function checkConnection(kube: KubeClient, loaded: LoadedKubeconfig): Promise<void> {
  try {
    await kube.core.listNode({ limit: 1 });
  } catch (error) {
    throw new KubeconfigError(describeConnectionError(error, loaded));
  }
}

import { Agent, request as httpsRequest } from 'node:https';
import type {
  CoreV1Event,
  V1DeleteOptions,
  V1Eviction,
  V1Node,
  V1NodeList,
  V1Pod,
  V1PodDisruptionBudgetList,
  V1PodList,
  V1Status,
} from '@kubernetes/client-node';
import { createRequestPacer } from './pacing.ts';

/** How to reach one cluster's API server: endpoint, pinned CA, and a source of bearer tokens. */
export interface ClusterAccess {
  server: string;
  /** PEM of the cluster CA. TLS is always verified against it (or the system roots when absent). */
  caPem?: string;
  /** Returns a valid bearer token; called per request, so providers cache and renew. */
  token?: () => Promise<string>;
  /** Client certificate authentication (kubeconfigs of kind, minikube, kOps). */
  clientCertPem?: string;
  clientKeyPem?: string;
  tlsServerName?: string;
}

/** An API error as the server answered it; `code` is the HTTP status (the shape client-node uses too). */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly code: number;
  readonly body: string;
  readonly headers: Record<string, string>;
  constructor(code: number, body: string, headers: Record<string, string>, method: string, path: string) {
    super(`${method} ${path}: HTTP ${code}`);
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
}

/**
 * One request's extras: query parameters (undefined ones dropped), a body sent as JSON, and its content type
 * (default `application/json`; `application/json-patch+json` for an RFC 6902 JSON Patch).
 */
export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  contentType?: string;
}

/**
 * The core/v1 calls a drain needs, with client-node's parameter names and model types. Objects are
 * returned as the server sent them: timestamps stay RFC 3339 strings.
 */
export interface KubeCore {
  readNode(params: { name: string }): Promise<V1Node>;
  listNode(params?: { limit?: number; _continue?: string; labelSelector?: string }): Promise<V1NodeList>;
  patchNode(params: { name: string; body: unknown; contentType: string }): Promise<V1Node>;
  listPodForAllNamespaces(params: { fieldSelector?: string; labelSelector?: string }): Promise<V1PodList>;
  readNamespacedPod(params: { name: string; namespace: string }): Promise<V1Pod>;
  createNamespacedPodEviction(params: {
    name: string;
    namespace: string;
    body: V1Eviction;
  }): Promise<V1Status>;
  deleteNamespacedPod(params: {
    name: string;
    namespace: string;
    gracePeriodSeconds?: number;
    body?: V1DeleteOptions;
  }): Promise<V1Pod>;
  createNamespacedEvent(params: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event>;
  /** The PodDisruptionBudgets of a namespace (to name those holding a pod the Eviction API refuses). */
  listNamespacedPodDisruptionBudget?(params: { namespace: string }): Promise<V1PodDisruptionBudgetList>;
  /**
   * Watches pods across namespaces (`GET /api/v1/pods?watch=1`) from `resourceVersion`: one request whose
   * answer streams the changes, each passed to `onEvent` as it arrives. Resolves when the server ends the
   * watch (after `timeoutSeconds`) or `signal` aborts it; rejects with KubeApiError when the watch is
   * refused, or with the socket's error. An expired resourceVersion comes as an `ERROR` event (410 Gone).
   */
  watchPodForAllNamespaces?(
    params: { fieldSelector?: string; resourceVersion?: string; timeoutSeconds?: number },
    onEvent: (event: WatchEvent<V1Pod>) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * Watches one node (`GET /api/v1/nodes?watch=1&fieldSelector=metadata.name=…`) from `resourceVersion`,
   * as `watchPodForAllNamespaces` watches pods.
   */
  watchNode?(
    params: { name: string; resourceVersion?: string; timeoutSeconds?: number },
    onEvent: (event: WatchEvent<V1Node>) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/**
 * One event of a watch (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * the object as it now is (`DELETED`: as it was last), or for `ERROR` a Status (410: resourceVersion expired).
 */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T | V1Status;
}

/**
 * A client for one cluster's API server (createKubeClient). `request` resolves to the parsed JSON of a 2xx
 * answer (`{}` when empty) and rejects with KubeApiError for any other status, or with a Node error
 * (`ETIMEDOUT`, `ECONNRESET`, ...) when no answer comes. `close` drops the keep-alive connections.
 */
export interface KubeClient {
  core: KubeCore;
  server: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Requests sent so far (benchmarks report requests per node). */
  requestCount(): number;
  close(): Promise<void>;
}

/**
 * Connection tuning for createKubeClient; defaults: 32 connections, 15 000 ms request timeout, user agent
 * `spot-drainer`, requests paced by the API server's load (src/kube/pacing.ts).
 */
export interface KubeClientOptions {
  /** Parallel connections to the API server, and the most requests the pacer keeps in flight. */
  connections?: number;
  /** A request with no byte from the server for this long is abandoned (and counts as transient). */
  requestTimeoutMs?: number;
  userAgent?: string;
  /** Sees every request as it is sent (tests, benchmarks). */
  onRequest?: (method: string, url: string) => void;
  /**
   * Act as another user and groups (the `Impersonate-User` / `Impersonate-Group` headers, as kubectl's
   * `--as` and `--as-group`); the credentials must be allowed to impersonate them.
   * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation
   */
  impersonate?: { user: string; groups?: readonly string[] };
}

const enc = encodeURIComponent;

/** The keep-alive HTTPS agent for one cluster: pinned CA, optional client certificate, always verified. */
function createAgent(access: ClusterAccess, options: KubeClientOptions): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: options.connections ?? 32,
    ca: access.caPem,
    cert: access.clientCertPem,
    key: access.clientKeyPem,
    servername: access.tlsServerName,
    rejectUnauthorized: true,
  });
}

/** The request URL: the server's base path, `path`, and the query parameters that are defined. */
function requestUrl(base: URL, path: string, query: RequestOptions['query']): URL {
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined) url.searchParams.set(key, String(value));
  return url;
}

/**
 * The request headers (a fresh bearer token when the cluster uses tokens) and the JSON payload, if any.
 */
async function requestHeaders(
  access: ClusterAccess,
  options: KubeClientOptions,
  { body, contentType }: RequestOptions,
): Promise<{ headers: Record<string, string | string[]>; payload: string | undefined }> {
  const headers: Record<string, string | string[]> = {
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'spot-drainer',
  };
  if (access.token) headers.authorization = `Bearer ${await access.token()}`;
  if (options.impersonate) {
    headers['impersonate-user'] = options.impersonate.user;
    if (options.impersonate.groups?.length) headers['impersonate-group'] = [...options.impersonate.groups];
  }
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) {
    headers['content-type'] = contentType ?? 'application/json';
    // Node sends a DELETE body with neither Content-Length nor chunked encoding: the server would take
    // it for the start of the next request and drop the DeleteOptions (and their UID precondition).
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return { headers, payload };
}

/**
 * Sends one request and settles on its answer: the parsed JSON of a 2xx (`{}` when empty), KubeApiError
 * for any other status, an `ETIMEDOUT` error after `timeout` ms with no byte, or the socket's error.
 */
function send<T>(
  url: URL,
  init: { method: string; agent: Agent; headers: Record<string, string | string[]> },
  payload: string | undefined,
  timeout: number,
): Promise<T> {
  const { method } = init;
  return new Promise<T>((resolve, reject) => {
    const req = httpsRequest(url, init, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          try {
            resolve((text ? JSON.parse(text) : {}) as T);
          } catch (error) {
            reject(error);
          }
          return;
        }
        const responseHeaders: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers))
          if (typeof value === 'string') responseHeaders[key] = value;
        reject(new KubeApiError(status, text, responseHeaders, method, url.pathname));
      });
    });
    req.setTimeout(timeout, () =>
      req.destroy(
        Object.assign(new Error(`${method} ${url.pathname}: no answer in ${timeout} ms`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Sends a watch request and passes each newline-delimited JSON event of the answer to `onEvent`.
 * Resolves when the answer ends or `signal` aborts; rejects with KubeApiError for a non-2xx status, or
 * the socket's error. The request timeout covers only the wait for the answer's headers.
 */
function sendWatch<T>(
  url: URL,
  init: { method: string; agent: Agent; headers: Record<string, string | string[]> },
  timeout: number,
  onEvent: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return resolve();
    const req = httpsRequest(url, { ...init, signal }, (res) => {
      req.setTimeout(0);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          reject(
            new KubeApiError(status, Buffer.concat(chunks).toString('utf8'), {}, init.method, url.pathname),
          ),
        );
        return;
      }
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        buffered += text;
        for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
        }
      });
      res.on('end', () => resolve());
      res.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
    });
    req.setTimeout(timeout, () =>
      req.destroy(
        Object.assign(new Error(`${init.method} ${url.pathname}: no answer in ${timeout} ms`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    req.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
    req.end();
  });
}

/** Opens a watch (`sendWatch`) on `path` with `query`; counted like any other request. */
type Watch = <T>(
  path: string,
  query: RequestOptions['query'],
  onEvent: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
) => Promise<void>;

/** The core/v1 calls of KubeCore, each one request through `request` (or `watch`). */
function coreApi(request: KubeClient['request'], watch: Watch): KubeCore {
  return {
    readNode: ({ name }) => request('GET', `/api/v1/nodes/${enc(name)}`),
    listNode: (params = {}) =>
      request('GET', '/api/v1/nodes', {
        query: { limit: params.limit, continue: params._continue, labelSelector: params.labelSelector },
      }),
    patchNode: ({ name, body, contentType }) =>
      request('PATCH', `/api/v1/nodes/${enc(name)}`, { body, contentType }),
    listPodForAllNamespaces: ({ fieldSelector, labelSelector }) =>
      request('GET', '/api/v1/pods', { query: { fieldSelector, labelSelector } }),
    readNamespacedPod: ({ name, namespace }) =>
      request('GET', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`),
    createNamespacedPodEviction: ({ name, namespace, body }) =>
      request('POST', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/eviction`, {
        body: { apiVersion: 'policy/v1', kind: 'Eviction', ...body },
      }),
    deleteNamespacedPod: ({ name, namespace, gracePeriodSeconds, body }) =>
      request('DELETE', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`, {
        query: { gracePeriodSeconds },
        body: body && { apiVersion: 'v1', kind: 'DeleteOptions', ...body },
      }),
    createNamespacedEvent: ({ namespace, body }) =>
      request('POST', `/api/v1/namespaces/${enc(namespace)}/events`, {
        body: { apiVersion: 'v1', kind: 'Event', ...body },
      }),
    listNamespacedPodDisruptionBudget: ({ namespace }) =>
      request('GET', `/apis/policy/v1/namespaces/${enc(namespace)}/poddisruptionbudgets`),
    watchPodForAllNamespaces: ({ fieldSelector, resourceVersion, timeoutSeconds }, onEvent, signal) =>
      watch('/api/v1/pods', { watch: 1, fieldSelector, resourceVersion, timeoutSeconds }, onEvent, signal),
    watchNode: ({ name, resourceVersion, timeoutSeconds }, onEvent, signal) =>
      watch(
        '/api/v1/nodes',
        { watch: 1, fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds },
        onEvent,
        signal,
      ),
  };
}

/**
 * A small JSON client over keep-alive HTTPS connections. The drain needs eleven core/v1 calls (two watches); the
 * generated client (and the undici it brings) would be most of the function's bundle and cold start.
 * client-node still supplies the types, and KubeConfig for the command line.
 */
export function createKubeClient(access: ClusterAccess, options: KubeClientOptions = {}): KubeClient {
  const timeout = options.requestTimeoutMs ?? 15_000;
  const base = new URL(access.server.replace(/\/+$/, ''));
  const agent = createAgent(access, options);
  const pacer = createRequestPacer({ maxInFlight: options.connections ?? 32 });
  let requests = 0;

  async function sendOne<T>(method: string, path: string, requestOptions: RequestOptions): Promise<T> {
    const url = requestUrl(base, path, requestOptions.query);
    const { headers, payload } = await requestHeaders(access, options, requestOptions);
    requests++;
    options.onRequest?.(method, url.href);
    return send<T>(url, { method, agent, headers }, payload, timeout);
  }

  const request = <T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<T> =>
    pacer.run(() => sendOne<T>(method, path, requestOptions));

  const watch: Watch = async (path, query, onEvent, signal) => {
    await pacer.paused();
    const url = requestUrl(base, path, query);
    const { headers } = await requestHeaders(access, options, {});
    requests++;
    options.onRequest?.('GET', url.href);
    return sendWatch(url, { method: 'GET', agent, headers }, timeout, onEvent, signal);
  };

  return {
    core: coreApi(request, watch),
    server: access.server,
    request,
    requestCount: () => requests,
    close: async () => agent.destroy(),
  };
}

import {
  CoreV1Api,
  createConfiguration,
  type RequestContext,
  type SecurityAuthentication,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { Agent } from 'undici';

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

export interface KubeClient {
  core: CoreV1Api;
  server: string;
  /** Requests sent so far (benchmarks report requests per node). */
  requestCount(): number;
  close(): Promise<void>;
}

export interface KubeClientOptions {
  /** Parallel connections to the API server. */
  connections?: number;
  requestTimeoutMs?: number;
  userAgent?: string;
  /** Sees every request as it is sent (tests, benchmarks). */
  onRequest?: (method: string, url: string) => void;
}

/**
 * A CoreV1Api over one keep-alive connection pool. client-node's KubeConfig builds a new dispatcher
 * (and TLS handshake) per request; at the start of a drain, when every millisecond of the deadline
 * counts, requests share connections instead.
 */
export function createKubeClient(access: ClusterAccess, options: KubeClientOptions = {}): KubeClient {
  const timeout = options.requestTimeoutMs ?? 15_000;
  const dispatcher = new Agent({
    connections: options.connections ?? 16,
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: {
      ca: access.caPem,
      cert: access.clientCertPem,
      key: access.clientKeyPem,
      servername: access.tlsServerName,
      rejectUnauthorized: true,
      timeout: Math.min(timeout, 10_000),
    },
  });
  let requests = 0;
  const auth: SecurityAuthentication = {
    getName: () => 'spot-drainer',
    async applySecurityAuthentication(context: RequestContext) {
      requests++;
      options.onRequest?.(context.getHttpMethod(), context.getUrl());
      if (access.token) context.setHeaderParam('Authorization', `Bearer ${await access.token()}`);
      context.setHeaderParam('User-Agent', options.userAgent ?? 'spot-drainer');
      context.setDispatcher(dispatcher);
    },
  };
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(access.server.replace(/\/+$/, ''), {}),
    authMethods: { default: auth },
  });
  return {
    core: new CoreV1Api(configuration),
    server: access.server,
    requestCount: () => requests,
    close: () => dispatcher.close(),
  };
}

/**
 * A fault-injecting HTTPS proxy in front of the local API server. It terminates TLS on 127.0.0.1 with the
 * cluster's own serving certificate (so clients keep verifying against the cluster CA), forwards to the
 * API server, and can, per rule or per request, add latency, answer 5xx, reset the connection, throttle
 * with 429 + Retry-After the way API Priority and Fairness does, or stall (never answer).
 *
 * Every request is logged with what was done to it and what the client got back; for eviction POSTs the
 * pod (namespace, name and the UID precondition from the body) is parsed out, so tests can count what
 * the API server accepted per pod.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type Fault =
  /** Wait this long, then forward. */
  | { kind: 'latency'; ms: number }
  /** Answer with this status (5xx, or anything) and a Kubernetes Status body; not forwarded. */
  | { kind: 'status'; status: number; message?: string }
  /** Destroy the connection before anything is forwarded. */
  | { kind: 'reset' }
  /** 429 with Retry-After, not forwarded (APF, or a PDB refusal when the message says so). */
  | { kind: 'throttle'; retryAfterSeconds: number; message?: string }
  /** Never answer; the request is not forwarded. */
  | { kind: 'stall' }
  /** Forward once `until()` has settled: the test changes the cluster while the request is in flight. */
  | { kind: 'hold'; until: () => Promise<unknown> };

export type FaultKind = Fault['kind'];

export interface EvictionTarget {
  namespace: string;
  name: string;
  /** The UID precondition the client sent, if any. */
  uid?: string;
}

export interface ProxiedRequest {
  id: number;
  method: string;
  /** Path without the query. */
  path: string;
  query: string;
  receivedAt: number;
  /** The request body (POST, PATCH, PUT), as text. */
  body?: string;
  /** For `POST .../pods/<name>/eviction`. */
  eviction?: EvictionTarget;
  /** For `DELETE .../pods/<name>`. */
  deletion?: EvictionTarget;
  /** The Authorization header as sent (tests check which token each request carried). */
  authorization?: string;
  /** sha256 of the Authorization header (first 16 hex characters), to tell tokens apart in output. */
  authFingerprint?: string;
  /** The rule (or `decide`) that injected a fault, and which. */
  rule?: string;
  fault?: FaultKind;
  /** What the client was answered with; undefined for resets, stalls and upstream failures. */
  status?: number;
  /** The API server's own status, when the request was forwarded and answered. */
  upstreamStatus?: number;
  /** When the response (or reset) left the proxy. */
  respondedAt?: number;
  /** The API server could not be reached (the connection to the client is reset then). */
  upstreamError?: string;
}

export interface FaultRule {
  name: string;
  /** Matches the method exactly (upper case). */
  method?: string;
  /** A string matches the path exactly; a RegExp is tested against path + query. */
  path?: string | RegExp;
  /** Any further condition on the (parsed) request. */
  when?: (request: ProxiedRequest) => boolean;
  /** Only the first N matching requests (per `key`, when given) get the fault. */
  firstN?: number;
  /** Groups requests for `firstN`: e.g. the pod of an eviction, so each pod gets its first N faulted. */
  key?: (request: ProxiedRequest) => string;
  /** Each matching request gets the fault with this probability (seeded, reproducible). */
  probability?: number;
  fault: Fault;
}

export interface FaultProxyOptions {
  /** The API server, e.g. ClusterInfo.server. */
  upstream: string;
  /** The cluster dir with serving.crt, serving.key and ca.crt (ClusterInfo.dir). */
  certDir: string;
  rules?: FaultRule[];
  /** Per-request decision, consulted before the rules. */
  decide?: (request: ProxiedRequest) => Fault | undefined;
  /** Seed of the random choices of `probability` rules. */
  seed?: number;
}

export interface FaultProxy {
  /** `https://127.0.0.1:<port>`: give it to clients instead of the API server. */
  url: string;
  /** The cluster CA the proxy's certificate chains to (PEM). */
  caPem: string;
  log: ProxiedRequest[];
  /** Every distinct Authorization header value seen (tests look for them in logs). */
  authorizations: Set<string>;
  setRules(rules: FaultRule[]): void;
  /** Requests whose fault was `kind`. */
  faulted(kind?: FaultKind): ProxiedRequest[];
  /** Eviction POSTs the API server accepted (2xx), per pod UID. */
  acceptedEvictionsByUid(): Map<string, ProxiedRequest[]>;
  /** Eviction POSTs per pod UID, whatever their fate. */
  evictionsByUid(): Map<string, ProxiedRequest[]>;
  /** Evictions and deletions the API server accepted (2xx), per pod UID. */
  acceptedPodActionsByUid(): Map<string, ProxiedRequest[]>;
  close(): Promise<void>;
}

/** mulberry32: small, fast, seeded. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVICTION_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/;
const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'te',
  'trailer',
]);

function statusBody(status: number, message: string, reason: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code: status,
  });
}

function reasonFor(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceUnavailable';
  if (status === 504) return 'Timeout';
  if (status >= 500) return 'InternalError';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  return 'BadRequest';
}

function forwardHeaders(headers: IncomingHttpHeaders, host: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { host };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name.toLowerCase())) continue;
    out[name] = value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The pod an eviction (uid in deleteOptions) or a deletion (uid in the DeleteOptions body) is about. */
function podTarget(pattern: RegExp, path: string, body: string | undefined): EvictionTarget | undefined {
  const match = pattern.exec(path);
  if (!match) return undefined;
  let uid: string | undefined;
  try {
    const parsed = JSON.parse(body ?? '{}') as {
      preconditions?: { uid?: string };
      deleteOptions?: { preconditions?: { uid?: string } };
    };
    uid = parsed.deleteOptions?.preconditions?.uid ?? parsed.preconditions?.uid;
  } catch {
    uid = undefined;
  }
  return {
    namespace: decodeURIComponent(match[1]!),
    name: decodeURIComponent(match[2]!),
    ...(uid ? { uid } : {}),
  };
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const caPem = readFileSync(join(options.certDir, 'ca.crt'), 'utf8');
  const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 64, ca: caPem });
  const random = seededRandom(options.seed ?? 1);
  let rules = options.rules ?? [];
  const counts = new Map<string, number>();
  const log: ProxiedRequest[] = [];
  const authorizations = new Set<string>();
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();
  let nextId = 1;

  const choose = (request: ProxiedRequest): { rule: string; fault: Fault } | undefined => {
    const decided = options.decide?.(request);
    if (decided) return { rule: 'decide', fault: decided };
    for (const rule of rules) {
      if (rule.method && rule.method !== request.method) continue;
      if (typeof rule.path === 'string' && rule.path !== request.path) continue;
      if (rule.path instanceof RegExp && !rule.path.test(request.path + request.query)) continue;
      if (rule.when && !rule.when(request)) continue;
      if (rule.firstN !== undefined) {
        const key = `${rule.name}\u0000${rule.key?.(request) ?? ''}`;
        const seen = counts.get(key) ?? 0;
        counts.set(key, seen + 1);
        if (seen >= rule.firstN) continue;
      }
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      return { rule: rule.name, fault: rule.fault };
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, entry: ProxiedRequest, body: Buffer) => {
    const outgoing = httpsRequest(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: entry.method,
        path: entry.path + entry.query,
        headers: forwardHeaders(req.headers, upstream.host),
        agent: upstreamAgent,
      },
      (incoming) => {
        entry.upstreamStatus = incoming.statusCode;
        entry.status = incoming.statusCode;
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) headers[name] = value;
        }
        res.writeHead(incoming.statusCode ?? 502, headers);
        incoming.pipe(res);
        incoming.on('end', () => {
          entry.respondedAt = Date.now();
        });
      },
    );
    outgoing.on('error', (error) => {
      // The API server is down or went away: the client sees its connection dropped, as through a load
      // balancer in front of a restarting API server.
      entry.upstreamError = (error as NodeJS.ErrnoException).code ?? error.message;
      entry.respondedAt = Date.now();
      req.socket.destroy();
    });
    outgoing.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = Date.now();
    const url = new URL(req.url ?? '/', 'https://proxy.invalid');
    const raw = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = raw.length > 0 ? raw.toString('utf8') : undefined;
    const authorization = req.headers.authorization;
    if (authorization) authorizations.add(authorization);
    const entry: ProxiedRequest = {
      id: nextId++,
      method,
      path: url.pathname,
      query: url.search,
      receivedAt,
      ...(body !== undefined ? { body } : {}),
      ...(authorization
        ? {
            authorization,
            authFingerprint: createHash('sha256').update(authorization).digest('hex').slice(0, 16),
          }
        : {}),
    };
    const eviction = method === 'POST' ? podTarget(EVICTION_PATH, entry.path, body) : undefined;
    if (eviction) entry.eviction = eviction;
    const deletion = method === 'DELETE' ? podTarget(POD_PATH, entry.path, body) : undefined;
    if (deletion) entry.deletion = deletion;
    log.push(entry);

    const chosen = choose(entry);
    if (chosen) {
      entry.rule = chosen.rule;
      entry.fault = chosen.fault.kind;
    }
    const fault = chosen?.fault;
    switch (fault?.kind) {
      case undefined:
        forward(req, res, entry, raw);
        return;
      case 'latency':
        await sleep(fault.ms);
        forward(req, res, entry, raw);
        return;
      case 'hold':
        await fault.until().catch(() => undefined);
        forward(req, res, entry, raw);
        return;
      case 'reset':
        entry.respondedAt = Date.now();
        req.socket.destroy();
        return;
      case 'stall':
        stalled.add(res);
        res.on('close', () => stalled.delete(res));
        return;
      case 'status': {
        entry.status = fault.status;
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(
          statusBody(
            fault.status,
            fault.message ?? `injected ${fault.status} by the fault proxy`,
            reasonFor(fault.status),
          ),
        );
        entry.respondedAt = Date.now();
        return;
      }
      case 'throttle': {
        entry.status = 429;
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': String(fault.retryAfterSeconds),
        });
        res.end(
          statusBody(429, fault.message ?? 'Too many requests, please try again later.', 'TooManyRequests'),
        );
        entry.respondedAt = Date.now();
        return;
      }
    }
  };

  const server: Server = createServer(
    {
      cert: readFileSync(join(options.certDir, 'serving.crt')),
      key: readFileSync(join(options.certDir, 'serving.key')),
    },
    (req, res) => {
      handle(req, res).catch(() => req.socket.destroy());
    },
  );
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  const byUid = (accepted: boolean, withDeletions = false) => {
    const map = new Map<string, ProxiedRequest[]>();
    for (const entry of log) {
      const uid = entry.eviction?.uid ?? (withDeletions ? entry.deletion?.uid : undefined);
      if (!uid) continue;
      if (accepted && !(entry.upstreamStatus !== undefined && entry.upstreamStatus < 300)) continue;
      map.set(uid, [...(map.get(uid) ?? []), entry]);
    }
    return map;
  };

  return {
    url: `https://127.0.0.1:${port}`,
    caPem,
    log,
    authorizations,
    setRules(next) {
      rules = next;
      counts.clear();
    },
    faulted: (kind) => log.filter((entry) => entry.fault !== undefined && (!kind || entry.fault === kind)),
    acceptedEvictionsByUid: () => byUid(true),
    evictionsByUid: () => byUid(false),
    acceptedPodActionsByUid: () => byUid(true, true),
    async close() {
      for (const res of stalled) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      upstreamAgent.destroy();
    },
  };
}

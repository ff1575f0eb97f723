/** What a failed API call means for the caller: done, retry, or give up. */
import { redactText } from '../redact.ts';

export interface ApiErrorInfo {
  /** HTTP status, or undefined for network-level failures. */
  status?: number;
  /** Milliseconds the server asked us to wait (Retry-After), if it said. */
  retryAfterMs?: number;
  message: string;
}

interface ErrorWithCode {
  code?: unknown;
  body?: unknown;
  headers?: Record<string, string>;
  message?: string;
  cause?: unknown;
}

const transientNetworkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string')
    return body.message;
  return undefined;
}

function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function networkCode(error: unknown): string | undefined {
  for (let current = error as ErrorWithCode | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause as ErrorWithCode | undefined;
  }
  return undefined;
}

/**
 * The message is redacted: it ends up in reports, Kubernetes Events and the handler's result, and a
 * proxy or webhook in front of the API server may quote the request's Authorization header in it.
 */
export function describeApiError(error: unknown): ApiErrorInfo {
  const candidate = error as ErrorWithCode;
  if (typeof candidate?.code === 'number') {
    return {
      status: candidate.code,
      retryAfterMs: retryAfter(candidate.headers),
      message: redactText(statusMessage(candidate.body) ?? candidate.message ?? `HTTP ${candidate.code}`),
    };
  }
  const code = networkCode(error);
  const message = redactText((error as Error)?.message ?? String(error));
  return { message: code ? `${code}: ${message}` : message };
}

export function isStatus(error: unknown, ...statuses: number[]): boolean {
  const { status } = describeApiError(error);
  return status !== undefined && statuses.includes(status);
}

/** Server errors, throttling and dropped connections: worth another try within the deadline. */
export function isTransient(error: unknown): boolean {
  const { status } = describeApiError(error);
  if (status !== undefined) return status === 429 || status >= 500;
  const code = networkCode(error);
  if (code !== undefined) return transientNetworkCodes.has(code) || code.startsWith('UND_ERR');
  const name = (error as Error)?.name;
  return name === 'AbortError' || name === 'TimeoutError' || (error as Error)?.message === 'fetch failed';
}

/** How long 403 refusals of one request are retried before they are believed. */
export const FORBIDDEN_GRACE_MS = 5000;

/**
 * For the attempts of one request: whether an error is worth another try. A transient error always is;
 * a 403 is too until refusals have lasted FORBIDDEN_GRACE_MS, because a kube-apiserver that has just
 * (re)started serves requests before its RBAC caches have synced and refuses them with 403 until they
 * have (kubernetes/kubernetes#121635). A 403 that persists is a real refusal.
 */
export function retryPolicy(clock: () => number = Date.now): (error: unknown) => boolean {
  let forbiddenSince: number | undefined;
  return (error) => {
    if (isTransient(error)) return true;
    if (!isStatus(error, 403)) return false;
    forbiddenSince ??= clock();
    return clock() - forbiddenSince < FORBIDDEN_GRACE_MS;
  };
}

/**
 * Whether another invocation could succeed where this one failed: transient failures, and 401/403, which
 * settle on their own after an API server restart (RBAC caches) or a new access entry. Thrown rather than
 * acknowledged, they end in the dead-letter queue if they never settle: no event is lost silently.
 */
export function mayPassLater(error: unknown): boolean {
  return isTransient(error) || isStatus(error, 401, 403);
}

/**
 * What a failed call means for the caller, in one table: `classifyError` sorts every failure of a
 * Kubernetes API call (and any network failure) into one of a few classes, and the attempt loop
 * (src/drain/attempts.ts), the drain engine and the entry points all decide from that class alone.
 * AWS SDK errors map into the same classes in src/providers/aws/errors.ts (`classifyAwsError`).
 */
import { redactText } from '../redact.ts';

/**
 * - `transient`: 5xx, dropped or refused connections, timeouts: another try may succeed at once.
 * - `throttled`: 429 (API Priority and Fairness, or a PodDisruptionBudget refusing an eviction): try again
 *   after `retryAfterMs` at the earliest.
 * - `forbidden-for-now`: 401/403. May settle on its own: a kube-apiserver that has just (re)started refuses
 *   requests with 403 until its RBAC caches have synced (kubernetes/kubernetes#121635), and a new EKS
 *   access entry or Entra role assignment takes a while to apply. Believed once it persists.
 * - `gone`: 404/410: the object (or the version asked for) no longer exists.
 * - `conflict`: 409, or 422 from a JSON Patch whose `test` operation failed (RFC 6902 §4.6): someone else
 *   wrote the object first; re-read it and decide again.
 * - `permanent`: anything else (400, other 4xx, unknown failures): retrying the same request cannot help.
 */
export type ErrorClass = 'transient' | 'throttled' | 'forbidden-for-now' | 'gone' | 'conflict' | 'permanent';

/** A failure, classified. `classifyAwsError` returns the same shape. */
export interface ErrorClassification {
  class: ErrorClass;
  /** HTTP status, or undefined for network-level failures. */
  status?: number;
  /** Milliseconds the server asked us to wait (Retry-After header, seconds or HTTP date), if it said. */
  retryAfterMs?: number;
  /**
   * The API's own message (the `message` of a Kubernetes Status body), or the error's, prefixed with the
   * network code when there is one. Redacted: it ends up in reports, Kubernetes Events and the handler's
   * result, and a proxy or webhook in front of the API server may quote the request's Authorization header.
   */
  message: string;
}

/**
 * The words of a 429 that is a PodDisruptionBudget refusing an eviction (cause `DisruptionBudget`, "Cannot
 * evict pod as it would violate the pod's disruption budget."), not the API server shedding load.
 */
export const DISRUPTION_BUDGET_REFUSAL = /DisruptionBudget|disruption budget/i;

/** What `describeApiError` returns: the classification without its class. */
export type ApiErrorInfo = Omit<ErrorClassification, 'class'>;

interface ErrorWithCode {
  code?: unknown;
  body?: unknown;
  headers?: Record<string, string>;
  message?: string;
  cause?: unknown;
  name?: string;
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

interface StatusBody {
  message?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

function parseStatus(body: unknown): StatusBody | string | undefined {
  if (typeof body !== 'string') return (body ?? undefined) as StatusBody | undefined;
  try {
    return JSON.parse(body) as StatusBody;
  } catch {
    return body;
  }
}

/**
 * Whether a 422 is a JSON Patch that could not be applied (a `test` operation failed, RFC 6902 §4.6)
 * rather than a request refused. kube-apiserver answers the former with a bare Status (reason Invalid,
 * "the server rejected our request due to an error in our request", `details: {}`); an object that fails
 * validation comes with the offending fields in `details.causes`, and an admission denial (a
 * ValidatingAdmissionPolicy with reason Invalid) with one cause that has a message and no field. Any
 * cause at all means a refusal, never a lost race.
 */
function failedPatchTest(body: unknown): boolean {
  const status = parseStatus(body);
  if (typeof status === 'string') return /\btest(ing value\b.*?)?\s+failed\b/i.test(status);
  return (status?.details?.causes ?? []).length === 0 && !admissionMessage(status?.message);
}

/** Admission denials as kube-apiserver words them: ValidatingAdmissionPolicy, webhooks, Gatekeeper, Kyverno. */
const ADMISSION_DENIAL =
  /(ValidatingAdmissionPolicy .*? denied request|admission webhook .*? denied the request|denied request)/;

function admissionMessage(message: string | undefined): boolean {
  return message !== undefined && ADMISSION_DENIAL.test(message);
}

/**
 * The (redacted) message of an admission denial: a ValidatingAdmissionPolicy or an admission webhook
 * refused the request (422 or 403 or 400, as the policy chose), e.g. "ValidatingAdmissionPolicy 'p' with
 * binding 'b' denied request: node taints may not be changed". Undefined for any other failure, a failed
 * JSON Patch `test` included. The class of such an error stays `permanent` (or `forbidden-for-now` for a
 * 403): the same request will be denied again; a smaller one may pass.
 */
export function admissionDenial(error: unknown): string | undefined {
  const candidate = error as ErrorWithCode;
  if (typeof candidate?.code !== 'number') return undefined;
  const status = parseStatus(candidate.body);
  const message = typeof status === 'string' ? status : status?.message;
  if (!admissionMessage(message)) return undefined;
  const cause = typeof status === 'string' ? undefined : status?.details?.causes?.[0]?.message;
  return redactText(cause ?? message ?? '');
}

/**
 * The class of an HTTP status, for any API speaking HTTP (Kubernetes, AWS, Azure). `body` (a Kubernetes
 * Status, as text or parsed) only tells a failed JSON Patch test (422 → `conflict`) from an invalid request
 * (422 → `permanent`). See the Kubernetes API conventions on status codes:
 * https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#http-status-codes
 */
export function classifyHttpStatus(status: number, body?: unknown): ErrorClass {
  if (status === 429) return 'throttled';
  if (status >= 500) return 'transient';
  if (status === 401 || status === 403) return 'forbidden-for-now';
  if (status === 404 || status === 410) return 'gone';
  if (status === 409 || (status === 422 && body !== undefined && failedPatchTest(body))) return 'conflict';
  return 'permanent';
}

function classifyNetworkError(error: unknown): ErrorClass {
  const code = networkCode(error);
  if (code !== undefined)
    return transientNetworkCodes.has(code) || code.startsWith('UND_ERR') ? 'transient' : 'permanent';
  const { name, message } = (error ?? {}) as ErrorWithCode;
  return name === 'AbortError' || name === 'TimeoutError' || message === 'fetch failed'
    ? 'transient'
    : 'permanent';
}

/**
 * Classifies any failure of a call to the Kubernetes API made with @kubernetes/client-node (an
 * `ApiException`: numeric `code`, `body`, `headers`) or of the network below it (a string `code` such as
 * ECONNRESET or UND_ERR_SOCKET anywhere in the `cause` chain, AbortError, TimeoutError, "fetch failed").
 * Never throws; anything unrecognised is `permanent`.
 */
export function classifyError(error: unknown): ErrorClassification {
  const candidate = error as ErrorWithCode;
  if (typeof candidate?.code === 'number') {
    return {
      class: classifyHttpStatus(candidate.code, candidate.body),
      status: candidate.code,
      retryAfterMs: retryAfter(candidate.headers),
      message: redactText(statusMessage(candidate.body) ?? candidate.message ?? `HTTP ${candidate.code}`),
    };
  }
  const code = networkCode(error);
  const message = redactText((error as Error)?.message ?? String(error));
  return { class: classifyNetworkError(error), message: code ? `${code}: ${message}` : message };
}

/** Status, Retry-After (ms) and redacted message of a failure: `classifyError` without the class. */
export function describeApiError(error: unknown): ApiErrorInfo {
  const { class: _class, ...info } = classifyError(error);
  return info;
}

/** Whether the failure is an HTTP answer with one of `statuses`. */
export function isStatus(error: unknown, ...statuses: number[]): boolean {
  const { status } = classifyError(error);
  return status !== undefined && statuses.includes(status);
}

/**
 * How long 403 refusals of one request (one `withAttempts` loop, src/drain/attempts.ts) are retried before
 * they are believed, in ms. A kube-apiserver that has just (re)started serves requests before its RBAC
 * caches have synced and refuses them with 403 until they have (kubernetes/kubernetes#121635); a 403 that
 * persists is real.
 */
export const FORBIDDEN_GRACE_MS = 5000;

/** The classes another invocation (a platform retry) could get past: see `mayPassLater`. */
export const MAY_PASS_LATER: ReadonlySet<ErrorClass> = new Set([
  'transient',
  'throttled',
  'forbidden-for-now',
]);

/**
 * Whether another invocation could succeed where this one failed: transient failures, throttling, and
 * 401/403, which settle on their own after an API server restart (RBAC caches) or a new access entry.
 * Thrown rather than acknowledged, they end in the dead-letter queue if they never settle: no event is
 * lost silently.
 */
export function mayPassLater(error: unknown): boolean {
  return MAY_PASS_LATER.has(classifyError(error).class);
}

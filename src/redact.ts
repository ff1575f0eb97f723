/**
 * Keeps credentials out of logs: values of sensitive keys are replaced, and strings are scrubbed of
 * bearer tokens (EKS `k8s-aws-v1.`, JWTs), webhook URLs and secret-bearing URL parts.
 */
/** A structured log record's fields. */
type LogFields = Record<string, unknown>;

/** What a redacted value or part of a string is replaced with. */
export const REDACTED = '[REDACTED]';

/** Keys are compared in lower case without separators, so `SLACK_URL`, `slackUrl` and `slack-url` match. */
const SENSITIVE_KEY_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'authorization',
  'cookie',
  'apikey',
  'privatekey',
  'credential',
  'credentials',
  'kubeconfig',
  'webhook',
  'webhookurl',
  'webhookurls',
  'slackurl',
] as const;

/** Hosts whose URL path is itself the credential. */
const WEBHOOK_HOSTS = [
  'hooks.slack.com',
  '.webhook.office.com',
  '.logic.azure.com',
  '.api.powerplatform.com',
  'discord.com',
  'discordapp.com',
] as const;

const SECRET_QUERY_PARAMETERS = new Set([
  'sig',
  'signature',
  'token',
  'access_token',
  'code',
  'key',
  'api-key',
  'apikey',
  'secret',
  'password',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-credential',
]);

const EKS_TOKEN = /k8s-aws-v1\.[A-Za-z0-9_-]+/g;
const JWT = /eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}/g;
const AUTHORIZATION_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]+/g;
/** A long path segment of letters and digits only: the shape of webhook tokens (not of resource names). */
const TOKEN_LIKE_SEGMENT = /^(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{20,}$/;

const MAX_DEPTH = 8;

/**
 * Whether a field named `key` holds a credential, so its whole value is replaced: compared in lower case
 * without separators, by suffix (`token`, `secret`, `kubeconfig`, `slackUrl`, ...).
 */
export function isSensitiveKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SENSITIVE_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/** A copy of the fields safe to log. */
export function redact(fields: LogFields): LogFields {
  return redactObject(fields, 0, new WeakSet());
}

/**
 * `text` with credentials replaced by `[REDACTED]`: Bearer and Basic authorization values, EKS tokens (the
 * `k8s-aws-v1.` prefix kept), JWTs, the path of known webhook URLs (Slack, Teams, Logic Apps, Power
 * Platform, Discord), user info, token-like path segments and secret query parameters of other URLs.
 * Never throws.
 */
export function redactText(text: string): string {
  return text
    .replace(AUTHORIZATION_SCHEME, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(EKS_TOKEN, `k8s-aws-v1.${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(URL_IN_TEXT, redactUrl);
}

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return '[binary]';
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
    if (value instanceof Error) return redactError(value, depth, seen);
    return redactObject(value as Record<string, unknown>, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function redactObject(object: Record<string, unknown>, depth: number, seen: WeakSet<object>): LogFields {
  const copy: LogFields = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    copy[key] = isSensitiveKey(key) ? REDACTED : redactValue(value, depth + 1, seen);
  }
  return copy;
}

/** Errors serialize to `{}`; keep what explains them. */
function redactError(error: Error, depth: number, seen: WeakSet<object>): LogFields {
  const { code, statusCode, cause } = error as Error & { code?: unknown; statusCode?: unknown };
  return {
    name: error.name,
    message: redactText(error.message),
    ...(code === undefined ? {} : { code: redactValue(code, depth + 1, seen) }),
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(cause === undefined ? {} : { cause: redactValue(cause, depth + 1, seen) }),
  };
}

function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  const host = url.hostname.toLowerCase();
  if (WEBHOOK_HOSTS.some((suffix) => host === suffix || (suffix.startsWith('.') && host.endsWith(suffix)))) {
    return `${url.protocol}//${url.host}/${REDACTED}`;
  }
  let changed = false;
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
    changed = true;
  }
  const segments = url.pathname.split('/');
  if (segments.some((segment) => TOKEN_LIKE_SEGMENT.test(segment))) {
    url.pathname = segments
      .map((segment) => (TOKEN_LIKE_SEGMENT.test(segment) ? REDACTED : segment))
      .join('/');
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_PARAMETERS.has(name.toLowerCase())) {
      url.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  // Unchanged URLs are returned as written: URL serialization would alter them (trailing slash, escapes).
  return changed ? url.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED) : text;
}

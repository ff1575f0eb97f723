/**
 * SPOT_DRAINER_WEBHOOK_HEADERS: extra headers on the generic webhook request, as a JSON object of header
 * names to string values (aws-node-termination-handler `webhookHeaders`). Values often carry a credential
 * (`Authorization`, an API key), so nothing here puts a value in a message.
 */

/** A header field name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values may not hold line breaks or NUL (header injection), nor other control characters but tab. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/**
 * Headers the HTTP client owns (framing, connection, target) and may not be set by configuration;
 * `content-type` may: it replaces the one the body implies.
 */
const RESERVED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
]);

/**
 * What is wrong with a SPOT_DRAINER_WEBHOOK_HEADERS value (JSON text), one message per problem, naming
 * header names but never values; empty when it is usable. Pure.
 */
export function webhookHeadersProblems(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return ['not valid JSON (value not shown: it may hold credentials)'];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return ['not a JSON object of header names to values'];
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(parsed)) {
    const shown = JSON.stringify(name.slice(0, 40));
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) problems.push(`${shown} is not a valid header name`);
    else if (RESERVED.has(lower))
      problems.push(`${shown} is set by the HTTP client and cannot be configured`);
    else if (seen.has(lower)) problems.push(`${shown} appears twice (header names are not case-sensitive)`);
    seen.add(lower);
    if (typeof value !== 'string') problems.push(`the value of ${shown} is not a string`);
    else if (BAD_VALUE.test(value))
      problems.push(`the value of ${shown} holds a line break or control character`);
  }
  return problems;
}

/**
 * The headers of a SPOT_DRAINER_WEBHOOK_HEADERS value, names in lower case. Throws an Error listing the
 * problems (`webhookHeadersProblems`, never a value) when it is not usable: a secret read at run time is
 * checked only here.
 */
export function parseWebhookHeaders(text: string): Record<string, string> {
  const problems = webhookHeadersProblems(text);
  if (problems.length > 0) throw new Error(`SPOT_DRAINER_WEBHOOK_HEADERS: ${problems.join('; ')}`);
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(JSON.parse(text) as Record<string, string>)) {
    headers.set(name.toLowerCase(), value);
  }
  return Object.fromEntries(headers);
}

/**
 * SPOT_DRAINER_WEBHOOK_TEMPLATE: the POST body of the generic webhook, with `{{placeholder}}`s. A template
 * that starts with `{` (not `{{`) or `[` is JSON: values are escaped as JSON string content and the body must parse.
 */
import type { NotificationSummary } from './summary.ts';

/**
 * Every `{{placeholder}}` a webhook template may use: the NotificationSummary fields, plus `summary` (the
 * headline) and `blockedPods` as `ns/name, ns/name`.
 */
export const TEMPLATE_PLACEHOLDERS = [
  'summary',
  'node',
  'cluster',
  'cloud',
  'machineId',
  'machineNoun',
  'kind',
  'kindLabel',
  'action',
  'outcome',
  'dryRun',
  'eventId',
  'evicted',
  'deleted',
  'evictable',
  'blocked',
  'blockedPods',
  'failed',
  'timedOut',
  'returned',
  'returningPods',
  'marksRefused',
  'deadline',
  'deadlineMet',
  'deadlineStatus',
  'cordonMs',
  'durationMs',
  'startedAt',
] as const;

/** One of TEMPLATE_PLACEHOLDERS. */
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** A notification's HTTP body and its Content-Type (`application/json`, or `text/plain; charset=utf-8`). */
export interface RenderedBody {
  body: string;
  contentType: string;
}

const PLACEHOLDER_PATTERN = /\{\{\s*([A-Za-z]+)\s*\}\}/g;
const KNOWN: ReadonlySet<string> = new Set(TEMPLATE_PLACEHOLDERS);

/** A summary whose text fields hold text and whose optional fields are empty, to check templates. */
const SAMPLE: NotificationSummary = {
  headline: 'Drained node "sample" after spot interruption',
  node: 'sample-node',
  cluster: null,
  cloud: 'aws',
  machineId: 'i-0123456789abcdef0',
  machineNoun: 'EC2 instance',
  kind: 'spot-interruption',
  kindLabel: 'spot interruption',
  action: 'drain',
  outcome: 'completed',
  dryRun: false,
  eventId: 'sample-event',
  evicted: 1,
  deleted: 0,
  evictable: 1,
  blocked: 0,
  failed: 0,
  timedOut: 0,
  blockedPods: [],
  returned: 0,
  returningPods: [],
  marksRefused: [],
  deadline: null,
  deadlineMet: true,
  deadlineStatus: 'none',
  cordonMs: null,
  durationMs: 1,
  startedAt: '2025-01-01T00:00:00.000Z',
  invocations: 1,
  chainMs: null,
};

/** Starts with `{` or `[`; a leading `{{` is a placeholder, not an object. */
export function isJsonTemplate(template: string): boolean {
  const start = template.trimStart();
  return start.startsWith('[') || (start.startsWith('{') && !start.startsWith('{{'));
}

/**
 * What is wrong with a template, checked once at cold start: unknown placeholders, and a JSON template
 * that does not parse once rendered (a placeholder that can be empty or text, left unquoted).
 */
export function templateProblems(template: string): string[] {
  const unknown = [...template.matchAll(PLACEHOLDER_PATTERN)]
    .map((match) => match[1] ?? '')
    .filter((name) => !KNOWN.has(name));
  if (unknown.length > 0) {
    return [`unknown placeholder ${[...new Set(unknown)].map((name) => `{{${name}}}`).join(', ')}`];
  }
  try {
    renderTemplate(template, SAMPLE);
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * Fills the template's placeholders from the summary (empty for null; unknown ones are left as written).
 * Throws when a JSON template does not render valid JSON; templateProblems catches that at cold start.
 */
export function renderTemplate(template: string, summary: NotificationSummary): RenderedBody {
  const json = isJsonTemplate(template);
  const values = placeholderValues(summary);
  const body = template.replace(PLACEHOLDER_PATTERN, (match, name: string) => {
    if (!KNOWN.has(name)) return match;
    const value = values[name] ?? '';
    return json ? JSON.stringify(value).slice(1, -1) : value;
  });
  if (!json) return { body, contentType: 'text/plain; charset=utf-8' };
  try {
    JSON.parse(body);
  } catch {
    throw new Error('the template does not render valid JSON (quote placeholders that can be text or empty)');
  }
  return { body, contentType: 'application/json' };
}

function placeholderValues(summary: NotificationSummary): Record<string, string> {
  const { headline, blockedPods, returningPods, marksRefused, ...fields } = summary;
  const values: Record<string, string> = {
    summary: headline,
    blockedPods: blockedPods.join(', '),
    returningPods: returningPods.join('; '),
    marksRefused: marksRefused.join(', '),
  };
  for (const [name, value] of Object.entries(fields)) values[name] = value === null ? '' : String(value);
  return values;
}

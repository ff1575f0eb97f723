import * as z from '../zod.ts';

/** A validated value, or why the input was rejected, naming the offending field. */
export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Schema of a string field that must hold at least one character. */
export const nonEmptyString = z.string().check(z.minLength(1, 'expected a non-empty string'));

/** Reasons are one line in a log; a badly broken event would otherwise list every field. */
const MAX_REPORTED_ISSUES = 3;

/**
 * Validates `input` against `schema`. `at` is where `input` sits in the whole event (`data` for an
 * Azure payload), so that the reason reads `data.resourceInfo.properties.EventType: required`.
 */
export function validate<S extends z.core.$ZodType>(
  schema: S,
  input: unknown,
  at = '',
): Validated<z.output<S>> {
  const result = z.safeParse(schema, input, { error: requiredWhenMissing });
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues;
  const described = issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => describeIssue(issue, at));
  if (issues.length > MAX_REPORTED_ISSUES) described.push(`and ${issues.length - MAX_REPORTED_ISSUES} more`);
  return { ok: false, reason: described.join('; ') };
}

function requiredWhenMissing(issue: { code?: string; input?: unknown }): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;
}

function describeIssue(issue: z.core.$ZodIssue, at: string): string {
  const path = formatPath(at, issue.path);
  // Zod's default messages open with "Invalid input: "; the field name already says that.
  const message = issue.message.replace(/^Invalid (input|option): /, '');
  return `${path}: ${message}`;
}

function formatPath(at: string, path: readonly PropertyKey[]): string {
  let formatted = at;
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else formatted += formatted === '' ? String(segment) : `.${String(segment)}`;
  }
  return formatted === '' ? 'event' : formatted;
}

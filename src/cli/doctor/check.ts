/**
 * The shape every `spot-drainer doctor` check answers in, how a check that throws becomes a failed
 * check, and the two ways the results are printed (a table for people, JSON for CI).
 */

/** pass: as the drainer needs it; fail: it is not (the fix says what to do); skip: not applicable here. */
export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One check's answer. */
export interface CheckResult {
  /** What is checked, e.g. `EventBridge rule spot-drainer-prod-spot-interruption-warning`. */
  check: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do about a failure (a command or a setting), when the status is fail. */
  fix?: string;
}

/** A passing result. */
export const pass = (check: string, detail: string): CheckResult => ({ check, status: 'pass', detail });

/** A failing result and its fix. */
export const fail = (check: string, detail: string, fix: string): CheckResult => ({
  check,
  status: 'fail',
  detail,
  fix,
});

/** A check that does not apply to this deployment (a switched-off part), and why. */
export const skip = (check: string, detail: string): CheckResult => ({ check, status: 'skip', detail });

/** The message of an SDK or API error: its name (AccessDenied, ResourceNotFound) and message. */
export function errorText(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  if (!message) return String(error);
  return name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

/**
 * Runs one check; a check that throws (access denied, throttled, unreachable) fails with the error and
 * a fix that names the permission the doctor needed. Never rejects.
 */
export async function runCheck(
  check: string,
  body: () => Promise<CheckResult | CheckResult[]>,
  needs: string,
): Promise<CheckResult[]> {
  try {
    const result = await body();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    return [fail(check, `could not check: ${errorText(error)}`, `run the doctor with ${needs}`)];
  }
}

/** The exit code: 0 when no check failed, 1 otherwise. */
export function exitCode(results: readonly CheckResult[]): number {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** One line per check (status, check, detail), the fix indented under a failure, then the counts. */
export function resultTable(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.check.length), 5);
  const lines = [`STATUS  ${'CHECK'.padEnd(width)}  DETAIL`];
  for (const result of results) {
    lines.push(`${MARK[result.status].padEnd(6)}  ${result.check.padEnd(width)}  ${result.detail}`);
    if (result.fix) lines.push(`${' '.repeat(8 + width + 2)}fix: ${result.fix}`);
  }
  const count = (status: CheckStatus) => results.filter((result) => result.status === status).length;
  lines.push('', `checks: ${count('pass')} pass, ${count('fail')} fail, ${count('skip')} skip`);
  return lines.join('\n');
}

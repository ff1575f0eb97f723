/** What `spot-drainer replay` prints and the exit code it ends with. */
import type { DrainReport } from '../drain/report.ts';
import type { CloudAction } from '../providers/provider.ts';

/** One interruption's result as `replay --json` prints it. */
export type ReplayResult = { machine: string; cloudActions: CloudAction[] } & (
  | { status: 'handled'; report: DrainReport }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string; retryable: boolean }
);

/** Exit codes of `replay`: done or ignored, partial or failed, unusable input or usage, failed but worth a retry. */
export const REPLAY_EXIT = { done: 0, incomplete: 1, usage: 2, retryable: 75 } as const;

/**
 * 0 when every interruption was handled to completion (or planned, in a dry run); 75 (EX_TEMPFAIL) when
 * one failed in a way the function would retry; 1 otherwise, including a node that was not found: the
 * user pointed replay at a cluster and nothing was done there.
 */
export function replayExitCode(results: readonly ReplayResult[]): number {
  if (results.some((result) => result.status === 'failed' && result.retryable)) return REPLAY_EXIT.retryable;
  if (results.some((result) => result.status === 'handled' && result.report.retryable))
    return REPLAY_EXIT.retryable;
  const done = results.every(
    (result) =>
      result.status === 'handled' &&
      (result.report.outcome === 'completed' || result.report.outcome === 'dry-run'),
  );
  return done ? REPLAY_EXIT.done : REPLAY_EXIT.incomplete;
}

/** One line per interruption, for people; names the first error when there is one. */
export function replaySummaryLine(result: ReplayResult): string {
  const actions = result.cloudActions.map((action) => `; ${action.action}: ${action.result}`).join('');
  if (result.status === 'skipped') return `${result.machine}: skipped, ${result.reason}${actions}`;
  if (result.status === 'failed') {
    return `${result.machine}: failed${result.retryable ? ' (the function would retry)' : ''}, ${result.reason}${actions}`;
  }
  const { report } = result;
  const { counts, timings } = report;
  return [
    `${report.node}: ${report.action} ${report.outcome}${report.dryRun ? ' (dry run)' : ''}`,
    timings.cordonMs === undefined ? '' : `cordoned in ${timings.cordonMs} ms`,
    `${counts.evicted + counts.deleted}/${counts.evictable} pods ${report.dryRun ? 'to evict' : 'evicted'}`,
    counts.blockedByPdb ? `${counts.blockedByPdb} blocked by PodDisruptionBudgets` : '',
    report.deadline && !report.dryRun ? `deadline ${report.deadlineMet ? 'met' : 'missed'}` : '',
    `${timings.totalMs} ms in all`,
    report.errors[0] ? `first error: ${report.errors[0]}` : '',
  ]
    .filter(Boolean)
    .join(', ')
    .concat(actions);
}

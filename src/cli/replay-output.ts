/** What `spot-drainer replay` prints and the exit code it ends with. */
import type { DrainReport, PodResult } from '../drain/report.ts';
import type { CloudAction } from '../providers/provider.ts';
import { type AccessCheck, describeWrite } from './access-check.ts';

/** One interruption's result as `replay --json` prints it. */
export type ReplayResult = { machine: string; cloudActions: CloudAction[] } & (
  | {
      status: 'handled';
      report: DrainReport;
      /** Dry run: the writes the real run would make that the server would refuse (none: all allowed). */
      refused?: AccessCheck[];
    }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string; retryable: boolean }
);

/** Exit codes of `replay`: done or ignored, partial or failed, unusable input or usage, failed but worth a retry. */
export const REPLAY_EXIT = { done: 0, incomplete: 1, usage: 2, retryable: 75 } as const;

/**
 * 0 when every interruption was handled to completion (or planned, in a dry run, with every write it
 * would make allowed); 75 (EX_TEMPFAIL) when
 * one failed in a way the function would retry; 1 otherwise, including a node that was not found: the
 * user pointed replay at a cluster and nothing was done there.
 */
export function replayExitCode(results: readonly ReplayResult[]): number {
  if (results.some((result) => result.status === 'failed' && result.retryable)) return REPLAY_EXIT.retryable;
  if (results.some((result) => result.status === 'handled' && result.report.retryable))
    return REPLAY_EXIT.retryable;
  if (results.some((result) => result.status === 'handled' && result.refused?.length))
    return REPLAY_EXIT.incomplete;
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

const SKIP_REASONS: Record<string, string> = {
  'skip-mirror': 'left: a static (mirror) pod, which the kubelet owns',
  'skip-finished': 'left: already finished',
  'skip-daemonset': 'left: a DaemonSet pod (EVICT_DAEMONSET_PODS is off)',
  'skip-local-storage': 'left: uses emptyDir data (DELETE_EMPTYDIR_DATA is off)',
  'already-terminating': 'already terminating: waited for, not evicted again',
};

/** What the dry run would do to one pod, and why. */
export function plannedPodLine(pod: PodResult, action: DrainReport['action']): string {
  const skip = SKIP_REASONS[pod.disposition];
  const grace = pod.gracePeriodSeconds === undefined ? '' : `, grace period ${pod.gracePeriodSeconds} s`;
  const order = pod.critical ? ', critical: after the others' : '';
  const what =
    skip ??
    (action === 'cleanup'
      ? `would delete: the machine is gone${grace}`
      : `would evict (Eviction API, PodDisruptionBudgets respected)${grace}${order}`);
  return `  ${pod.namespace}/${pod.name}: ${what}`;
}

function reportDetails(result: ReplayResult): string[] {
  if (result.status !== 'handled') return [];
  const { report } = result;
  const lines: string[] = [];
  if (!report.dryRun && !report.markedByThisInvocation) {
    lines.push(
      `  found the node already marked for event ${report.eventId} (a duplicate delivery or a retry): carried on from its marks`,
    );
  }
  if (report.dryRun && report.action === 'cordon')
    lines.push('  would cordon and taint the node only: its pods stay');
  else if (report.dryRun && report.action !== 'release') {
    lines.push(
      report.pods.length
        ? `  plan for ${report.pods.length} pod(s) (${report.action}):`
        : '  no pods on the node',
    );
    lines.push(...report.pods.map((pod) => `  ${plannedPodLine(pod, report.action)}`));
  }
  if (result.refused?.length) {
    lines.push('  the real run would be refused (checked with SelfSubjectAccessReviews):');
    lines.push(
      ...result.refused.map(
        (check) => `    ${describeWrite(check)}${check.reason ? `: ${check.reason}` : ''}`,
      ),
    );
  } else if (result.refused) lines.push('  every write the real run would make is allowed');
  return lines;
}

/** The human output: a summary line per interruption, then its plan, duplicates and refusals. */
export function replayHumanOutput(results: readonly ReplayResult[]): string {
  return results.flatMap((result) => [replaySummaryLine(result), ...reportDetails(result)]).join('\n');
}

/** What the pipeline gives back to an entry point, and the retry decision made from it. */
import type { DrainReport } from '../drain/report.ts';
import type { Interruption } from '../events/interruption.ts';
import type { CloudAction } from '../providers/provider.ts';

/**
 * What happened to one interruption, for the entry point to log, count and decide on a retry.
 * `cloudActions` says what was done (or would be) about cloud-side obligations such as a lifecycle action.
 */
export type InterruptionResult =
  | {
      status: 'handled';
      interruption: Interruption;
      cluster: string;
      report: DrainReport;
      cloudActions: CloudAction[];
    }
  | {
      /** Time ran short with the deadline ahead: a continuation goes on with the drain (src/pipeline/continuation.ts). */
      status: 'continued';
      interruption: Interruption;
      cluster: string;
      report: DrainReport;
      cloudActions: CloudAction[];
    }
  | { status: 'skipped'; interruption: Interruption; reason: string; cloudActions: CloudAction[] }
  | {
      status: 'failed';
      interruption: Interruption;
      reason: string;
      retryable: boolean;
      cloudActions: CloudAction[];
    };

/**
 * What a whole delivery came to: `processed` (results has one entry per interruption), or `ignored` /
 * `invalid` (nothing to act on; logged and acknowledged).
 */
export interface DeliveryOutcome {
  status: 'processed' | 'ignored' | 'invalid';
  reason?: string;
  results: InterruptionResult[];
}

/** Thrown by an entry point so the platform delivers the event again (Lambda async retry, Event Grid). */
export class RetryableFailure extends Error {
  override name = 'RetryableFailure';
}

/** The reasons an outcome deserves another delivery: transient failures, and drains cut short by the function's own time. */
export function retryReasons(results: readonly InterruptionResult[]): string[] {
  return results.flatMap((result) => {
    if (result.status === 'failed' && result.retryable) return [result.reason];
    if (result.status === 'handled' && result.report.retryable) return [`${result.report.node}: incomplete`];
    return [];
  });
}

/**
 * Throws RetryableFailure when any interruption deserves another delivery; anything else is
 * acknowledged, because a retry could not help and must not turn into a storm.
 */
export function throwIfRetryable(results: readonly InterruptionResult[]): void {
  const reasons = retryReasons(results);
  if (reasons.length > 0) {
    throw new RetryableFailure(`retrying ${reasons.length} interruption(s): ${reasons.join('; ')}`);
  }
}

/** After each drain: count it, and tell people once per node and interruption (not per duplicate). */
import type { DrainReport } from '../drain/report.ts';
import type { Logger } from '../logging.ts';
import { type Notifier, shouldNotify } from '../notify/notifier.ts';
import type { DrainMetrics } from '../telemetry/metrics.ts';
import type { ReportContext } from './handle-delivery.ts';

/** Options of reportSink. */
export interface ReportSinkOptions {
  /** Notify even duplicates and dry runs (replay `--notify`). */
  forceNotify?: boolean;
}

/**
 * The pipeline's `onReport` for an entry point: records the report's metrics with the cluster as
 * dimension, then notifies when `shouldNotify` says so. Never throws: a failed notification is logged
 * with its reason.
 */
export function reportSink(
  notifier: Notifier | undefined,
  metrics: DrainMetrics | undefined,
  logger: Logger,
  options: ReportSinkOptions = {},
) {
  return async (report: DrainReport, context: ReportContext): Promise<void> => {
    metrics?.record(report, { dimensions: { cluster: context.cluster } });
    if (!notifier || !shouldNotify(report, { force: options.forceNotify })) return;
    try {
      await notifier.notify(report, {
        cluster: context.cluster,
        machine: context.machine,
        kindLabel: context.kindLabel,
        force: options.forceNotify,
        timeLeftMs: context.remainingTimeMs,
      });
    } catch (error) {
      logger.warn('notification failed', { error: describeFailure(error) });
    }
  };
}

/** The error's message with its cause (`fetch failed: ECONNREFUSED …`), never just its class name. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

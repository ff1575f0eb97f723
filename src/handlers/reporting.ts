import type { DrainReport } from '../drain/report.ts';
import type { Interruption } from '../events/interruption.ts';
import type { Logger } from '../logging.ts';
import { type Notifier, shouldNotify } from '../notify/notifier.ts';
import type { DrainMetrics } from '../telemetry/metrics.ts';

/** After each drain: count it, and tell people once per node and interruption (not per duplicate). */
export function reportSink(notifier: Notifier | undefined, metrics: DrainMetrics, logger: Logger) {
  return async (report: DrainReport, context: { cluster: string; interruption: Interruption }) => {
    metrics.record(report, { dimensions: { cluster: context.cluster } });
    if (!notifier || !shouldNotify(report)) return;
    try {
      await notifier.notify(report, { cluster: context.cluster, machine: context.interruption.machine });
    } catch (error) {
      logger.warn('notification failed', { error: (error as Error).message });
    }
  };
}

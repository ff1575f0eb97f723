/**
 * Azure: logs and metrics through the Functions InvocationContext, which forwards them to Application
 * Insights as traces. Each line is one JSON object, so `parse_json(message)` reads its fields in KQL.
 * @azure/functions is not imported: the structural type below is all this module needs.
 */
import type { LogFields, Logger, LogLevel } from '../logging.ts';
import { redact, redactText } from '../redact.ts';
import { type DrainMetrics, type MetricExtras, type MetricPoint, metricPoints } from './metrics.ts';

type LogMethod = (...args: unknown[]) => void;

/** The logging half of @azure/functions' InvocationContext. */
export interface InvocationLogSink {
  log: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  info?: LogMethod;
  debug?: LogMethod;
  trace?: LogMethod;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Our Logger over an Azure Functions InvocationContext: one redacted JSON line per call,
 * `{ level, message, ...fields }`, at or above `level` (default `info`), through the context's method of
 * that level (`log` when it has no `debug` or `info`).
 */
export function invocationContextLogger(
  context: InvocationLogSink,
  options: { level?: LogLevel } = {},
): Logger {
  const threshold = SEVERITY[options.level ?? 'info'];
  const methods: Record<LogLevel, LogMethod> = {
    debug: context.debug ?? context.log,
    info: context.info ?? context.log,
    warn: context.warn,
    error: context.error,
  };
  const log = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (SEVERITY[level] < threshold) return;
    const line = { level, message: redactText(message), ...(fields ? redact(fields) : {}) };
    methods[level].call(context, JSON.stringify(line));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Metrics as log lines `{ metric, value, unit, dimensions }`, written when flushed. */
export function invocationContextMetrics(context: InvocationLogSink): DrainMetrics {
  let pending: MetricPoint[] = [];
  return {
    record(report, extra?: MetricExtras) {
      pending.push(...metricPoints(report, extra));
    },
    flush() {
      const points = pending;
      pending = [];
      for (const point of points) {
        const line = {
          metric: point.name,
          value: point.value,
          unit: point.unit,
          dimensions: point.dimensions,
        };
        (context.info ?? context.log).call(context, JSON.stringify(line));
      }
    },
  };
}

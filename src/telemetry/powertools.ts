/**
 * AWS: metrics as CloudWatch embedded metric format and logs through Powertools. The only module that
 * imports Powertools, so the Azure bundle does not carry it.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger, LogLevel } from '../logging.ts';
import { redactingLogger } from '../logging.ts';
import {
  type DrainMetrics,
  groupByDimensions,
  type MetricExtras,
  type MetricPoint,
  metricPoints,
} from './metrics.ts';

/** The CloudWatch namespace when POWERTOOLS_METRICS_NAMESPACE is unset (serverless.yml sets it to this). */
export const DEFAULT_METRICS_NAMESPACE = 'SpotDrainer';

/**
 * The dimension Powertools adds to every metric on AWS, valued POWERTOOLS_SERVICE_NAME (`spot-drainer` in
 * serverless.yml), besides those of metrics.ts.
 */
export const SERVICE_DIMENSION = 'service';

/** How powertoolsLogger builds its Powertools Logger, or the Logger to use instead. */
export interface PowertoolsLoggerOptions {
  /** Defaults to Powertools' own reading of POWERTOOLS_LOG_LEVEL / LOG_LEVEL. */
  logLevel?: LogLevel;
  /** An existing Powertools Logger (e.g. one the handler adds the Lambda context to). */
  logger?: PowertoolsLogger;
}

/** Our Logger on top of a Powertools Logger, with messages and fields redacted. */
export function powertoolsLogger(serviceName: string, options: PowertoolsLoggerOptions = {}): Logger {
  const logger =
    options.logger ??
    new PowertoolsLogger({
      serviceName,
      ...(options.logLevel ? { logLevel: options.logLevel.toUpperCase() as Uppercase<LogLevel> } : {}),
    });
  return redactingLogger({
    debug: (message, fields) => (fields ? logger.debug(message, fields) : logger.debug(message)),
    info: (message, fields) => (fields ? logger.info(message, fields) : logger.info(message)),
    warn: (message, fields) => (fields ? logger.warn(message, fields) : logger.warn(message)),
    error: (message, fields) => (fields ? logger.error(message, fields) : logger.error(message)),
  });
}

/**
 * How powertoolsMetrics builds its Powertools Metrics (CloudWatch embedded metric format,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */
export interface PowertoolsMetricsOptions {
  /** Defaults to POWERTOOLS_METRICS_NAMESPACE, else DEFAULT_METRICS_NAMESPACE. */
  namespace?: string;
  /** Defaults to POWERTOOLS_SERVICE_NAME (the `service` dimension). */
  serviceName?: string;
  /** A dedicated instance: flush publishes everything stored in it. */
  metrics?: Metrics;
}

/** One EMF document per set of dimensions, written to stdout when flushed. */
export function powertoolsMetrics(options: PowertoolsMetricsOptions = {}): DrainMetrics {
  const metrics =
    options.metrics ??
    new Metrics({
      namespace: options.namespace ?? process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
      ...(options.serviceName ? { serviceName: options.serviceName } : {}),
    });
  let pending: MetricPoint[] = [];
  return {
    record(report, extra?: MetricExtras) {
      pending.push(...metricPoints(report, extra));
    },
    flush() {
      const groups = groupByDimensions(pending);
      pending = [];
      for (const group of groups) {
        metrics.addDimensions(group[0]?.dimensions ?? {});
        for (const point of group) metrics.addMetric(point.name, point.unit, point.value);
        metrics.publishStoredMetrics();
      }
    },
  };
}

import { redact, redactText } from './redact.ts';

/** The structured fields of one log record. */
export type LogFields = Record<string, unknown>;

/**
 * The one logging interface the library uses; entry points adapt their platform's logger to it (Powertools on
 * Lambda, the invocation context on Azure). `fields` are merged into the structured record.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Log levels, least severe first (LOG_LEVEL). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
type Level = LogLevel;
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One JSON object per line on stdout: what CloudWatch, Application Insights and `jq` all read.
 * Tokens, kubeconfigs and webhook URLs are redacted before anything is written.
 */
export function jsonLogger(
  options: { level?: Level; base?: LogFields; write?: (line: string) => void } = {},
): Logger {
  const threshold = order[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = (level: Level) => (message: string, fields?: LogFields) => {
    if (order[level] < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...options.base, ...fields }));
  };
  return redactingLogger({ debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') });
}

/** A Logger that drops everything (replay without --verbose, benchmarks, tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A Logger that redacts messages and fields before handing them to `inner`. */
export function redactingLogger(inner: Logger): Logger {
  const wrap =
    (log: Logger['info']) =>
    (message: string, fields?: LogFields): void =>
      fields === undefined ? log(redactText(message)) : log(redactText(message), redact(fields));
  return {
    debug: wrap(inner.debug.bind(inner)),
    info: wrap(inner.info.bind(inner)),
    warn: wrap(inner.warn.bind(inner)),
    error: wrap(inner.error.bind(inner)),
  };
}

#!/usr/bin/env node
/** The spot-drainer command line: parse, replay, release, audit, doctor, demo and the local cluster. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { KubeApiError } from '../kube/client.ts';
import { jsonLogger, type Logger } from '../logging.ts';
import { COMMAND_HELP, USAGE, VERSION } from './help.ts';
import { UsageError } from './input.ts';
import { KubeconfigError } from './kubeconfig-file.ts';
import { type CommandOutput, parseCommand } from './parse-command.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, unknown>;

const KUBE_OPTIONS: Options = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
};

const OPTIONS: Record<string, Options> = {
  parse: {},
  replay: {
    ...KUBE_OPTIONS,
    now: { type: 'string' },
    'cloud-calls': { type: 'boolean', default: false },
    notify: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  },
  release: { ...KUBE_OPTIONS, node: { type: 'string' } },
  audit: {
    kubeconfig: { type: 'string' },
    context: { type: 'string' },
    notice: { type: 'string' },
    selector: { type: 'string' },
    json: { type: 'boolean', default: false },
    format: { type: 'string' },
  },
  demo: {},
  doctor: {
    cloud: { type: 'string' },
    param: { type: 'string', multiple: true },
    kubeconfig: { type: 'string' },
    context: { type: 'string' },
    'drainer-context': { type: 'string' },
    json: { type: 'boolean', default: false },
    stage: { type: 'string' },
    region: { type: 'string' },
    subscription: { type: 'string' },
    cluster: { type: 'string', multiple: true },
  },
};

/** A full ISO 8601 date and time with seconds and a timezone (Z or ±hh:mm). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;

/** `--now`: only a full ISO 8601 time with a timezone; a date alone or a local time is ambiguous. */
export function parseNow(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!ISO_TIME.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--now: not a full ISO 8601 time with a timezone: ${value} (for example 2026-11-20T14:03:11Z)`,
    );
  }
  return date;
}

function verboseLogger(values: Values): Logger | undefined {
  return values.verbose
    ? jsonLogger({ level: 'debug', write: (line) => process.stderr.write(`${line}\n`) })
    : undefined;
}

async function runReplay(positionals: string[], values: Values): Promise<CommandOutput> {
  const { replayCommand } = await import('./replay-command.ts');
  return replayCommand(
    {
      files: positionals,
      kubeconfig: values.kubeconfig as string | undefined,
      context: values.context as string | undefined,
      dryRun: values['dry-run'] === true,
      json: values.json === true,
      now: parseNow(values.now as string | undefined),
      cloudCalls: values['cloud-calls'] === true,
      notify: values.notify === true,
      force: values.force === true,
    },
    verboseLogger(values),
  );
}

async function runRelease(positionals: string[], values: Values): Promise<CommandOutput> {
  const { releaseCommand } = await import('./release-command.ts');
  return releaseCommand(
    {
      node: values.node as string | undefined,
      file: positionals[0],
      extraFiles: positionals.slice(1),
      kubeconfig: values.kubeconfig as string | undefined,
      context: values.context as string | undefined,
      dryRun: values['dry-run'] === true,
      json: values.json === true,
    },
    verboseLogger(values),
  );
}

async function runAudit(positionals: string[], values: Values): Promise<CommandOutput> {
  if (positionals.length > 0) throw new UsageError(`audit takes no arguments\n${COMMAND_HELP.audit}`);
  const { auditCommand } = await import('./audit-command.ts');
  return auditCommand({
    kubeconfig: values.kubeconfig as string | undefined,
    context: values.context as string | undefined,
    notice: values.notice as string | undefined,
    selector: values.selector as string | undefined,
    json: values.json === true,
    format: values.format as string | undefined,
  });
}

/** `--param name=value`, repeated, as `serverless deploy` and `az deployment` take them. */
export function parseParams(values: readonly string[] | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const value of values ?? []) {
    const separator = value.indexOf('=');
    if (separator <= 0) throw new UsageError(`--param ${value}: expected name=value`);
    params[value.slice(0, separator)] = value.slice(separator + 1);
  }
  return params;
}

async function runDoctor(positionals: string[], values: Values): Promise<CommandOutput> {
  const cloud = values.cloud;
  if (positionals.length > 0 || (cloud !== 'aws' && cloud !== 'azure')) {
    throw new UsageError(`doctor: pass --cloud aws or --cloud azure\n${COMMAND_HELP.doctor}`);
  }
  const { doctorCommand } = await import('./doctor/doctor-command.ts');
  return doctorCommand({
    cloud,
    params: parseParams(values.param as string[] | undefined),
    json: values.json === true,
    kubeconfig: values.kubeconfig as string | undefined,
    context: values.context as string | undefined,
    drainerContext: values['drainer-context'] as string | undefined,
    stage: values.stage as string | undefined,
    region: values.region as string | undefined,
    subscription: values.subscription as string | undefined,
    clusters: values.cluster as string[] | undefined,
  });
}

async function runCommand(command: string, rest: string[]): Promise<CommandOutput> {
  if (command === 'cluster') {
    const { clusterCommand } = await import('./cluster-command.ts');
    return clusterCommand(rest);
  }
  const options = OPTIONS[command] ?? {};
  const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options });
  if (command === 'parse') return parseCommand(positionals);
  if (command === 'replay') return runReplay(positionals, values);
  if (command === 'release') return runRelease(positionals, values);
  if (command === 'audit') return runAudit(positionals, values);
  if (command === 'doctor') return runDoctor(positionals, values);
  if (positionals.length > 0) throw new UsageError(`demo takes no arguments\n${COMMAND_HELP.demo}`);
  const { runDemo } = await import('./demo.ts');
  return runDemo();
}

async function run(argv: string[]): Promise<CommandOutput> {
  const [command, ...rest] = argv;
  if (command === undefined) return { code: 2, stdout: USAGE };
  if (['help', '--help', '-h'].includes(command)) {
    const topic = command === 'help' ? rest[0] : undefined;
    return { code: 0, stdout: (topic && COMMAND_HELP[topic]) || USAGE };
  }
  if (command === '--version' || command === '-V') return { code: 0, stdout: VERSION };
  const help = COMMAND_HELP[command];
  if (!help) throw new UsageError(`unknown command ${command}\n${USAGE}`);
  if (rest.includes('--help') || rest.includes('-h')) return { code: 0, stdout: help };
  return runCommand(command, rest);
}

function describeFailure(error: unknown): string {
  const known =
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof KubeconfigError ||
    error instanceof KubeApiError ||
    (error as Error)?.name === 'TypeError';
  return known ? (error as Error).message : ((error as Error)?.stack ?? String(error));
}

run(process.argv.slice(2)).then(
  ({ code, stdout, stderr }) => {
    if (stdout) process.stdout.write(`${stdout}\n`);
    if (stderr) process.stderr.write(`spot-drainer: ${stderr}\n`);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`spot-drainer: ${describeFailure(error)}\n`);
    process.exitCode = 2;
  },
);

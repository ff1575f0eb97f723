#!/usr/bin/env node
/** The spot-drainer command line: parse, replay, demo and the local cluster. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { jsonLogger } from '../logging.ts';
import { UsageError } from './input.ts';
import { type CommandOutput, parseCommand } from './parse-command.ts';
import { replayCommand } from './replay-command.ts';

const usage = `usage:
  spot-drainer parse <event.json | ->
      print the interruptions an AWS or Azure event yields, or why it is ignored
  spot-drainer replay <event.json> [--kubeconfig PATH] [--context NAME] [--dry-run] [--json] [--now ISO-TIME]
                      [--cloud-calls] [--notify] [--force] [--verbose]
      run the function's pipeline against a cluster in a kubeconfig (node resolved by provider id; no cloud
      API calls unless --cloud-calls; notifications as the function sends them, or always with --notify;
      an event past its deadline or dated in the future writes nothing without --now or --force)
  spot-drainer demo
      start a local control plane, fire an AWS spot warning and an Azure Preempt at the bundled handlers
  spot-drainer cluster up [--foreground] | down | status | env
      the local control plane the demo and the tests use (npm run cluster -- …)`;

async function run(argv: string[]): Promise<CommandOutput> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'parse': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      return parseCommand(positionals[0]);
    }
    case 'replay': {
      const { positionals, values } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          kubeconfig: { type: 'string' },
          context: { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
          now: { type: 'string' },
          'cloud-calls': { type: 'boolean', default: false },
          notify: { type: 'boolean', default: false },
          force: { type: 'boolean', default: false },
          verbose: { type: 'boolean', default: false },
        },
      });
      const now = values.now === undefined ? undefined : new Date(values.now);
      if (now && Number.isNaN(now.getTime())) throw new UsageError(`--now: not an ISO time: ${values.now}`);
      return replayCommand(
        {
          file: positionals[0],
          kubeconfig: values.kubeconfig,
          context: values.context,
          dryRun: values['dry-run'],
          json: values.json,
          now,
          cloudCalls: values['cloud-calls'],
          notify: values.notify,
          force: values.force,
        },
        values.verbose
          ? jsonLogger({ level: 'debug', write: (line) => process.stderr.write(`${line}\n`) })
          : undefined,
      );
    }
    case 'demo': {
      const { runDemo } = await import('./demo.ts');
      return runDemo();
    }
    case 'cluster': {
      const { clusterCommand } = await import('./cluster-command.ts');
      return clusterCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { code: command === undefined ? 2 : 0, stdout: usage };
    default:
      throw new UsageError(`unknown command ${command}\n${usage}`);
  }
}

run(process.argv.slice(2)).then(
  ({ code, stdout, stderr }) => {
    if (stdout) process.stdout.write(`${stdout}\n`);
    if (stderr) process.stderr.write(`spot-drainer: ${stderr}\n`);
    process.exitCode = code;
  },
  (error: unknown) => {
    const known =
      error instanceof UsageError || error instanceof ConfigError || (error as Error)?.name === 'TypeError';
    process.stderr.write(
      `spot-drainer: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}\n`,
    );
    process.exitCode = 2;
  },
);

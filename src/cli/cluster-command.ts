/**
 * `spot-drainer cluster up | down | status | env` (`npm run cluster -- …`): the local control plane for
 * the demo, tests and benchmarks. `up` leaves it running in the background and remembers where; `env`
 * prints the shell variables that point at it (tests reuse a running cluster when
 * SPOT_DRAINER_CLUSTER_DIR is set). `up --foreground` keeps it attached to the terminal instead, until
 * Ctrl-C (SIGINT) or SIGTERM stops it. Interrupting `up` while it starts stops what it started.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheRoot } from '../local-cluster/binaries.ts';
import {
  type ClusterInfo,
  componentsAlive,
  loadClusterInfo,
  releaseControlPlane,
  startControlPlane,
  stopControlPlane,
} from '../local-cluster/control-plane.ts';
import { tearDownOnExit } from '../local-cluster/teardown.ts';
import { UsageError } from './input.ts';
import type { CommandOutput } from './parse-command.ts';

/** The usage line of the cluster command. */
export const CLUSTER_USAGE = 'usage: spot-drainer cluster up [--foreground] | down | status | env';

const pointer = () => join(cacheRoot(), 'cluster', 'current');

function current(): ClusterInfo | undefined {
  const file = pointer();
  const dir =
    process.env.SPOT_DRAINER_CLUSTER_DIR ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
  return dir && existsSync(join(dir, 'cluster.json')) ? loadClusterInfo(dir) : undefined;
}

/**
 * The environment variables that point tools at a running local cluster: SPOT_DRAINER_CLUSTER_DIR (its
 * state directory), KUBECONFIG (admin) and SPOT_DRAINER_DRAINER_KUBECONFIG (the drainer's identity).
 */
export function clusterEnv(info: ClusterInfo): Record<string, string> {
  return {
    SPOT_DRAINER_CLUSTER_DIR: info.dir,
    KUBECONFIG: info.adminKubeconfig,
    SPOT_DRAINER_DRAINER_KUBECONFIG: info.drainerKubeconfig,
  };
}

function envLines(info: ClusterInfo): string {
  return Object.entries(clusterEnv(info))
    .map(([key, value]) => `export ${key}=${value}`)
    .join('\n');
}

async function up(foreground: boolean): Promise<CommandOutput> {
  const running = current();
  if (!foreground && running && Object.values(componentsAlive(running)).every(Boolean)) {
    return { code: 0, stdout: envLines(running), stderr: `already running in ${running.dir}` };
  }
  const removeHandlers = tearDownOnExit();
  const started = Date.now();
  const info = await startControlPlane();
  const ready = `Kubernetes ${info.kubernetesVersion} ready at ${info.server} in ${Date.now() - started} ms`;
  if (foreground) {
    // Stays attached: the handlers stop it on Ctrl-C or SIGTERM (exit 130 / 143).
    process.stderr.write(`spot-drainer: ${ready}; Ctrl-C stops it\n`);
    process.stdout.write(`${envLines(info)}\n`);
    await new Promise(() => setInterval(() => undefined, 1 << 30));
  }
  mkdirSync(join(cacheRoot(), 'cluster'), { recursive: true });
  writeFileSync(pointer(), info.dir);
  releaseControlPlane(info);
  removeHandlers();
  return { code: 0, stdout: envLines(info), stderr: ready };
}

/**
 * Runs `cluster <args>`. Resolves with the exit code and what to print: `up` and `env` print `export`
 * lines on stdout (for `eval`), messages go to stderr. `up --foreground` resolves only by ending the
 * process (on SIGINT / SIGTERM). Throws UsageError on an unknown subcommand or option.
 */
export async function clusterCommand(args: string[]): Promise<CommandOutput> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { foreground: { type: 'boolean', default: false } },
  });
  const [command, ...extra] = positionals;
  if (extra.length > 0 || (values.foreground && command !== 'up')) throw new UsageError(CLUSTER_USAGE);
  switch (command) {
    case 'up':
      return up(values.foreground);
    case 'down': {
      const info = current();
      if (!info) return { code: 0, stderr: 'no local cluster is running' };
      await stopControlPlane(info);
      // Forget it only if it is the one remembered (SPOT_DRAINER_CLUSTER_DIR may name another).
      const file = pointer();
      if (existsSync(file) && readFileSync(file, 'utf8').trim() === info.dir) rmSync(file, { force: true });
      return { code: 0, stderr: `stopped and removed ${info.dir}` };
    }
    case 'status': {
      const info = current();
      if (!info) return { code: 1, stdout: 'no local cluster' };
      const alive = componentsAlive(info);
      const lines = [`${info.server} (Kubernetes ${info.kubernetesVersion}) in ${info.dir}`];
      for (const [name, isUp] of Object.entries(alive))
        lines.push(`  ${isUp ? 'running' : 'stopped'}  ${name}`);
      return { code: Object.values(alive).every(Boolean) ? 0 : 1, stdout: lines.join('\n') };
    }
    case 'env': {
      const info = current();
      if (!info) return { code: 1, stderr: 'no local cluster is running: npm run cluster -- up' };
      return { code: 0, stdout: envLines(info) };
    }
    default:
      return { code: 2, stderr: CLUSTER_USAGE };
  }
}

/**
 * Interrupting what starts a control plane leaves nothing running (issue #17): `spot-drainer demo`,
 * a vitest run (the harness's global setup) and `spot-drainer cluster up --foreground` run as real
 * child processes; once their control plane is up,
 * the test records its processes and state, signals the command, and checks that every process it
 * started is gone (by pid), etcd's /dev/shm data and the state dir are removed, and the exit code is
 * 128 + the signal.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  type ClusterInfo,
  loadClusterInfo,
  stopControlPlane,
} from '../../src/local-cluster/control-plane.ts';
import { isAlive } from '../../src/local-cluster/processes.ts';
import { eventually } from './cluster.ts';

const root = join(import.meta.dirname, '..', '..');
const spotDrainer = join(root, 'bin', 'spot-drainer.js');
const COMPONENTS = [
  'authn-webhook',
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
];

interface Command {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node <nodeArgs>` in the project root, without a SPOT_DRAINER_CLUSTER_DIR to reuse. */
function start(nodeArgs: string[]): Command {
  const env = { ...process.env };
  delete env.SPOT_DRAINER_CLUSTER_DIR;
  delete env.SPOT_DRAINER_KEEP_CLUSTER;
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** The state dir of the API server listening on `port`, from its --token-auth-file flag in /proc. */
function clusterDirOfApiserver(port: string): string | undefined {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args.includes(`--secure-port=${port}`)) continue;
    const tokens = args.find((arg) => arg.startsWith('--token-auth-file='));
    if (tokens) return tokens.slice('--token-auth-file='.length).replace(/\/tokens\.csv$/, '');
  }
  return undefined;
}

/** Everything the command started is there: all six processes alive, etcd's data and the state dir. */
function expectRunning(info: ClusterInfo): number[] {
  expect(Object.keys(info.components).sort()).toEqual(COMPONENTS);
  const pids = Object.values(info.components).map((state) => state?.pid ?? 0);
  for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(true);
  expect(info.etcdDataDir).toMatch(/^\/dev\/shm\/spot-drainer-etcd-/);
  expect(existsSync(info.etcdDataDir!)).toBe(true);
  expect(existsSync(info.dir)).toBe(true);
  return pids;
}

/**
 * Waits for `clusterDir` to find the control plane `command` started, checks it is all there, sends
 * `signal` (none: the command ends by itself), and checks the command exited with `exitCode` leaving
 * nothing behind. Whatever happens, it
 * stops what the command left (so a failing run does not leak a control plane into the machine).
 */
async function interrupt(
  command: Command,
  clusterDir: (output: string) => string | undefined,
  signal: NodeJS.Signals | undefined,
  exitCode: number,
): Promise<string> {
  let info: ClusterInfo | undefined;
  try {
    const dir = await eventually(
      'the control plane to be up',
      async () => clusterDir(command.output()),
      90_000,
    );
    info = loadClusterInfo(dir);
    const pids = expectRunning(info);
    if (signal) command.child.kill(signal);
    const { code, signal: killedBy } = await command.exited;
    expect({ code, signal: killedBy }, command.output()).toEqual({ code: exitCode, signal: null });
    // On the exit path the handler can only SIGKILL (synchronously) and not wait: a killed process group
    // is gone a moment after the command, so give it that moment, not more.
    await eventually(
      'the processes it started to be gone',
      async () => pids.every((pid) => !isAlive(pid)),
      5_000,
    ).catch(() => undefined);
    const names = Object.fromEntries(
      Object.entries(info.components).map(([name, state]) => [state?.pid, name]),
    );
    for (const pid of pids) {
      const comm = isAlive(pid)
        ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 200)
        : '';
      expect(isAlive(pid), `pid ${pid} (${names[pid]}) left running: ${comm}`).toBe(false);
    }
    expect(existsSync(info.etcdDataDir!), 'etcd data dir left behind').toBe(false);
    expect(existsSync(info.dir), 'state dir left behind').toBe(false);
    return command.output();
  } finally {
    command.child.kill('SIGKILL');
    // Only when the command left something running (the test failed): pids are not reused that fast.
    const left = info && Object.values(info.components).some((state) => state && isAlive(state.pid));
    if (info && (left || existsSync(info.dir))) await stopControlPlane(info);
  }
}

describe('teardown on every way out', () => {
  it('Ctrl-C during `spot-drainer demo` stops the control plane and removes its state (exit 130)', async () => {
    const output = await interrupt(
      start([spotDrainer, 'demo']),
      (text) => {
        const port = text.match(/ at https:\/\/127\.0\.0\.1:(\d+), ready/)?.[1];
        return port ? clusterDirOfApiserver(port) : undefined;
      },
      'SIGINT',
      130,
    );
    expect(output).toContain('SIGINT: stopping the local control plane');
  });

  it("Ctrl-C during a test run stops the harness's control plane and removes its state (exit 130)", async () => {
    // A run of its own (vitest in a child process), interrupted while its tests use its control plane.
    await interrupt(
      start([
        join(root, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--project',
        'integration',
        'test/integration/control-plane.test.ts',
      ]),
      (text) => text.match(/local control plane .* ready in \d+ ms in (\S+)/)?.[1],
      'SIGINT',
      130,
    );
  });

  it('SIGTERM to `cluster up --foreground` stops it and removes its state (exit 143)', async () => {
    await interrupt(
      start([spotDrainer, 'cluster', 'up', '--foreground']),
      (text) => text.match(/^export SPOT_DRAINER_CLUSTER_DIR=(.+)$/m)?.[1],
      'SIGTERM',
      143,
    );
  });

  it('an uncaught exception after start-up still stops the control plane and removes its state', async () => {
    const script = `
      import { startControlPlane } from './src/local-cluster/control-plane.ts';
      import { tearDownOnExit } from './src/local-cluster/teardown.ts';
      tearDownOnExit();
      const info = await startControlPlane();
      console.log('started in ' + info.dir);
      setTimeout(() => { throw new Error('boom'); }, 3000);
    `;
    const output = await interrupt(
      start(['--input-type=module', '-e', script]),
      (text) => text.match(/^started in (\S+)$/m)?.[1],
      undefined,
      1,
    );
    expect(output).toContain('Error: boom');
  });
});

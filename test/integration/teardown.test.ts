/**
 * Interrupting what starts a control plane leaves nothing running (issue #17): `spot-drainer demo` and
 * `spot-drainer cluster up --foreground` run as real child processes; once their control plane is up,
 * the test records its processes and state, signals the command, and checks that every process it
 * started is gone (by pid), etcd's /dev/shm data and the state dir are removed, and the exit code is
 * 128 + the signal.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ClusterInfo, loadClusterInfo } from '../../src/local-cluster/control-plane.ts';
import { isAlive } from '../../src/local-cluster/processes.ts';
import { eventually } from './cluster.ts';

const root = join(import.meta.dirname, '..', '..');
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

function start(args: string[]): Command {
  const env = { ...process.env };
  delete env.SPOT_DRAINER_CLUSTER_DIR;
  const child = spawn(process.execPath, [join(root, 'bin', 'spot-drainer.js'), ...args], {
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

async function expectTornDown(command: Command, info: ClusterInfo, pids: number[], exitCode: number) {
  const { code, signal } = await command.exited;
  expect({ code, signal }, command.output()).toEqual({ code: exitCode, signal: null });
  for (const pid of pids) expect(isAlive(pid), `pid ${pid} left running`).toBe(false);
  expect(existsSync(info.etcdDataDir!), 'etcd data dir left behind').toBe(false);
  expect(existsSync(info.dir), 'state dir left behind').toBe(false);
}

describe('teardown on interruption', () => {
  it('Ctrl-C during `spot-drainer demo` stops the control plane and removes its state (exit 130)', async () => {
    const demo = start(['demo']);
    try {
      const port = await eventually(
        'the demo to report its control plane',
        async () => demo.output().match(/ at https:\/\/127\.0\.0\.1:(\d+), ready/)?.[1],
        90_000,
      );
      const dir = clusterDirOfApiserver(port);
      expect(dir, demo.output()).toBeDefined();
      const info = loadClusterInfo(dir!);
      const pids = expectRunning(info);
      demo.child.kill('SIGINT');
      await expectTornDown(demo, info, pids, 130);
      expect(demo.output()).toContain('SIGINT: stopping the local control plane');
    } finally {
      demo.child.kill('SIGKILL');
    }
  });

  it('SIGTERM to `cluster up --foreground` stops it and removes its state (exit 143)', async () => {
    const up = start(['cluster', 'up', '--foreground']);
    try {
      const dir = await eventually(
        'cluster up to print its environment',
        async () => up.output().match(/^export SPOT_DRAINER_CLUSTER_DIR=(.+)$/m)?.[1],
        90_000,
      );
      const info = loadClusterInfo(dir);
      const pids = expectRunning(info);
      up.child.kill('SIGTERM');
      await expectTornDown(up, info, pids, 143);
    } finally {
      up.child.kill('SIGKILL');
    }
  });
});

/** Process management for the local control plane: detached process groups, readiness polling, ports. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process to start: `command` with `args`, stdout and stderr appended to `logFile`. */
export interface ProcessSpec {
  /** For error messages. */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a process in its own process group (detached: a terminal's Ctrl-C does not reach it, so whoever
 * starts it must stop it), logging to a file; returns its pid, which is also its process group id.
 * Throws when the command cannot be spawned.
 */
export function startProcess(spec: ProcessSpec): number {
  const log = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: spec.env ?? process.env,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * Whether a process with this pid is running: it exists (signal 0) and, where /proc tells, is not a
 * zombie waiting to be reaped (an orphan whose init does not reap is dead all the same). False for pid 0.
 */
export function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; comm may contain spaces and parentheses, the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc (not Linux): signal 0 is all there is. With /proc, the process went away meanwhile.
    return !existsSync('/proc/self/stat');
  }
}

/**
 * SIGTERM the process group (or the process, when it leads none), then SIGKILL it if the process is still
 * alive after `graceMs` milliseconds; resolves once the process is gone. Never rejects.
 */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const until = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < until) await sleep(50);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

/** SIGKILLs the process group (or the process) synchronously: for exit handlers. Never throws. */
export function killNow(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** `count` distinct TCP ports free on 127.0.0.1 right now (bound to port 0, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      return server;
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The last `lines` lines of a log file, or `(no log)` when it cannot be read. */
export function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `probe` every `intervalMs` (100 ms) until it resolves true (a rejection counts as false); rejects
 * with `describe()` appended when `timeoutMs` has passed or `alive()` returns false.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; alive?: () => boolean; describe?: () => string },
): Promise<void> {
  const until = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (options.alive && !options.alive()) {
      throw new Error(`${what}: the process exited\n${options.describe?.() ?? ''}`);
    }
    if (Date.now() > until)
      throw new Error(`${what}: not ready in ${options.timeoutMs} ms\n${options.describe?.() ?? ''}`);
    await sleep(options.intervalMs ?? 100);
  }
}

/** Starts a stand-in server process on a free loopback port and stops it with the test file. */
import { type ChildProcess, spawn } from 'node:child_process';

/** A running stand-in: its base URL and how to stop it. */
export interface StandIn {
  url: string;
  close(): Promise<void>;
}

/**
 * Spawns `command`, waits (up to `timeoutMs`) for a line of its output to match `ready` (whose first
 * group is the port), and returns `http://127.0.0.1:<port>`. Rejects with the output so far when the
 * process exits or stays silent.
 */
export function startStandIn(
  name: string,
  command: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<StandIn> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start (${why}):\n${output}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = ready.exec(output)?.[1];
      if (!port) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stderr?.removeAllListeners('data');
      // Keep draining, so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve({ url: `http://127.0.0.1:${port}`, close: () => stop(child) });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code, signal) => fail(`exited: ${code ?? signal}`));
    child.on('error', (error) => fail(error.message));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs the real `spot-drainer` binary (bin/spot-drainer.js) as a child process, as a user would. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** What the command printed and its exit code. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `spot-drainer <args>` with `input` on standard input and `env` added to this process's environment. */
export function runCli(args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'spot-drainer.js'), ...args], {
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A field case's file (test/fixtures/cases/<name>/<file>). */
export function caseFile(name: string, file: string): string {
  return join(root, 'test', 'fixtures', 'cases', name, file);
}

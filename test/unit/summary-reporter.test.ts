import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The closing line of test/summary-reporter.ts, checked on real vitest runs of deliberately failing
// suites (test/reporter-fixtures, outside the normal run), as CI reads it: the last line of the
// output, stdout and stderr together, in the order they were written.

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = join(root, 'test/reporter-fixtures/vitest.config.ts');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const closing = /^(?:\w+: )?(\d+) passed, (\d+) failed$/;

interface Run {
  code: number | null;
  output: string;
  lines: string[];
}

const dir = mkdtempSync(join(tmpdir(), 'summary-reporter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runFixture(name: string, filter: string, env: Record<string, string> = {}): Promise<Run> {
  const file = join(dir, `${name}.log`);
  const fd = openSync(file, 'w');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NO_COLOR: '1', CI: '1' };
  for (const key of Object.keys(childEnv)) if (key.startsWith('VITEST')) delete childEnv[key];
  try {
    const child = spawn(process.execPath, [vitest, 'run', '--config', config, filter], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', fd, fd],
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    const output = readFileSync(file, 'utf8');
    return { code, output, lines: output.split('\n').filter((line) => line.trim() !== '') };
  } finally {
    closeSync(fd);
  }
}

function counts(run: Run): { passed: number; failed: number } {
  const last = run.lines.at(-1) ?? '';
  const match = closing.exec(last);
  expect(match, `last line ${JSON.stringify(last)} of:\n${run.output}`).not.toBeNull();
  return { passed: Number(match![1]), failed: Number(match![2]) };
}

const cases = {
  green: { filter: 'green', env: {} },
  failingTest: { filter: 'failing-test', env: {} },
  failingBeforeAll: { filter: 'failing-before-all', env: {} },
  failingAfterAll: { filter: 'failing-after-all', env: {} },
  unhandledRejection: { filter: 'unhandled-rejection', env: {} },
  failingGlobalSetup: { filter: 'green', env: { REPORTER_FIXTURE_GLOBAL_SETUP: 'fail' } },
} as const;
const runs = {} as Record<keyof typeof cases, Run>;

beforeAll(async () => {
  const entries = Object.entries(cases) as [keyof typeof cases, (typeof cases)[keyof typeof cases]][];
  const done = await Promise.all(entries.map(([name, { filter, env }]) => runFixture(name, filter, env)));
  entries.forEach(([name], i) => {
    runs[name] = done[i]!;
  });
}, 120_000);

describe('the closing line of the summary reporter', () => {
  it('reports an all-green run as such, with exit code 0', () => {
    expect(counts(runs.green)).toEqual({ passed: 2, failed: 0 });
    expect(runs.green.lines.at(-1)).toBe('Tests: 2 passed, 0 failed');
    expect(runs.green.code).toBe(0);
  });

  it('counts a failing test', () => {
    expect(counts(runs.failingTest)).toEqual({ passed: 1, failed: 1 });
    expect(runs.failingTest.code).not.toBe(0);
  });

  it('counts the tests a failing beforeAll kept from running as failed, not skipped', () => {
    expect(counts(runs.failingBeforeAll)).toEqual({ passed: 1, failed: 2 });
    expect(runs.failingBeforeAll.code).not.toBe(0);
  });

  it('counts a failing afterAll', () => {
    expect(counts(runs.failingAfterAll)).toEqual({ passed: 2, failed: 1 });
    expect(runs.failingAfterAll.code).not.toBe(0);
  });

  it('counts an unhandled rejection', () => {
    expect(counts(runs.unhandledRejection)).toEqual({ passed: 1, failed: 1 });
    expect(runs.unhandledRejection.code).not.toBe(0);
  });

  it('counts a global setup that failed (the control plane did not start)', () => {
    expect(runs.failingGlobalSetup.output).toContain('fixture: the control plane did not start');
    expect(counts(runs.failingGlobalSetup)).toEqual({ passed: 0, failed: 1 });
    expect(runs.failingGlobalSetup.code).not.toBe(0);
  });

  it("comes after vitest's own summary and errors", () => {
    for (const [name, run] of Object.entries(runs)) {
      const line = run.output.lastIndexOf('Tests: ');
      for (const earlier of ['Duration', 'Unhandled Error', 'FAIL', '⎯⎯⎯']) {
        expect(run.output.lastIndexOf(earlier), `${name}: ${earlier}`).toBeLessThan(line);
      }
      expect(run.output.match(/^Tests: /gm), name).toHaveLength(1);
    }
    // Each of those markers is there in at least one run, so the order above was checked.
    const all = Object.values(runs)
      .map((run) => run.output)
      .join('\n');
    for (const marker of ['Duration', 'Unhandled Error', 'FAIL', '⎯⎯⎯']) expect(all).toContain(marker);
  });
});

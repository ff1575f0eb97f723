/**
 * `npm run test:property:long [-- <seeds> [<parallel>]]`: the property tests of
 * test/unit/property/events.property.test.ts with many seeds (27 by default), each in its own vitest
 * run, and the total of what they tried. This is the run behind the figure in docs/reliability.md.
 * Prints each seed with its figures; exits non-zero, naming the seeds, if any run failed
 * (SPOT_DRAINER_PROPERTY_SEED=<seed> npx vitest run --project unit test/unit/property reruns one).
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const seeds = Number(process.argv[2] ?? 27);
const parallel = Number(process.argv[3] ?? 2);
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(parallel) || parallel < 1) {
  console.error('usage: npm run test:property:long -- [seeds] [parallel]');
  process.exit(2);
}

interface Figures {
  test: string;
  seed: number;
  events?: number;
  interruptions?: number;
  ignored?: number;
  invalid?: number;
  interruptionsFound?: number;
  runs?: number;
  deliveriesWithWrites?: number;
  nodesWritten?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'spot-drainer-property-'));
const figuresFile = (seed: number) => join(dir, `${seed}.jsonl`);

function run(seed: number): Promise<{ seed: number; ok: boolean; figures: Figures[] }> {
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'unit', 'test/unit/property/'],
    {
      cwd: root,
      env: {
        ...process.env,
        SPOT_DRAINER_PROPERTY_SEED: String(seed),
        SPOT_DRAINER_RELIABILITY_FIGURES: figuresFile(seed),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      let figures: Figures[] = [];
      try {
        figures = readFileSync(figuresFile(seed), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Figures);
      } catch {
        // No figures: the run failed before recording them.
      }
      if (code !== 0) process.stderr.write(`\n--- seed ${seed} failed:\n${output}\n`);
      resolve({ seed, ok: code === 0, figures });
    });
  });
}

const queue = Array.from({ length: seeds }, () => randomInt(2 ** 31));
const results: Awaited<ReturnType<typeof run>>[] = [];
const started = Date.now();
await Promise.all(
  Array.from({ length: Math.min(parallel, seeds) }, async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      const result = await run(seed);
      results.push(result);
      const parsers = result.figures.find((f) => f.test === 'property/parsers');
      const handlers = result.figures.find((f) => f.test === 'property/handlers');
      console.log(
        `seed ${seed}: ${result.ok ? 'passed' : 'FAILED'}, ${parsers?.events ?? 0} events parsed, ` +
          `${handlers?.runs ?? 0} handler deliveries (${results.length}/${seeds})`,
      );
    }
  }),
);
rmSync(dir, { recursive: true, force: true });

const sum = (test: string, key: keyof Figures) =>
  results
    .flatMap((r) => r.figures)
    .filter((f) => f.test === test)
    .reduce((total, f) => total + Number(f[key] ?? 0), 0);
const failed = results.filter((r) => !r.ok).map((r) => r.seed);
const n = (value: number) => value.toLocaleString('en-US');
console.log(
  `\n${seeds} seeds in ${Math.round((Date.now() - started) / 1000)} s: ` +
    `${n(sum('property/parsers', 'events'))} events parsed ` +
    `(${n(sum('property/parsers', 'interruptions'))} gave interruptions naming ${n(sum('property/parsers', 'interruptionsFound'))} machines, ` +
    `${n(sum('property/parsers', 'ignored'))} ignored, ${n(sum('property/parsers', 'invalid'))} invalid); ` +
    `${n(sum('property/handlers', 'runs'))} handler deliveries, ${n(sum('property/handlers', 'deliveriesWithWrites'))} of them wrote ` +
    `${n(sum('property/handlers', 'nodesWritten'))} nodes`,
);
console.log(
  failed.length === 0
    ? `${seeds} passed, 0 failed`
    : `${seeds - failed.length} passed, ${failed.length} failed: seeds ${failed.join(', ')}`,
);
process.exit(failed.length === 0 ? 0 : 1);

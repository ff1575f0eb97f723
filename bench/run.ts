/**
 * `npm run bench [-- single mass cold cleanup] [--quick]`: runs the chosen benchmarks (all by default) one
 * after the other, each on a control plane of its own, and regenerates bench/results/latest.json,
 * bench/README.md and its SVG charts (`--report-only`: just regenerate those from the JSON). Benchmarks measure and report; they never assert.
 */
import { join } from 'node:path';
import { cleanup } from './cleanup.ts';
import { cold } from './cold.ts';
import { load, machineInfo, versions } from './lib/machine.ts';
import {
  type Benchmark,
  loadResults,
  type Results,
  type RunMeta,
  saveResults,
  writeReadme,
} from './lib/report.ts';
import { progress } from './lib/timing.ts';
import { mass, writeMassChart } from './mass.ts';
import { ownCpu, writeOwnCpuChart } from './own-cpu.ts';
import { single } from './single.ts';
import { writeZoneChart, zone, zoneFlowControl } from './zone.ts';

/** In the report's order; `cold` runs first, before any control plane has loaded the machine. */
const benchmarks = [single, ownCpu, zone, zoneFlowControl, mass, cold, cleanup] as Benchmark<unknown>[];
const runOrder = [cold, single, ownCpu, mass, zone, zoneFlowControl, cleanup] as Benchmark<unknown>[];

/** The SVG charts, regenerated from the results with README.md. */
function writeCharts(results: Results): void {
  writeMassChart(results);
  writeOwnCpuChart(results);
  writeZoneChart(results);
}

function parseArgs(argv: string[]): { names: string[]; quick: boolean; reportOnly: boolean } {
  const quick = argv.includes('--quick');
  const reportOnly = argv.includes('--report-only');
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const known = new Set(benchmarks.map((benchmark) => benchmark.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0 || argv.includes('--help')) {
    console.error(`usage: node bench/run.ts [${[...known].join('|')} ...] [--quick] [--report-only]`);
    if (unknown.length > 0) console.error(`unknown benchmark: ${unknown.join(', ')}`);
    process.exit(2);
  }
  return { names: reportOnly ? [] : names.length > 0 ? names : [...known], quick, reportOnly };
}

const { names, quick, reportOnly } = parseArgs(process.argv.slice(2));
process.chdir(join(import.meta.dirname, '..'));
const results = loadResults();
if (reportOnly) {
  writeCharts(results);
  writeReadme(results, benchmarks);
}
const failures: string[] = [];
for (const benchmark of runOrder.filter((candidate) => names.includes(candidate.name))) {
  progress(`${benchmark.title}${quick ? ' (quick)' : ''}`);
  const started = Date.now();
  const loadBefore = load();
  try {
    const result = await benchmark.run({ quick });
    const meta: RunMeta = {
      ranAt: new Date(started).toISOString(),
      quick,
      durationS: Math.round((Date.now() - started) / 1000),
      loadBefore,
      loadAfter: load(),
      machine: machineInfo(),
      versions: versions(),
    };
    results.sections[benchmark.name] = { meta, result };
    results.updatedAt = new Date().toISOString();
    // Saved after each benchmark, so a later failure loses nothing already measured.
    saveResults(results);
    writeCharts(results);
    writeReadme(results, benchmarks);
    progress(`${benchmark.name} done in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (error) {
    failures.push(benchmark.name);
    progress(`${benchmark.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  }
}
progress(
  `report: bench/README.md, bench/results/latest.json${failures.length ? `; failed: ${failures.join(', ')}` : ''}`,
);
process.exit(failures.length > 0 ? 1 : 0);

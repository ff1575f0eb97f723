/**
 * Cold start: bundle sizes, and the time from process start to handler ready (import + module init) in
 * fresh Node.js processes, next to a naive bundle built in the same run.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { awsBundle, azureBundle, buildBaselineBundle, buildBundles } from './lib/bundles.ts';
import { type Benchmark, bytes, ms, table, times } from './lib/report.ts';
import { ratio, type Summary, summarize } from './lib/stats.ts';
import { progress } from './lib/timing.ts';

const LAMBDA_SIZE_TARGET = 1_000_000;

/** Runs in each fresh process: imports the module, reports how long since the process started. */
const PROBE = `
const importStart = performance.now();
await import(process.argv[1]);
const ready = performance.now();
process.stdout.write(JSON.stringify({ importStart, ready }));
process.exit(0);
`;

interface Subject {
  name: string;
  label: string;
  file: string;
  env: Record<string, string>;
  nodeOptions?: string;
  /** Entry plus chunks, when the bundle has any. */
  totalBytes?: number;
}

/**
 * What each bundle is, as the report says it. The report takes the words from here, not from the stored
 * results, so that regenerating README.md (`--report-only`) gives the current wording, not the wording of
 * the run that measured the numbers.
 */
const LABELS: Record<string, string> = {
  empty: 'empty module (Node.js start-up alone)',
  aws: 'dist/aws/handler.mjs (Lambda)',
  'aws-source-maps':
    'dist/aws/handler.mjs with NODE_OPTIONS=--enable-source-maps (for debugging; not deployed)',
  azure: 'dist/azure/main.mjs (Azure Function)',
  baseline: 'baseline: `import * as k8s from @kubernetes/client-node` + the same AWS SDK clients',
};

interface SubjectResult {
  name: string;
  label: string;
  /** The entry file, loaded at cold start. */
  entryBytes?: number;
  /** The entry and every lazily loaded chunk: what is deployed. */
  totalBytes?: number;
  gzipEntryBytes?: number;
  /** performance.now() at handler ready: ms since the process started. */
  startToReady: Summary;
  /** The import alone (module evaluation and init). */
  importOnly: Summary;
  /** Spawn to exit, seen from the parent (includes process teardown). */
  spawnToExit: Summary;
}

export interface ColdResult {
  processes: number;
  subjects: SubjectResult[];
}

function probe(subject: Subject): Promise<{ startToReady: number; importOnly: number; spawnToExit: number }> {
  const start = performance.now();
  const args = [
    ...(subject.nodeOptions ? [subject.nodeOptions] : []),
    '--input-type=module',
    '-e',
    PROBE,
    subject.file,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...subject.env } },
      (error, stdout, stderr) => {
        const spawnToExit = performance.now() - start;
        if (error) return reject(new Error(`${subject.name}: ${stderr || error.message}`));
        const { importStart, ready } = JSON.parse(stdout) as { importStart: number; ready: number };
        resolve({ startToReady: ready, importOnly: ready - importStart, spawnToExit });
      },
    );
  });
}

function sizes(file: string, totalBytes: number) {
  return { entryBytes: statSync(file).size, totalBytes, gzipEntryBytes: gzipSync(readFileSync(file)).length };
}

export const cold: Benchmark<ColdResult> = {
  name: 'cold',
  title: '5. Cold start: bundle size and init',
  async run({ quick }) {
    const processes = quick ? 5 : 20;
    const built = await buildBundles();
    const baseline = await buildBaselineBundle();
    const empty = join(tmpdir(), 'spot-drainer-bench-empty.mjs');
    writeFileSync(empty, 'export {};\n');
    const lambdaEnv = { AWS_REGION: 'us-east-1', SPOT_DRAINER_CLUSTER_NAME: 'bench' };
    const subjects: Subject[] = [
      { name: 'empty', label: LABELS.empty!, file: empty, env: {} },
      {
        name: 'aws',
        label: LABELS.aws!,
        file: awsBundle,
        env: lambdaEnv,
        totalBytes: built.aws.totalBytes,
      },
      {
        name: 'aws-source-maps',
        label: LABELS['aws-source-maps']!,
        file: awsBundle,
        env: lambdaEnv,
        nodeOptions: '--enable-source-maps',
      },
      {
        name: 'azure',
        label: LABELS.azure!,
        file: azureBundle,
        env: {},
        totalBytes: built.azure.totalBytes,
      },
      {
        name: 'baseline',
        label: LABELS.baseline!,
        file: baseline,
        env: lambdaEnv,
        totalBytes: statSync(baseline).size,
      },
    ];
    const samples = new Map(
      subjects.map((subject) => [subject.name, [] as Awaited<ReturnType<typeof probe>>[]]),
    );
    progress(`cold: ${processes} fresh processes per bundle, round robin (plus one warm-up round)`);
    for (let round = 0; round <= processes; round++) {
      for (const subject of subjects) {
        const sample = await probe(subject);
        if (round > 0) samples.get(subject.name)!.push(sample);
      }
    }
    return {
      processes,
      subjects: subjects.map((subject) => {
        const runs = samples.get(subject.name)!;
        return {
          name: subject.name,
          label: subject.label,
          ...(subject.totalBytes === undefined || subject.nodeOptions
            ? {}
            : sizes(subject.file, subject.totalBytes)),
          startToReady: summarize(runs.map((run) => run.startToReady)),
          importOnly: summarize(runs.map((run) => run.importOnly)),
          spawnToExit: summarize(runs.map((run) => run.spawnToExit)),
        };
      }),
    };
  },

  targets(result) {
    const find = (name: string) => result.subjects.find((subject) => subject.name === name);
    const aws = find('aws');
    const baseline = find('baseline');
    const initRatio = ratio(aws?.startToReady.p50, baseline?.startToReady.p50);
    return [
      {
        target: 'Lambda bundle ≤ 1 MB minified (entry and lazily loaded chunks)',
        measured:
          aws?.totalBytes === undefined
            ? '–'
            : `${bytes(aws.totalBytes)} in all; the entry loaded at cold start ${bytes(aws.entryBytes ?? 0)}`,
        met: aws?.totalBytes === undefined ? undefined : aws.totalBytes <= LAMBDA_SIZE_TARGET,
      },
      {
        target: 'Lambda init (process start → handler ready) ≤ ½ of the naive baseline',
        measured: `${ms(aws?.startToReady.p50)} vs ${ms(baseline?.startToReady.p50)}: ${times(initRatio)}`,
        met: initRatio === undefined ? undefined : initRatio <= 0.5,
      },
    ];
  },

  markdown(result) {
    const baseline = result.subjects.find((subject) => subject.name === 'baseline');
    const rows = result.subjects.map((subject) => [
      LABELS[subject.name] ?? subject.label,
      subject.entryBytes === undefined ? '–' : bytes(subject.entryBytes),
      subject.totalBytes === undefined ? '–' : bytes(subject.totalBytes),
      subject.gzipEntryBytes === undefined ? '–' : bytes(subject.gzipEntryBytes),
      ms(subject.startToReady.p50),
      `${ms(subject.startToReady.min)} – ${ms(subject.startToReady.max)}`,
      ms(subject.importOnly.p50),
      ms(subject.spawnToExit.p50),
      subject.name === 'baseline' || subject.name === 'empty'
        ? '–'
        : times(ratio(subject.startToReady.p50, baseline?.startToReady.p50)),
    ]);
    const empty = result.subjects.find((subject) => subject.name === 'empty')?.startToReady.p50;
    return `
Each bundle is imported by ${result.processes} fresh \`node\` processes (round robin over the bundles, after one
discarded warm-up round so every file is in the page cache). **Process start → handler ready** is
\`performance.now()\` once the import has resolved: Node.js start-up plus loading, evaluating and
initialising the module (the handlers load their configuration and create their loggers at module init).
The bundles are built in the same run: the project's with \`scripts/build.ts\`, the baseline with the same
esbuild settings from an entry point that does \`import * as k8s from '@kubernetes/client-node'\`, touches the
namespace (so nothing is tree-shaken) and constructs the same three AWS SDK clients as the Lambda handler.

${table(
  [
    'Bundle',
    'Entry file (minified)',
    'With lazy chunks',
    'Entry gzipped',
    'Process start → ready (median)',
    'min – max',
    'Import alone (median)',
    'Spawn → exit (median)',
    'Ratio vs baseline',
  ],
  rows,
)}

Node.js itself takes ${ms(empty)} to start here (the empty module). Sizes are without source maps (shipped as
separate .map files); "with lazy chunks" adds the chunks scripts/build.ts splits off for code only some
deployments load, i.e. everything that is deployed.
`;
  },
};

/**
 * The bundles the benchmarks run: the project's own (src/cli/bundle.ts, built once per run) and, for
 * comparison, a naive Lambda bundle that imports all of @kubernetes/client-node and the same AWS SDK clients.
 */
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type BundleSize, buildBundle, bundles, outfile } from '../../src/cli/bundle.ts';
import { progress } from './timing.ts';

export const projectRoot = join(import.meta.dirname, '..', '..');
export const awsBundle = join(projectRoot, outfile(bundles.aws));
export const azureBundle = join(projectRoot, outfile(bundles.azure));

export interface BuiltSizes {
  aws: BundleSize;
  azure: BundleSize;
}

let built: Promise<BuiltSizes> | undefined;

/** Builds the two cloud bundles with src/cli/bundle.ts, once per benchmark run (the CLI is not needed). */
export function buildBundles(): Promise<BuiltSizes> {
  built ??= (async () => {
    progress('building the cloud bundles (src/cli/bundle.ts)');
    return { aws: await buildBundle(bundles.aws), azure: await buildBundle(bundles.azure) };
  })();
  return built;
}

const BASELINE_ENTRY = `
import * as k8s from '@kubernetes/client-node';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';

const region = process.env.AWS_REGION ?? 'us-east-1';
// Touch the whole namespace, as code that passes "k8s" around does: nothing can be tree-shaken.
export const exported = Object.keys(k8s).length;
const kubeConfig = new k8s.KubeConfig();

export async function handler(event) {
  const clients = {
    ec2: new EC2Client({ region }),
    eks: new EKSClient({ region }),
    autoScaling: new AutoScalingClient({ region }),
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
  };
  return { event, clients: Object.keys(clients), exported };
}
`;

/** The naive baseline, with the same esbuild settings as src/cli/bundle.ts (minified ESM for node22). */
export async function buildBaselineBundle(): Promise<string> {
  const dir = join(tmpdir(), 'spot-drainer-bench-baseline');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'handler.mjs');
  await build({
    stdin: {
      contents: BASELINE_ENTRY,
      resolveDir: projectRoot,
      sourcefile: 'baseline-handler.mjs',
      loader: 'js',
    },
    outfile: file,
    bundle: true,
    minify: true,
    keepNames: true,
    target: 'node22',
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __baselineCreateRequire } from 'node:module'; const require = __baselineCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return file;
}

export function fileSize(file: string): number {
  return statSync(file).size;
}

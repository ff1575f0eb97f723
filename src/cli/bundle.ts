/**
 * Bundles the cloud entry points and the CLI with esbuild (the settings serverless.yml uses for the
 * Lambda): dist/aws/handler.mjs and dist/azure/main.mjs, each with chunks for code that only some
 * deployments load (secret stores, kubeconfig parsing), and dist/cli.mjs. Used by `npm run build`
 * (scripts/build.ts), the demo and the benchmarks. Paths are relative to the project root, wherever the
 * process runs from.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { projectRoot } from '../local-cluster/project-root.ts';
import { pureSdkSchemas } from './pure-sdk-schemas.ts';

const requireShim =
  "import { createRequire as __spotDrainerCreateRequire } from 'node:module'; const require = __spotDrainerCreateRequire(import.meta.url);";

const common: BuildOptions = {
  bundle: true,
  minify: true,
  keepNames: true,
  sourcemap: true,
  target: 'node22',
  platform: 'node',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: { js: requireShim },
  logLevel: 'warning',
  legalComments: 'none',
  // Unused AWS SDK schemas are dropped (src/cli/pure-sdk-schemas.ts): the Lambda's entry 780 KiB -> ~260 KiB.
  plugins: [pureSdkSchemas],
};

/** One esbuild bundle: an entry point and where its output goes, both relative to the project root. */
export interface Bundle {
  /** The TypeScript entry point, e.g. `functions/aws/handler.ts`. */
  entry: string;
  /** The output directory, e.g. `dist/aws`. */
  outdir: string;
  /** The entry's output name without extension: the bundle is `<outdir>/<name>.mjs`. */
  name: string;
  /** Packages left to run-time resolution (the Functions host's, or native ones esbuild cannot bundle). */
  external: string[];
  /** Split lazily loaded code into chunks under `<outdir>/chunks/`. */
  splitting: boolean;
}

/** The project's bundles: the Lambda, the Azure Function and the CLI. */
export const bundles = {
  aws: {
    entry: 'functions/aws/handler.ts',
    outdir: 'dist/aws',
    name: 'handler',
    external: [],
    splitting: true,
  },
  // The Functions host provides @azure/functions-core to the worker at run time.
  azure: {
    entry: 'functions/azure/handler.ts',
    outdir: 'dist/azure',
    name: 'main',
    external: ['@azure/functions-core'],
    splitting: true,
  },
  // esbuild ships a native binary and cannot be bundled; the demo loads it from node_modules.
  cli: {
    entry: 'src/cli/main.ts',
    outdir: 'dist',
    name: 'cli',
    external: ['@azure/functions-core', 'esbuild'],
    splitting: false,
  },
} satisfies Record<string, Bundle>;

/** `aws`, `azure` or `cli`. */
export type BundleName = keyof typeof bundles;

/** The bundle's entry output, relative to the project root: `<outdir>/<name>.mjs`. */
export function outfile(bundle: Bundle): string {
  return join(bundle.outdir, `${bundle.name}.mjs`);
}

/** Sizes of a built bundle, in bytes. */
export interface BundleSize {
  /** The entry file, loaded at cold start. */
  entryBytes: number;
  /** The entry and every lazily loaded chunk: what is deployed. */
  totalBytes: number;
}

/**
 * Builds one bundle (minified ESM for Node 22, with source maps) and returns its sizes in bytes. esbuild
 * is loaded on first use, so the CLI needs it only for the demo. Rejects with esbuild's error when the
 * build fails (its messages are also printed).
 */
export async function buildBundle(bundle: Bundle): Promise<BundleSize> {
  const { build } = await import('esbuild');
  const result = await build({
    ...common,
    absWorkingDir: projectRoot,
    entryPoints: { [bundle.name]: bundle.entry },
    outdir: bundle.outdir,
    splitting: bundle.splitting,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    external: bundle.external,
    metafile: true,
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
  return {
    entryBytes: statSync(join(projectRoot, outfile(bundle))).size,
    totalBytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
  };
}

/** Builds the three bundles one after the other; their sizes by name. */
export async function buildAll(): Promise<Record<BundleName, BundleSize>> {
  return {
    aws: await buildBundle(bundles.aws),
    azure: await buildBundle(bundles.azure),
    cli: await buildBundle(bundles.cli),
  };
}

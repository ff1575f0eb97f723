/**
 * Bundles the cloud entry points and the CLI with esbuild (the settings serverless.yml uses for the
 * Lambda): dist/aws/handler.mjs and dist/azure/main.mjs, each with chunks for code that only some
 * deployments load (secret stores, kubeconfig parsing), and dist/cli.mjs.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

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
};

export interface Bundle {
  entry: string;
  outdir: string;
  name: string;
  external: string[];
  splitting: boolean;
}

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
  cli: {
    entry: 'src/cli/main.ts',
    outdir: 'dist',
    name: 'cli',
    external: ['@azure/functions-core'],
    splitting: false,
  },
} satisfies Record<string, Bundle>;

export type BundleName = keyof typeof bundles;

export function outfile(bundle: Bundle): string {
  return join(bundle.outdir, `${bundle.name}.mjs`);
}

export interface BundleSize {
  /** The entry file, loaded at cold start. */
  entryBytes: number;
  /** The entry and every lazily loaded chunk: what is deployed. */
  totalBytes: number;
}

export async function buildBundle(bundle: Bundle): Promise<BundleSize> {
  const result = await build({
    ...common,
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
    entryBytes: statSync(outfile(bundle)).size,
    totalBytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
  };
}

export async function buildAll(): Promise<Record<BundleName, BundleSize>> {
  return {
    aws: await buildBundle(bundles.aws),
    azure: await buildBundle(bundles.azure),
    cli: await buildBundle(bundles.cli),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, size] of Object.entries(await buildAll())) {
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    console.log(
      `${name.padEnd(6)} entry ${kib(size.entryBytes)}, with lazily loaded chunks ${kib(size.totalBytes)}`,
    );
  }
}

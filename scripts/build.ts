/**
 * Bundles the cloud entry points and the CLI with esbuild (the same settings serverless.yml uses for the
 * Lambda), and writes a size report: dist/aws/handler.mjs, dist/azure/main.mjs, dist/cli.mjs.
 */

import { statSync } from 'node:fs';
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

export const bundles = {
  aws: { entry: 'functions/aws/handler.ts', outfile: 'dist/aws/handler.mjs', external: [] as string[] },
  // The Functions host provides @azure/functions-core to the worker at run time.
  azure: {
    entry: 'functions/azure/handler.ts',
    outfile: 'dist/azure/main.mjs',
    external: ['@azure/functions-core'],
  },
  cli: { entry: 'src/cli/main.ts', outfile: 'dist/cli.mjs', external: ['@azure/functions-core'] },
};

export async function buildAll(): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const [name, bundle] of Object.entries(bundles)) {
    await build({
      ...common,
      entryPoints: [bundle.entry],
      outfile: bundle.outfile,
      external: bundle.external,
    });
    sizes[name] = statSync(bundle.outfile).size;
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildAll();
  for (const [name, size] of Object.entries(sizes))
    console.log(`${name.padEnd(6)} ${(size / 1024).toFixed(0)} KiB`);
}

#!/usr/bin/env node
// The CLI. In a checkout Node (>= 22.18) runs the TypeScript source directly; an installed package runs
// the esbuild bundle (npm run build), since Node does not strip types under node_modules.
const installed = import.meta.url.includes('/node_modules/');
await import(new URL(installed ? '../dist/cli.mjs' : '../src/cli/main.ts', import.meta.url).href);

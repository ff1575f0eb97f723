#!/usr/bin/env node
// The CLI: the esbuild bundle when built (npm run build), else the TypeScript source (Node >= 22.18
// strips types natively in a checkout).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli.mjs', import.meta.url);
await import(existsSync(bundle) ? bundle.href : new URL('../src/cli/main.ts', import.meta.url).href);

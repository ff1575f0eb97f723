// esbuild plugin for serverless-esbuild: marks the bundle's directory as ES modules, so the Lambda
// runtime and `serverless invoke local` both load handler.js (and its chunks) as ESM.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

module.exports = [
  {
    name: 'esm-package-type',
    setup(build) {
      build.onEnd(() => {
        const outdir = build.initialOptions.outdir;
        if (!outdir) return;
        mkdirSync(outdir, { recursive: true });
        writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
      });
    },
  },
];

/**
 * An esbuild plugin that lets the bundler drop the AWS SDK schemas a bundle does not use. Each AWS SDK v3
 * client ships the Smithy schemas of all its operations in `dist-es/schemas/schemas_0.js`, written with
 * computed keys (`{ [_xN]: _it }`, where `const _xN = "xmlName"`). esbuild cannot prove a computed key free
 * of side effects, so it keeps every schema of a module it loads: importing `EC2Client` alone (its error
 * registry lives there) brings about 550 KB of EC2 schemas. Replacing each computed key whose name is one of
 * the module's own string constants with the string itself changes nothing at run time, and makes the
 * schemas plain data that tree shaking removes when nothing refers to them. A file that stops matching the
 * pattern is bundled unchanged (only bigger: the bundle-size benchmark shows it).
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

const SCHEMA_FILE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/** `[_k]:` becomes `"value":` wherever the module declares `const _k = "value";` (a plain string). */
export function inlineConstantKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm))
    if (name && literal) constants.set(name, literal);
  return source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
    const literal = constants.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
}

/** The esbuild plugin: `inlineConstantKeys` on every AWS SDK client's schema modules. */
export const pureSdkSchemas: Plugin = {
  name: 'pure-sdk-schemas',
  setup(build) {
    build.onLoad({ filter: SCHEMA_FILE }, async (args) => ({
      contents: inlineConstantKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

/**
 * The command line's own modules (the doctor and its ARM, EventBridge and IAM clients among them) stay
 * out of the Lambda and Function bundles: nothing the entry points import reaches src/cli/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './forbidden-imports.ts';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bexport\s*\*\s*from\s*)(['"])(\.[^'"\n]+)\1/g;

/** Every project file `entry` reaches through relative imports, relative to the root. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    const name = relative(root, file);
    if (seen.has(name) || !existsSync(file)) return;
    seen.add(name);
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER))
      visit(resolve(dirname(file), match[2] ?? ''));
  };
  visit(resolve(root, entry));
  return seen;
}

describe('the cloud entry points', () => {
  for (const entry of ['functions/aws/handler.ts', 'functions/azure/handler.ts']) {
    it(`${entry} imports nothing of src/cli`, () => {
      const files = reachable(entry);
      expect(files.size).toBeGreaterThan(10);
      expect([...files].filter((file) => file.startsWith('src/cli/'))).toEqual([]);
    });
  }
});

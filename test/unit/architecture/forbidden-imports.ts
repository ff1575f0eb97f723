/** Finds import specifiers in src/ that resolve into test/ or scripts/; see src-imports.test.ts. */
import { dirname, join, relative, resolve, sep } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..', '..');
export const src = join(root, 'src');

/** Static, dynamic and type-level imports, re-exports, side-effect imports and require(). */
const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\bexport\s*\*\s*from\s*)(['"`])([^'"`\n]+)\1/g;
/** A string literal naming a TypeScript module under test/ or scripts/, relative or from the root. */
const PATH_LITERAL = /(['"`])((?:\.\.?\/)*(?:test|scripts)\/[^'"`\n]*\.ts)\1/g;

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export interface Violation {
  file: string;
  specifier: string;
  target: string;
}

/** The imports of `source` (a file at `file`, absolute) that resolve into test/ or scripts/. */
export function forbiddenImports(file: string, source: string): Violation[] {
  const code = withoutComments(source);
  const isTest = /\.test\.ts$/.test(file);
  const violations = new Map<string, Violation>();
  const check = (specifier: string, base: string) => {
    if (!specifier.startsWith('.') && !/^(test|scripts)\//.test(specifier)) return;
    const target = relative(root, resolve(base, specifier)).split(sep).join('/');
    if (!/^(test|scripts)\//.test(target)) return;
    if (isTest && target.startsWith('test/fixtures/')) return;
    violations.set(target, { file: relative(root, file), specifier, target });
  };
  for (const match of code.matchAll(SPECIFIER)) check(match[2]!, dirname(file));
  for (const match of code.matchAll(PATH_LITERAL)) {
    const specifier = match[2]!;
    // Relative literals resolve like imports; bare `test/…` ones are taken from the project root.
    check(specifier, specifier.startsWith('.') ? dirname(file) : root);
  }
  return [...violations.values()];
}

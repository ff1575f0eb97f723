/**
 * No function in src/ longer than about 80 lines (docs/architecture.md): long flows are split into named
 * steps. Counted from the function's first line to its last, comments included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..', '..');
const MAX_LINES = 80;

/** `file:line name (N lines)` for every function-like node in `text` longer than `max` lines. */
function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) {
        const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
        found.push(`${file}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('function length', () => {
  it('finds a long function (the check itself)', () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const a${i} = ${i};`).join('\n');
    expect(
      longFunctions('x.ts', `export function long() {\n${body}\n}\nconst short = () => 1;\n`, MAX_LINES),
    ).toEqual(['x.ts:1 long (87 lines)']);
  });

  it(`keeps every function in src/ within ${MAX_LINES} lines`, () => {
    const files = readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      .map((entry) => relative(root, join(entry.parentPath, entry.name)));
    expect(files.length).toBeGreaterThan(50);
    const long = files.flatMap((file) =>
      longFunctions(file, readFileSync(join(root, file), 'utf8'), MAX_LINES),
    );
    expect(long).toEqual([]);
  });
});

/**
 * Nothing in src/ imports test/ or scripts/ (issue #11): what ships must not depend on the test harness
 * or the build scripts. Every import specifier of every src/**\/*.ts file is resolved against the file's
 * directory; one that lands in test/ or scripts/ fails the test. Path strings that name a test/ or
 * scripts/ TypeScript module (what a computed `import(new URL(path, root))` would load) fail it too.
 *
 * Unit tests colocated in src/ (*.test.ts) may read test data from test/fixtures/ and nothing else there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forbiddenImports, root, src } from './forbidden-imports.ts';

function sourceFiles(): string[] {
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts'))
    .map((path) => join(src, path));
}

describe('src/ imports', () => {
  it('scans every TypeScript file under src/', () => {
    const files = sourceFiles().map((file) => relative(root, file).split(sep).join('/'));
    expect(files).toContain('src/cli/demo.ts');
    expect(files).toContain('src/local-cluster/control-plane.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  it('none resolves into test/ or scripts/', () => {
    const violations = sourceFiles().flatMap((file) => forbiddenImports(file, readFileSync(file, 'utf8')));
    expect(violations).toEqual([]);
  });

  it('would catch one that came back', () => {
    const demo = join(src, 'cli', 'demo.ts');
    const cases: Array<[string, string]> = [
      [
        "import { startControlPlane } from '../../test/cluster/control-plane.ts';",
        'test/cluster/control-plane.ts',
      ],
      [
        "import type { ClusterInfo } from '../../test/cluster/control-plane.ts';",
        'test/cluster/control-plane.ts',
      ],
      ["export { buildAll } from '../../scripts/build.ts';", 'scripts/build.ts'],
      ["const m = await import('../../scripts/build.ts');", 'scripts/build.ts'],
      ["import '../../test/setup.ts';", 'test/setup.ts'],
      ["type M = typeof import('../../test/fixtures/node-pool.ts');", 'test/fixtures/node-pool.ts'],
      ["const m = await load('test/cluster/control-plane.ts');", 'test/cluster/control-plane.ts'],
      ["const { x } = require('../../test/x.ts');", 'test/x.ts'],
    ];
    for (const [line, target] of cases) {
      expect(
        forbiddenImports(demo, line).map((v) => v.target),
        line,
      ).toEqual([target]);
    }
    // Colocated unit tests may read fixtures, but not the rest of test/ nor scripts/.
    const unitTest = join(src, 'events', 'registry.test.ts');
    expect(
      forbiddenImports(unitTest, "import { loadEvent } from '../../test/fixtures/events/helpers.ts';"),
    ).toEqual([]);
    expect(
      forbiddenImports(unitTest, "import { x } from '../../scripts/config-doc.ts';").map((v) => v.target),
    ).toEqual(['scripts/config-doc.ts']);
    expect(
      forbiddenImports(demo, "import { loadEvent } from '../../test/fixtures/events/helpers.ts';").map(
        (v) => v.target,
      ),
    ).toEqual(['test/fixtures/events/helpers.ts']);
    // Comments and modules elsewhere in src/ are fine.
    expect(
      forbiddenImports(
        demo,
        "// from '../../test/cluster/control-plane.ts'\nimport { x } from './bundle.ts';",
      ),
    ).toEqual([]);
  });
});

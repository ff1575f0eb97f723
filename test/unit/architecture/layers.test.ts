/**
 * The layer rule of docs/architecture.md, checked on the real import graph: imports point down only,
 * providers do not reach into each other, nothing under src/ reaches test/ or scripts/, and there are no
 * import cycles (type-only imports included: they tie modules together for a reader all the same).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..', '..');

/** Lowest first. A module may import its own layer or any below it. */
const LAYERS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['base', ['src/logging.ts', 'src/redact.ts', 'src/secrets.ts', 'src/zod.ts', 'src/async-cache.ts']],
  ['events', ['src/events/']],
  ['kube', ['src/kube/']],
  ['drain', ['src/drain/']],
  ['notify and telemetry', ['src/notify/', 'src/telemetry/']],
  ['config', ['src/config.ts']],
  ['providers', ['src/providers/']],
  ['pipeline', ['src/pipeline/']],
  ['local cluster', ['src/local-cluster/']],
  ['command line', ['src/cli/']],
  ['entry points', ['functions/']],
];

type Graph = ReadonlyMap<string, readonly string[]>;

function layerOf(file: string): number {
  return LAYERS.findIndex(([, prefixes]) =>
    prefixes.some((prefix) => file === prefix || file.startsWith(prefix)),
  );
}

/** The provider folder a file belongs to (`src/providers/aws/`), if any. */
function providerOf(file: string): string | undefined {
  return /^src\/providers\/([^/]+)\//.exec(file)?.[0];
}

/** Every rule broken in `graph` (files relative to the repository, imports resolved the same way). */
function layerViolations(graph: Graph): string[] {
  const problems: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    if (from < 0) problems.push(`${file}: in no layer (add it to LAYERS and docs/architecture.md)`);
    for (const target of imports) {
      const to = layerOf(target);
      if (to < 0) problems.push(`${file} imports ${target}, outside the layered code`);
      else if (to > from)
        problems.push(`${file} (${LAYERS[from]?.[0]}) imports ${target} (${LAYERS[to]?.[0]}), a layer above`);
      const [own, other] = [providerOf(file), providerOf(target)];
      if (own && other && own !== other)
        problems.push(`${file} imports ${target}: providers stay out of each other`);
    }
  }
  return problems;
}

/** Each import cycle once, as `a → b → a`. */
function importCycles(graph: Graph): string[] {
  const cycles = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0] ?? next);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.add([...canonical, canonical[0]].join(' → '));
      } else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return [...cycles];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((file) => !/\.(test|fixture)\.ts$/.test(file));
}

const SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?\sfrom\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(SPECIFIER)]
    .map((match) => match[1] ?? match[2] ?? '')
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(root, resolve(dirname(join(root, file)), specifier)));
}

function projectGraph(): Graph {
  return new Map([...sourceFiles('src'), ...sourceFiles('functions')].map((file) => [file, importsOf(file)]));
}

describe('the checks themselves', () => {
  const bad: Graph = new Map([
    ['src/kube/client.ts', ['src/providers/aws/machine.ts']],
    ['src/providers/aws/machine.ts', ['src/providers/azure/machine.ts']],
    ['src/providers/azure/machine.ts', ['src/kube/client.ts']],
    ['src/cli/main.ts', ['test/cluster/control-plane.ts']],
  ]);

  it('find an upward import, a provider reaching into another, and an import of test code', () => {
    expect(layerViolations(bad)).toEqual([
      'src/kube/client.ts (kube) imports src/providers/aws/machine.ts (providers), a layer above',
      'src/providers/aws/machine.ts imports src/providers/azure/machine.ts: providers stay out of each other',
      'src/cli/main.ts imports test/cluster/control-plane.ts, outside the layered code',
    ]);
  });

  it('find a cycle', () => {
    expect(importCycles(bad)).toEqual([
      'src/kube/client.ts → src/providers/aws/machine.ts → src/providers/azure/machine.ts → src/kube/client.ts',
    ]);
  });
});

describe('src/ and functions/', () => {
  const graph = projectGraph();

  it('are read (the scan finds the pipeline and both providers)', () => {
    expect([...graph.keys()]).toEqual(
      expect.arrayContaining([
        'src/pipeline/handle-delivery.ts',
        'src/providers/aws/provider.ts',
        'src/providers/azure/provider.ts',
        'functions/aws/handler.ts',
      ]),
    );
    expect(graph.get('src/pipeline/handle-delivery.ts')).toContain('src/drain/budget.ts');
  });

  it('import only their own layer or the layers below', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('have no import cycles', () => {
    expect(importCycles(graph)).toEqual([]);
  });
});

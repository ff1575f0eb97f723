// The resource providers' published models, as the @azure/arm-* SDK packages carry them (pinned in
// package.json devDependencies): the API versions each package speaks, and for each model the wire
// property names (core-client mappers: `serializedName`, with `properties.x` for flattened ARM
// properties). No Bicep compiler can be installed here; this lets the Bicep tests check what a
// compiler and ARM would reject: an API version the provider does not have, a misspelt property.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: core-client mappers are plain objects read loosely
type Mapper = any;

export interface Shape {
  /** Wire property names (lowercase: ARM compares them case-insensitively) → their shape. */
  properties?: Map<string, Shape>;
  /** Array items. */
  items?: Shape;
  /** Anything goes below (dictionaries, strings, unknown). */
  open?: boolean;
}

export interface ArmPackage {
  name: string;
  version: string;
  apiVersions: Set<string>;
  mappers: Record<string, Mapper>;
}

const packages = new Map<string, Promise<ArmPackage>>();

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

function filesUnder(dir: string, match: (file: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['browser', 'react-native', 'commonjs', 'node_modules', 'types'].includes(entry.name))
        filesUnder(path, match, out);
    } else if (match(path)) {
      out.push(path);
    }
  }
  return out;
}

/** Loads a package's mappers and the API versions its operations send. */
export function armPackage(name: string): Promise<ArmPackage> {
  let loaded = packages.get(name);
  if (!loaded) {
    loaded = (async () => {
      const dir = packageDir(name);
      const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version as string;
      const js = filesUnder(dir, (f) => f.endsWith('.js'));
      const mappersFile = js.find((f) => f.endsWith('/models/mappers.js'));
      const mappers: Record<string, Mapper> = mappersFile
        ? await import(pathToFileURL(mappersFile).href)
        : {};
      // api-version: parameter defaults (classic clients), client defaults, operation-level defaults.
      const apiVersions = new Set<string>();
      for (const file of js.filter((f) => /(parameters|Client|Context|operations)\.js$/.test(f))) {
        const text = readFileSync(file, 'utf8');
        const patterns = [
          /defaultValue: ['"](\d{4}-\d{2}-\d{2}(?:-preview)?)['"]/g,
          /apiVersion(?: \|\| | \?\? |: |\s*=\s*options\.apiVersion \|\| )['"](\d{4}-\d{2}-\d{2}(?:-preview)?)['"]/g,
        ];
        for (const pattern of patterns) for (const m of text.matchAll(pattern)) apiVersions.add(m[1]!);
      }
      return { name, version, apiVersions, mappers };
    })();
    packages.set(name, loaded);
  }
  return loaded;
}

/** `properties.a\\.b.c` → ['properties', 'a.b', 'c'] */
function splitSerializedName(name: string): string[] {
  return name
    .split(/(?<!\\)\./)
    .map((part) => part.replace(/\\\./g, '.'))
    .filter(Boolean);
}

/** The wire shape of a model: every property it (or, when polymorphic, any of its kinds) may carry. */
export function shapeOf(pkg: ArmPackage, className: string, seen: Map<string, Shape> = new Map()): Shape {
  const cached = seen.get(className);
  if (cached) return cached;
  const shape: Shape = { properties: new Map() };
  seen.set(className, shape);
  const mappers = Object.values(pkg.mappers).filter(
    (m: Mapper) =>
      m?.type?.name === 'Composite' &&
      (m.type.className === className || (m.type.uberParent === className && m.type.className !== className)),
  );
  if (mappers.length === 0) throw new Error(`${pkg.name}@${pkg.version} has no model ${className}`);
  for (const mapper of mappers) {
    for (const property of Object.values(mapper.type.modelProperties ?? {}) as Mapper[]) {
      if (!property.serializedName) continue;
      const path = splitSerializedName(property.serializedName);
      let node = shape;
      for (const [i, part] of path.entries()) {
        const key = part.toLowerCase();
        node.properties ??= new Map();
        let next = node.properties.get(key);
        if (!next) {
          next = i === path.length - 1 ? typeShape(pkg, property.type, seen) : { properties: new Map() };
          node.properties.set(key, next);
        }
        node = next;
      }
    }
  }
  return shape;
}

function typeShape(pkg: ArmPackage, type: Mapper, seen: Map<string, Shape>): Shape {
  switch (type?.name) {
    case 'Composite':
      return type.className ? shapeOf(pkg, type.className, seen) : { open: true };
    case 'Sequence':
      return { items: typeShape(pkg, type.element?.type, seen) };
    default:
      // Dictionary (tags, user-assigned identities), String, Number, Boolean, Object, Enum, ...
      return { open: true };
  }
}

/** Property paths of a value (Bicep object/array literals as plain JSON) that the shape does not have. */
export function unknownProperties(shape: Shape, value: unknown, path: string[] = []): string[] {
  if (shape.open || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    if (!shape.items)
      return shape.properties ? [`${path.join('.')} (an array where the model has an object)`] : [];
    return value.flatMap((item, i) => unknownProperties(shape.items!, item, [...path, String(i)]));
  }
  if ('expr' in value && Object.keys(value).length === 1) return []; // a Bicep expression: not checkable
  if (!shape.properties) return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === '__resources' || child === undefined) continue;
    const next = shape.properties.get(key.toLowerCase());
    if (!next) out.push([...path, key].join('.'));
    else out.push(...unknownProperties(next, child, [...path, key]));
  }
  return out;
}

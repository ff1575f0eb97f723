// A small reader of Bicep source for structural tests. No Bicep compiler can be installed here (the
// npm wrappers download the CLI from outside the npm registry), so the tests check the source itself.
// It understands the subset of Bicep this repository writes: declarations (targetScope, param, var,
// resource, module, output, type, using), decorators, object and array literals, nested child
// resources, resource loops and conditions. Anything else (function calls, operators, interpolated
// strings, for-expressions in values) is kept as an expression: `{ expr: '<source text>' }`.

export type BicepValue = string | number | boolean | null | BicepExpr | BicepValue[] | BicepObject;
export interface BicepExpr {
  expr: string;
}
export interface BicepObject {
  [key: string]: BicepValue | BicepResource[] | undefined;
  __resources?: BicepResource[];
}

export interface BicepResource {
  symbol: string;
  /** e.g. Microsoft.Storage/storageAccounts (child resources: the relative type, e.g. blobServices) */
  type: string;
  apiVersion: string | undefined;
  existing: boolean;
  condition: string | undefined;
  loop: string | undefined;
  body: BicepObject;
}

export interface BicepModule {
  symbol: string;
  path: string;
  condition: string | undefined;
  loop: string | undefined;
  body: BicepObject;
}

export interface BicepParam {
  name: string;
  type: string;
  default: BicepValue | undefined;
  decorators: string[];
}

export interface BicepFile {
  targetScope: string | undefined;
  using: string | undefined;
  params: Map<string, BicepParam>;
  vars: Map<string, BicepValue>;
  resources: BicepResource[];
  modules: BicepModule[];
  outputs: Map<string, BicepValue>;
}

export const isExpr = (value: unknown): value is BicepExpr =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'expr' in value;

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/** The text of a Bicep string's content: `\n`, `\r`, `\t`, `\u{hex}`, and `\` before any other character. */
export function unescapeBicep(content: string): string {
  return content.replace(/\\(u\{[0-9a-fA-F]+\}|.)/g, (_, c: string) =>
    c.startsWith('u{') ? String.fromCodePoint(Number.parseInt(c.slice(2, -1), 16)) : (ESCAPES[c] ?? c),
  );
}

export function parseBicep(source: string): BicepFile {
  return new Reader(source).file();
}

/** Every resource of a file, child resources included (their `parent` is the enclosing symbol). */
export function allResources(file: BicepFile): (BicepResource & { parentSymbol?: string })[] {
  const out: (BicepResource & { parentSymbol?: string })[] = [];
  const walk = (resources: BicepResource[], parentSymbol?: string) => {
    for (const r of resources) {
      out.push(parentSymbol ? { ...r, parentSymbol } : r);
      walk(r.body.__resources ?? [], r.symbol);
    }
  };
  walk(file.resources);
  return out;
}

class Reader {
  private i = 0;
  private readonly s: string;

  constructor(source: string) {
    this.s = source;
  }

  file(): BicepFile {
    const file: BicepFile = {
      targetScope: undefined,
      using: undefined,
      params: new Map(),
      vars: new Map(),
      resources: [],
      modules: [],
      outputs: new Map(),
    };
    let decorators: string[] = [];
    for (;;) {
      this.skip(true);
      if (this.i >= this.s.length) return file;
      if (this.s[this.i] === '@') {
        const start = this.i;
        this.i++;
        this.identifier();
        this.skip(false);
        if (this.s[this.i] === '(') this.balanced();
        decorators.push(this.s.slice(start, this.i));
        continue;
      }
      const keyword = this.identifier();
      this.skip(false);
      switch (keyword) {
        case 'targetScope':
          this.expect('=');
          file.targetScope = String(this.value());
          break;
        case 'using':
          file.using = String(this.value());
          break;
        case 'param': {
          const name = this.identifier();
          this.skip(false);
          let type = '';
          if (this.s[this.i] !== '=') type = this.rawUntil(['=', '\n']).trim();
          this.skip(false);
          let def: BicepValue | undefined;
          if (this.s[this.i] === '=') {
            this.i++;
            def = this.value();
          }
          file.params.set(name, { name, type, default: def, decorators });
          break;
        }
        case 'var': {
          const name = this.identifier();
          this.expect('=');
          file.vars.set(name, this.value());
          break;
        }
        case 'output': {
          const name = this.identifier();
          this.rawUntil(['=']);
          this.expect('=');
          file.outputs.set(name, this.value());
          break;
        }
        case 'type': {
          this.identifier();
          this.expect('=');
          this.value();
          break;
        }
        case 'resource':
          file.resources.push(this.resource());
          break;
        case 'module': {
          this.skip(false);
          const symbol = this.identifier();
          this.skip(false);
          const path = this.stringLiteral();
          this.expect('=');
          const { condition, loop, body } = this.declarationValue();
          file.modules.push({ symbol, path, condition, loop, body });
          break;
        }
        default:
          throw this.error(`unsupported statement '${keyword}'`);
      }
      decorators = [];
    }
  }

  private resource(): BicepResource {
    this.skip(false);
    const symbol = this.identifier();
    this.skip(false);
    const typeRef = this.stringLiteral();
    this.skip(false);
    let existing = false;
    if (this.s.startsWith('existing', this.i)) {
      existing = true;
      this.i += 'existing'.length;
    }
    this.expect('=');
    const [type, apiVersion] = typeRef.split('@') as [string, string | undefined];
    const { condition, loop, body } = this.declarationValue();
    return { symbol, type, apiVersion, existing, condition, loop, body };
  }

  /** `{...}`, `if (cond) {...}` or `[for x in y: {...}]` / `[for x in y: if (cond) {...}]`. */
  private declarationValue(): { condition?: string; loop?: string; body: BicepObject } {
    this.skip(false);
    let loop: string | undefined;
    let condition: string | undefined;
    const inLoop = this.s[this.i] === '[';
    if (inLoop) {
      this.i++;
      this.skip(true);
      loop = this.rawUntil([':']).trim();
      this.i++;
      this.skip(true);
    }
    if (this.s.startsWith('if', this.i) && /[\s(]/.test(this.s[this.i + 2] ?? '')) {
      this.i += 2;
      this.skip(false);
      const start = this.i;
      this.balanced();
      condition = this.s.slice(start + 1, this.i - 1).trim();
      this.skip(false);
    }
    const body = this.value();
    if (typeof body !== 'object' || body === null || Array.isArray(body) || isExpr(body)) {
      throw this.error('expected an object body');
    }
    if (inLoop) {
      this.skip(true);
      this.expect(']');
    }
    return { condition, loop, body: body as BicepObject };
  }

  private value(): BicepValue {
    this.skip(false);
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[' && !/^\[\s*for\s/.test(this.s.slice(this.i, this.i + 20))) return this.array();
    const raw = this.rawUntil([',', '\n', '}', ']']).trim();
    if (/^'(?:[^'\\$]|\\.|\$(?!\{))*'$/.test(raw)) return unescapeBicep(raw.slice(1, -1));
    if (raw.startsWith("'''") && raw.endsWith("'''")) return raw.slice(3, -3);
    if (/^-?\d+$/.test(raw)) return Number(raw);
    if (raw === 'true' || raw === 'false') return raw === 'true';
    if (raw === 'null') return null;
    return { expr: raw };
  }

  private object(): BicepObject {
    this.expect('{');
    const obj: BicepObject = {};
    for (;;) {
      this.skip(true);
      while (this.s[this.i] === ',') {
        this.i++;
        this.skip(true);
      }
      if (this.s[this.i] === '}') {
        this.i++;
        return obj;
      }
      if (this.s[this.i] === '@') {
        // decorators on properties of type declarations
        this.i++;
        this.identifier();
        if (this.s[this.i] === '(') this.balanced();
        continue;
      }
      const key = this.s[this.i] === "'" ? this.stringLiteral() : this.identifier();
      this.skip(false);
      if (key === 'resource' && this.s[this.i] !== ':') {
        obj.__resources ??= [];
        obj.__resources.push(this.resource());
        continue;
      }
      if (this.s[this.i] === '?') this.i++; // optional property of a type
      this.expect(':');
      obj[key] = this.value();
    }
  }

  private array(): BicepValue[] {
    this.expect('[');
    const items: BicepValue[] = [];
    for (;;) {
      this.skip(true);
      while (this.s[this.i] === ',') {
        this.i++;
        this.skip(true);
      }
      if (this.s[this.i] === ']') {
        this.i++;
        return items;
      }
      items.push(this.value());
    }
  }

  /** Source text up to one of `stops` at bracket depth 0 (strings and comments skipped over). */
  private rawUntil(stops: string[]): string {
    const start = this.i;
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === "'") {
        this.string();
        continue;
      }
      if (c === '/' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '*')) {
        if (depth === 0 && stops.includes('\n')) break;
        this.comment();
        continue;
      }
      if (depth === 0 && stops.includes(c)) break;
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth--;
      this.i++;
    }
    return this.s.slice(start, this.i);
  }

  private balanced(): void {
    const open = this.s[this.i]!;
    const close = ({ '(': ')', '[': ']', '{': '}' } as Record<string, string>)[open];
    if (!close) throw this.error('expected a bracket');
    this.i++;
    this.rawUntil([close]);
    this.expect(close);
  }

  /** A quoted string token; its content (interpolations kept as written). */
  private stringLiteral(): string {
    this.skip(false);
    if (this.s[this.i] !== "'") throw this.error('expected a string');
    const start = this.i;
    this.string();
    return this.s.slice(start + 1, this.i - 1);
  }

  private string(): void {
    if (this.s.startsWith("'''", this.i)) {
      const end = this.s.indexOf("'''", this.i + 3);
      if (end < 0) throw this.error('unterminated multi-line string');
      this.i = end + 3;
      return;
    }
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\\') {
        this.i += 2;
      } else if (c === "'") {
        this.i++;
        return;
      } else if (c === '$' && this.s[this.i + 1] === '{') {
        this.i++;
        this.balanced();
      } else {
        this.i++;
      }
    }
    throw this.error('unterminated string');
  }

  private comment(): void {
    if (this.s[this.i + 1] === '/') {
      const end = this.s.indexOf('\n', this.i);
      this.i = end < 0 ? this.s.length : end;
    } else {
      const end = this.s.indexOf('*/', this.i + 2);
      if (end < 0) throw this.error('unterminated comment');
      this.i = end + 2;
    }
  }

  private skip(newlines: boolean): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.i++;
      else if (c === '/' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '*')) this.comment();
      else return;
    }
  }

  private identifier(): string {
    const m = /^[A-Za-z_][\w]*/.exec(this.s.slice(this.i, this.i + 200));
    if (!m) throw this.error('expected an identifier');
    this.i += m[0].length;
    return m[0];
  }

  private expect(token: string): void {
    this.skip(false);
    if (!this.s.startsWith(token, this.i)) throw this.error(`expected '${token}'`);
    this.i += token.length;
  }

  private error(message: string): Error {
    const line = this.s.slice(0, this.i).split('\n').length;
    const context = this.s.slice(this.i, this.i + 60).split('\n')[0];
    return new Error(`Bicep source, line ${line}: ${message} at "${context}"`);
  }
}

/** The validation decorators of a parameter, read from its decorator source. */
export interface BicepConstraints {
  allowed?: BicepValue[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
  maxLength?: number;
  description?: string;
}

/** `@allowed`, `@minValue`, `@maxValue`, `@minLength`, `@maxLength` and `@description` of a parameter. */
export function constraintsOf(param: BicepParam): BicepConstraints {
  const constraints: BicepConstraints = {};
  for (const decorator of param.decorators) {
    const match = /^@(\w+)\(([\s\S]*)\)$/.exec(decorator);
    if (!match) continue;
    const [, name, args] = match;
    // The argument is a Bicep value: read it as one.
    const value = parseBicep(`var v = ${args}`).vars.get('v');
    if (name === 'allowed' && Array.isArray(value)) constraints.allowed = value;
    if (name === 'description' && typeof value === 'string') constraints.description = value;
    if (
      (name === 'minValue' || name === 'maxValue' || name === 'minLength' || name === 'maxLength') &&
      typeof value === 'number'
    ) {
      constraints[name] = value;
    }
  }
  return constraints;
}

/** Why `value` breaks the constraints (one line each), or nothing. */
export function constraintViolations(value: BicepValue, constraints: BicepConstraints): string[] {
  const violations: string[] = [];
  const { allowed, minValue, maxValue, minLength, maxLength } = constraints;
  if (allowed && !allowed.some((entry) => JSON.stringify(entry) === JSON.stringify(value))) {
    violations.push(`${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}`);
  }
  if (typeof value === 'number') {
    if (minValue !== undefined && value < minValue) violations.push(`${value} < @minValue(${minValue})`);
    if (maxValue !== undefined && value > maxValue) violations.push(`${value} > @maxValue(${maxValue})`);
  }
  const length = typeof value === 'string' || Array.isArray(value) ? value.length : undefined;
  if (length !== undefined && minLength !== undefined && length < minLength) {
    violations.push(`length ${length} < @minLength(${minLength})`);
  }
  if (length !== undefined && maxLength !== undefined && length > maxLength) {
    violations.push(`length ${length} > @maxLength(${maxLength})`);
  }
  return violations;
}

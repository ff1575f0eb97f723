/**
 * Every export of `src/` carries a doc comment (issue #11 point 6): each exported function, class,
 * interface, type alias and enum, and each exported const whose value is a function or an object with
 * methods (a parser, a logger, a secret reader), must have a `/** ... *\/` comment directly attached,
 * that is, as the last comment before the declaration. A local declaration exported by name
 * (`export { x }`) counts as exported. Re-exports (`export { x } from`, `export type { }`) are exempt; so
 * are tests (`*.test.ts`). Overloads need the comment on their first signature only.
 *
 * Whether a const's value is a function is the type checker's answer, so `export const f: Resolver =
 * createResolver()` counts as a function as much as an arrow does. Packages are not loaded (see
 * projectOnlyHost), so a const whose type comes only from a package is not recognised as one.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'src');

/** Files (relative to the repository; a trailing `/` for a folder) whose exports are not checked yet. */
const EXEMPT: readonly string[] = [];

function exempt(file: string): boolean {
  const path = relative(ROOT, file).split(sep).join('/');
  return EXEMPT.some((entry) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry));
}

/** The `.ts` files under `dir`, tests excluded, as absolute paths in a stable order. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name))
    .sort();
}

/** The compiler options of tsconfig.json, so that imported types resolve as they do for `tsc`. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options;
}

/**
 * A compiler host that reads the project's files and TypeScript's own lib files but no package from
 * node_modules (their imports type as `any`): with the SDKs' declarations the test took 22 s instead of
 * 4 s on two cores, and the types a const is declared with are the project's own.
 */
function projectOnlyHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const libDir = dirname(host.getDefaultLibFileName(options));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, ...rest) =>
    fileName.includes('/node_modules/') && !fileName.startsWith(libDir)
      ? undefined
      : getSourceFile(fileName, ...rest);
  return host;
}

function hasExportModifier(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) ?? false)
  );
}

/** Whether the last comment before `node` (after the previous token) is a JSDoc block. */
function hasAttachedJsDoc(node: ts.Node, sourceFile: ts.SourceFile): boolean {
  const ranges = ts.getLeadingCommentRanges(sourceFile.text, node.getFullStart()) ?? [];
  const last = ranges.at(-1);
  return (
    last !== undefined &&
    last.kind === ts.SyntaxKind.MultiLineCommentTrivia &&
    sourceFile.text.startsWith('/**', last.pos) &&
    !sourceFile.text.startsWith('/**/', last.pos)
  );
}

function isCallable(type: ts.Type): boolean {
  return type.getCallSignatures().length > 0;
}

/**
 * A function, or an object (not an array) with methods: a parser, a logger, an envelope format. Plain
 * data (settings, a list of names, exit codes) is not required to have a comment.
 */
function isFunctionOrObjectOfFunctions(type: ts.Type, checker: ts.TypeChecker, at: ts.Node): boolean {
  if (isCallable(type)) return true;
  if (!(type.flags & ts.TypeFlags.Object) || checker.isArrayLikeType(type)) return false;
  return checker
    .getPropertiesOfType(type)
    .some((property) =>
      isCallable(checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, at))),
    );
}

interface Missing {
  file: string;
  line: number;
  name: string;
}

/**
 * The exports of `sourceFile` that need a doc comment and have none: declarations with `export`, and
 * local declarations exported by name (`export { x }`, with no `from`).
 */
function undocumentedExports(sourceFile: ts.SourceFile, checker: ts.TypeChecker): Missing[] {
  const missing: Missing[] = [];
  const checked = new Set<ts.Node>();
  const seenFunctions = new Set<string>();
  const report = (node: ts.Node, name: string) => {
    const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    missing.push({ file: relative(ROOT, sourceFile.fileName), line: line + 1, name });
  };
  const check = (statement: ts.Statement, only?: ts.VariableDeclaration) => {
    if (ts.isFunctionDeclaration(statement)) {
      const name = statement.name?.text ?? 'default';
      // Overloads and their implementation share the comment of the first signature.
      if (seenFunctions.has(name)) return;
      seenFunctions.add(name);
      if (!hasAttachedJsDoc(statement, sourceFile)) report(statement, name);
    } else if (
      ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isEnumDeclaration(statement)
    ) {
      if (checked.has(statement)) return;
      checked.add(statement);
      if (!hasAttachedJsDoc(statement, sourceFile)) report(statement, statement.name?.text ?? 'default');
    } else if (ts.isVariableStatement(statement)) {
      if (hasAttachedJsDoc(statement, sourceFile)) return;
      for (const declaration of statement.declarationList.declarations) {
        if ((only && declaration !== only) || checked.has(declaration)) continue;
        checked.add(declaration);
        const type = checker.getTypeAtLocation(declaration.name);
        if (isFunctionOrObjectOfFunctions(type, checker, declaration))
          report(declaration, declaration.name.getText(sourceFile));
      }
    }
  };
  for (const statement of sourceFile.statements) {
    if (hasExportModifier(statement)) check(statement);
    else if (
      ts.isExportDeclaration(statement) &&
      !statement.moduleSpecifier &&
      !statement.isTypeOnly &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const specifier of statement.exportClause.elements) {
        if (specifier.isTypeOnly) continue;
        const local = checker.getExportSpecifierLocalTargetSymbol(specifier);
        for (const declaration of local?.declarations ?? []) {
          if (declaration.getSourceFile() !== sourceFile) continue; // an import, documented where declared
          if (ts.isVariableDeclaration(declaration) && ts.isVariableStatement(declaration.parent.parent))
            check(declaration.parent.parent, declaration);
          else if (ts.isStatement(declaration)) check(declaration);
        }
      }
    }
  }
  return missing;
}

describe('doc comments', () => {
  it('documents every exported function, class, type and function-valued const in src/', () => {
    const files = sourceFiles(SRC).filter((file) => !exempt(file));
    const options: ts.CompilerOptions = { ...compilerOptions(), noEmit: true, types: [] };
    const program = ts.createProgram({ rootNames: files, options, host: projectOnlyHost(options) });
    const checker = program.getTypeChecker();
    const missing = files.flatMap((file) => {
      const sourceFile = program.getSourceFile(file);
      if (!sourceFile) throw new Error(`not parsed: ${file}`);
      return undocumentedExports(sourceFile, checker);
    });
    const lines = missing.map(({ file, line, name }) => `${file}:${line} ${name}`);
    expect(lines, `exports without a doc comment:\n${lines.join('\n')}\n`).toEqual([]);
  }, 60_000);
});

/** Where the project's files are, from source (src/…) or from the CLI bundle (dist/cli.mjs) alike. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'spot-drainer'
    )
      return dir;
    if (dirname(dir) === dir) throw new Error(`no spot-drainer package.json above ${from}`);
  }
}

/**
 * The absolute path of the spot-drainer checkout or installed package: the nearest directory above this
 * module whose package.json is named spot-drainer. Throws when there is none.
 */
export const projectRoot: string = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** `path` (slash-separated, relative to the project root) as an absolute path. */
export function projectPath(path: string): string {
  return join(projectRoot, ...path.split('/'));
}

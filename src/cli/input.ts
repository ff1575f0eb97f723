import { readFile } from 'node:fs/promises';

/**
 * A mistake in how the CLI was called (missing or unreadable event file, invalid JSON): the message is for
 * the person at the terminal, and `spot-drainer` exits with the usage code (2) instead of a stack trace.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Reads a JSON event from a file, or from standard input when the path is `-`. */
export async function readEventJson(path: string | undefined): Promise<unknown> {
  if (!path) throw new UsageError('name an event file, or - for standard input');
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text.trim() === '') throw new UsageError(`${path === '-' ? 'standard input' : path} is empty`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${path === '-' ? 'standard input' : path} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/**
 * Reads every named event file (or standard input for `-`) as one delivery: all of them, or a UsageError
 * naming each that could not be read. One file is its JSON as it is; several are one array of their
 * events (a file holding an array contributes its elements).
 */
export async function readEventFiles(paths: readonly string[]): Promise<unknown> {
  if (paths.length === 0) throw new UsageError('name an event file, or - for standard input');
  if (paths.filter((path) => path === '-').length > 1)
    throw new UsageError('standard input (-) can be named once');
  const read = await Promise.allSettled(paths.map((path) => readEventJson(path)));
  const refused = read.flatMap((result) =>
    result.status === 'rejected' ? [(result.reason as Error).message] : [],
  );
  if (refused.length > 0) {
    throw new UsageError(`${refused.join('; ')}${paths.length > 1 ? ' (no file was used)' : ''}`);
  }
  const bodies = read.map((result) => (result as PromiseFulfilledResult<unknown>).value);
  return bodies.length === 1 ? bodies[0] : bodies.flatMap((body) => (Array.isArray(body) ? body : [body]));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

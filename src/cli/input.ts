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
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${path === '-' ? 'standard input' : path} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

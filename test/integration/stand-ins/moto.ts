/**
 * moto in server mode, answering SQS on loopback (AWS_ENDPOINT_URL_SQS). Installed, pinned, by
 * scripts/stand-ins.sh (called by scripts/setup.sh) into a venv under ~/.cache/spot-drainer.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type StandIn, startStandIn } from './server.ts';

const root = resolve(import.meta.dirname, '../../..');

/** Starts moto_server on a free loopback port (installing it first if scripts/setup.sh has not). */
export async function startMoto(): Promise<StandIn> {
  const { stdout } = await promisify(execFile)('bash', [join(root, 'scripts/stand-ins.sh')], {
    timeout: 600_000,
  });
  const bin = stdout.trim().split('\n').at(-1) ?? '';
  return startStandIn(
    'moto',
    join(bin, 'moto_server'),
    ['-H', '127.0.0.1', '-p', '0'],
    /Running on http:\/\/127\.0\.0\.1:(\d+)/,
  );
}

// The lifecycle hook the docs tell users to create times out after the interval the function assumes
// (SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS' default, and serverless.yml's): a hook that disagrees
// gets a warning on every lifecycle action and, when the hook cannot be read, the wrong deadline.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { defaultParseOptions } from '../../../src/events/options.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const docs = [
  'README.md',
  'infra/README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
// `--heartbeat-timeout 300` (AWS CLI), `HeartbeatTimeout: 300` / `"HeartbeatTimeout": 300` (templates, JSON)
const TIMEOUT = /(?:--heartbeat-timeout[ =]|"?HeartbeatTimeout"?\s*:\s*)(\d+)/g;

describe('the lifecycle hook of the docs', () => {
  const found = docs.flatMap((file) =>
    [...readFileSync(join(root, file), 'utf8').matchAll(TIMEOUT)].map(
      (match) => [file, Number(match[1])] as const,
    ),
  );

  it('is created in the docs (the list below is not empty)', () => {
    expect(found.map(([file]) => file)).toContain('infra/README.md');
  });

  it('times out after the interval the function assumes', () => {
    const assumed = defaultParseOptions.lifecycleHookTimeoutSeconds;
    for (const [file, seconds] of found) expect(seconds, file).toBe(assumed);
    const serverless = load(readFileSync(join(root, 'serverless.yml'), 'utf8').replace(/!\w+/g, '')) as {
      params: { default: { lifecycleHookTimeoutSeconds: string } };
    };
    expect(Number(serverless.params.default.lifecycleHookTimeoutSeconds)).toBe(assumed);
  });
});

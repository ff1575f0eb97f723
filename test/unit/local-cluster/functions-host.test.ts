import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

/** Registers an Event Grid function with @azure/functions in a fresh Node.js process, as the demo does. */
function registerInFreshProcess(withStandIn: boolean) {
  const script = `
    ${withStandIn ? "const { standInFunctionsHost } = await import('./src/local-cluster/functions-host.ts'); const host = standInFunctionsHost();" : 'const host = { functions: [] };'}
    const { app } = await import('@azure/functions');
    app.eventGrid('spotDrainer', { handler: async () => undefined });
    console.warn('a real warning still shows');
    process.stdout.write(JSON.stringify(host.functions.map(({ name, trigger }) => ({ name, trigger }))));
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
}

describe('the stand-in Functions host', () => {
  it('is what keeps @azure/functions from announcing test mode', () => {
    const bare = registerInFreshProcess(false);
    expect(bare.status).toBe(0);
    expect(bare.stderr).toMatch(/Switching "@azure\/functions" package to test mode/);
  });

  it('records the registration, prints no test-mode warning, and lets other warnings through', () => {
    const hosted = registerInFreshProcess(true);
    expect(hosted.status, hosted.stderr).toBe(0);
    expect(hosted.stderr).not.toMatch(/test mode/);
    expect(hosted.stderr).toContain('a real warning still shows');
    expect(JSON.parse(hosted.stdout)).toEqual([{ name: 'spotDrainer', trigger: 'eventGridTrigger' }]);
  });
});

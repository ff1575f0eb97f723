import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentedSettings } from '../../../src/config.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const serverless = readFileSync(join(root, 'serverless.yml'), 'utf8');
const bicep = readFileSync(join(root, 'infra', 'azure', 'main.bicep'), 'utf8');

/** Every setting the docs say a deployment can set is really wired through serverless.yml and Bicep. */
describe('settings reach the functions from the deployment templates', () => {
  const settings = documentedSettings();

  it.each(
    settings
      .filter((setting) => setting.serverless && /\$\{param:/.test(setting.serverless))
      .map((s) => [s.variable, s.serverless]),
  )('%s is set in serverless.yml from %s', (variable, param) => {
    const names = [...String(param).matchAll(/\$\{param:(\w+)\}/g)].map((match) => match[1]);
    expect(serverless).toMatch(new RegExp(`^\\s+${variable}:`, 'm'));
    for (const name of names) expect(serverless).toMatch(new RegExp(`^\\s+${name}:`, 'm'));
  });

  it.each(
    settings.filter((setting) => setting.bicep && setting.bicep !== '—').map((s) => [s.variable, s.bicep]),
  )('%s is set in main.bicep from %s', (variable, param) => {
    expect(bicep).toMatch(new RegExp(`^param ${param} `, 'm'));
    expect(bicep).toContain(variable);
  });
});

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

  const asList = (value: string | readonly string[] | undefined) =>
    value === undefined ? [] : [value].flat();

  it.each(
    settings
      .map((setting) => [setting.variable, asList(setting.serverless).join(' ')] as const)
      .filter(([, params]) => params.includes('${param:')),
  )('%s is set in serverless.yml from %s', (variable, params) => {
    expect(serverless).toMatch(new RegExp(`^\\s+${variable}:`, 'm'));
    for (const [, name] of params.matchAll(/\$\{param:(\w+)\}/g)) {
      expect(serverless).toMatch(new RegExp(`^\\s+${name}:`, 'm'));
    }
  });

  it.each(
    settings
      .map((setting) => [setting.variable, asList(setting.bicep).filter((param) => param !== '—')] as const)
      .filter(([, params]) => params.length > 0),
  )('%s is set in main.bicep from %s', (variable, params) => {
    for (const param of params) expect(bicep).toMatch(new RegExp(`^param ${param} `, 'm'));
    expect(bicep).toContain(variable);
  });
});

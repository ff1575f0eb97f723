import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_PARAMETERS, documentedSettings } from '../../../src/config.ts';
import { type BicepValue, isExpr, parseBicep } from './bicep-source.ts';

const root = join(import.meta.dirname, '..', '..', '..');

// CloudFormation's short-form tags (!Sub, !GetAtt, ...) dropped: what is read here is plain YAML.
const serverless = load(
  readFileSync(join(root, 'serverless.yml'), 'utf8').replace(
    /!(?:Ref|Sub|GetAtt|Equals|Not|And|Or|Condition|Select|Split|If|Join)\b/g,
    '',
  ),
) as {
  params: { default: Record<string, unknown> };
  provider: { environment: Record<string, unknown> };
  resources: Array<{ Resources?: Record<string, { Type: string }> } | string>;
};

const main = parseBicep(readFileSync(join(root, 'infra', 'azure', 'main.bicep'), 'utf8'));
const app = parseBicep(readFileSync(join(root, 'infra', 'azure', 'modules', 'app.bicep'), 'utf8'));
const source = (value: BicepValue | undefined): string =>
  value === undefined ? '' : isExpr(value) ? value.expr : JSON.stringify(value);

/**
 * The app settings main.bicep gives the function, each with the Bicep source of its value: the keys of
 * `requiredSettings`, and of each optional `{ NAME: value }` merged into `functionSettings`.
 */
function bicepAppSettings(): Map<string, string> {
  const union = /^union\((.*)\)$/.exec(source(main.vars.get('functionSettings')));
  const parts = (union?.[1] ?? '').split(',').map((part) => part.trim());
  const settings = new Map<string, string>();
  for (const part of parts) {
    const value = main.vars.get(part);
    if (value && typeof value === 'object' && !isExpr(value) && !Array.isArray(value)) {
      for (const [key, entry] of Object.entries(value)) settings.set(key, source(entry as BicepValue));
      continue;
    }
    const optional =
      /\?\s*\{\s*\}\s*:\s*\{\s*(\w+):\s*(.+?)\s*\}$|\?\s*\{\s*(\w+):\s*(.+?)\s*\}\s*:\s*\{\s*\}$/.exec(
        source(value),
      );
    const key = optional?.[1] ?? optional?.[3];
    if (key) settings.set(key, optional?.[2] ?? optional?.[4] ?? '');
  }
  return settings;
}

/** Whether Bicep source uses `name`, directly or through a variable that does. */
function uses(expression: string, name: string, depth = 2): boolean {
  if (new RegExp(`\\b${name}\\b`).test(expression)) return true;
  if (depth === 0) return false;
  return [...main.vars].some(
    ([variable, value]) =>
      new RegExp(`\\b${variable}\\b`).test(expression) && uses(source(value), name, depth - 1),
  );
}

const asList = (value: string | readonly string[] | undefined) => (value === undefined ? [] : [value].flat());

/** Every setting the docs say a deployment can set is really wired through serverless.yml and Bicep. */
describe('settings reach the functions from the deployment templates', () => {
  const settings = documentedSettings();
  const viaServerless = settings
    .map((setting) => [setting.variable, asList(setting.serverless)] as const)
    .filter(([, params]) => params.length > 0);
  const viaBicep = settings
    .map((setting) => [setting.variable, asList(setting.bicep).filter((param) => param !== '—')] as const)
    .filter(([, params]) => params.length > 0);

  it('has settings to check on both sides (the lists below are not empty)', () => {
    expect(viaServerless.length).toBeGreaterThanOrEqual(20);
    expect(viaBicep.length).toBeGreaterThanOrEqual(18);
  });

  it.each(viaServerless)('%s is set in serverless.yml from %s', (variable, params) => {
    const value = serverless.provider.environment[variable];
    expect(value, `provider.environment.${variable}`).toBeTypeOf('string');
    expect(params.map((param) => `\${param:${param}}`)).toContain(value);
    for (const param of params) expect(serverless.params.default, param).toHaveProperty(param);
  });

  it.each(
    viaServerless.filter(
      ([variable]) => settings.find((s) => s.variable === variable)?.default !== undefined,
    ),
  )('%s: the default of %s in serverless.yml is the documented one', (variable, params) => {
    const setting = settings.find((s) => s.variable === variable)!;
    for (const param of params) {
      const value = String(serverless.params.default[param]);
      // compared as the function reads them: `INFO` and `info` are one log level
      expect(setting.schema.parse(value), param).toEqual(setting.schema.parse(setting.default));
    }
  });

  it.each(viaBicep)('%s is set in main.bicep from %s', (variable, params) => {
    const appSettings = bicepAppSettings();
    expect([...appSettings.keys()]).toContain(variable);
    for (const param of params) {
      expect(main.params.has(param), `param ${param}`).toBe(true);
      expect(uses(appSettings.get(variable)!, param), `${variable} = ${appSettings.get(variable)}`).toBe(
        true,
      );
    }
  });
});

/** Parameters that shape the stack only: declared in both templates with the documented default. */
describe('deployment parameters are declared in the templates with their documented defaults', () => {
  it('has some to check', () => {
    expect(DEPLOYMENT_PARAMETERS.length).toBeGreaterThan(0);
  });

  it.each(
    DEPLOYMENT_PARAMETERS.flatMap((p) => (p.serverless ? [[p.serverless.name, p.serverless.default]] : [])),
  )('serverless.yml param %s defaults to %s', (name, value) => {
    expect(serverless.params.default[name]).toBe(value);
  });

  it.each(DEPLOYMENT_PARAMETERS.flatMap((p) => (p.bicep ? [[p.bicep.name, p.bicep.default]] : [])))(
    'main.bicep param %s defaults to %s',
    (name, value) => {
      expect(main.params.get(String(name))?.default).toBe(value);
    },
  );
});

/** Settings the templates take from resources they create (a queue URL), not from a parameter. */
describe('settings the templates set from their own resources', () => {
  const fromTemplates = documentedSettings().filter((setting) => setting.fromTemplate !== undefined);
  const stackResources = Object.assign(
    {},
    ...serverless.resources.map((part) => (typeof part === 'object' ? (part.Resources ?? {}) : {})),
  ) as Record<string, { Type: string }>;

  it('has such settings to check', () => {
    expect(fromTemplates.map((setting) => setting.variable)).toContain('SPOT_DRAINER_CONTINUATION_QUEUE_URL');
  });

  it.each(fromTemplates.map((setting) => [setting.variable]))(
    '%s is set in serverless.yml from a resource of the stack, and by app.bicep',
    (variable) => {
      // `${stackRef:Resource}` (a Ref in the template, infra/aws/deployment-check.cjs).
      const value = serverless.provider.environment[variable];
      expect(value, `provider.environment.${variable}`).toBeTypeOf('string');
      const logicalId = /^\$\{stackRef:(\w+)\}$/.exec(String(value))?.[1];
      expect(Object.keys(stackResources)).toContain(logicalId);
      const hostSettings = app.vars.get('hostSettings');
      expect(hostSettings && typeof hostSettings === 'object' && !isExpr(hostSettings)).toBe(true);
      expect(Object.keys(hostSettings as object)).toContain(variable);
    },
  );
});

// The Bicep parameters that set the function's settings refuse, at deployment, what the function would
// refuse at cold start: their decorators (@allowed, @minValue, @maxValue) and defaults are derived here
// from the settings schema (src/config.ts), so the template cannot drift from the code. Likewise the
// example parameters (main.bicepparam) pass the template's decorators and keep the documented defaults,
// and a module given a parameter of main.bicep declares the same rules for it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DocumentedSetting, documentedSettings } from '../../../src/config.ts';
import * as z from '../../../src/zod.ts';
import {
  type BicepParam,
  type BicepValue,
  constraintsOf,
  constraintViolations,
  isExpr,
  parseBicep,
} from './bicep-source.ts';

const azureDir = join(import.meta.dirname, '..', '..', '..', 'infra', 'azure');
const main = parseBicep(readFileSync(join(azureDir, 'main.bicep'), 'utf8'));
const example = parseBicep(readFileSync(join(azureDir, 'main.bicepparam'), 'utf8'));

/** How main.bicep writes a parameter into the app setting: as it is, `string(n)`, or a bool as 'true'/'false'. */
type Conversion = 'string' | 'int' | 'bool';

/** The Bicep source of the app setting `variable` in main.bicep's variables (`{ NAME: value }` or a key of an object). */
function settingSource(variable: string): string | undefined {
  for (const value of main.vars.values()) {
    if (isExpr(value)) {
      const optional = new RegExp(`\\{\\s*${variable}:\\s*(.+?)\\s*\\}`).exec(value.expr);
      if (optional) return optional[1];
    } else if (value && typeof value === 'object' && !Array.isArray(value) && variable in value) {
      const entry = value[variable] as BicepValue;
      return isExpr(entry) ? entry.expr : JSON.stringify(entry);
    }
  }
  return undefined;
}

/** The conversion from `param` to the app setting `variable`, or undefined when the value is built otherwise. */
function conversion(variable: string, param: string): Conversion | undefined {
  const expression = settingSource(variable);
  if (expression === param) return 'string';
  if (expression === `string(${param})`) return 'int';
  if (expression === `${param} ? 'true' : 'false'`) return 'bool';
  return undefined;
}

/** A Bicep value as the function reads it from its app setting. */
const asVariable = (value: BicepValue): string => (typeof value === 'string' ? value : JSON.stringify(value));

const accepts = (setting: DocumentedSetting, text: string) => setting.schema.safeParse(text).success;

/**
 * The integers the schema accepts, as an interval found by bisection from a value it accepts: a bound is
 * undefined when every safe integer on that side is accepted. Each bound found is an edge (accepted,
 * its neighbour outside refused). A hole inside the interval (0 for the grace period, which takes -1 or
 * 1 to 7200) cannot be written as a decorator: the function refuses it at cold start.
 */
function integerRange(setting: DocumentedSetting, inside: number): { min?: number; max?: number } {
  const edge = (from: number, to: number): number | undefined => {
    if (accepts(setting, String(to))) return undefined;
    let [good, bad] = [from, to];
    while (Math.abs(bad - good) > 1) {
      const middle = Math.trunc((good + bad) / 2);
      if (accepts(setting, String(middle))) good = middle;
      else bad = middle;
    }
    return good;
  };
  return { min: edge(inside, Number.MIN_SAFE_INTEGER), max: edge(inside, Number.MAX_SAFE_INTEGER) };
}

/** The enum values of a setting (its output), from the schema's JSON Schema. */
function enumValues(setting: DocumentedSetting): string[] | undefined {
  const json = z.toJSONSchema(setting.schema, { io: 'output', unrepresentable: 'any' }) as {
    enum?: string[];
  };
  return json.enum;
}

const isBooleanSetting = (setting: DocumentedSetting) =>
  (z.toJSONSchema(setting.schema, { io: 'output', unrepresentable: 'any' }) as { type?: string }).type ===
  'boolean';

interface Wired {
  setting: DocumentedSetting;
  param: BicepParam;
  conversion: Conversion | undefined;
}

const wired: Wired[] = documentedSettings().flatMap((setting) =>
  [setting.bicep ?? []].flat().map((name) => {
    const param = main.params.get(name);
    if (!param) throw new Error(`${setting.variable}: main.bicep has no param ${name}`);
    return { setting, param, conversion: conversion(setting.variable, name) };
  }),
);
const direct = wired.filter((entry) => entry.conversion !== undefined);
const label = ({ setting, param }: Wired) => `${param.name} (${setting.variable})`;

describe('main.bicep: the parameters of the settings follow the settings schema', () => {
  it('has settings to check (the lists below are not empty)', () => {
    expect(wired.length).toBeGreaterThanOrEqual(18);
    expect(direct.length).toBeGreaterThanOrEqual(15);
    expect(direct.filter((entry) => entry.conversion === 'int').length).toBeGreaterThanOrEqual(4);
    expect(direct.filter((entry) => enumValues(entry.setting)).length).toBeGreaterThanOrEqual(3);
  });

  it.each(wired.map((entry) => [label(entry), entry] as const))(
    '%s: @description names the variable',
    (_, entry) => {
      const description = constraintsOf(entry.param).description ?? '';
      expect(description).toContain(entry.setting.variable);
      // more than the bare name: what it does, in words
      expect(description.replace(entry.setting.variable, '').trim().split(/\s+/).length).toBeGreaterThan(3);
    },
  );

  it.each(direct.map((entry) => [label(entry), entry] as const))('%s: type and rules', (_, entry) => {
    const { setting, param } = entry;
    const constraints = constraintsOf(param);
    const values = enumValues(setting);
    if (isBooleanSetting(setting)) {
      expect(param.type).toBe('bool');
      expect(entry.conversion).toBe('bool');
    } else if (values) {
      expect(param.type).toBe('string');
      // @allowed: exactly the schema's values (in the schema's spelling or any other it accepts)
      const allowed = constraints.allowed ?? [];
      for (const value of allowed) expect(accepts(setting, asVariable(value)), String(value)).toBe(true);
      const outputs = allowed.map((value) => setting.schema.parse(asVariable(value)));
      expect([...new Set(outputs)].sort()).toEqual([...values].sort());
      expect(outputs).toHaveLength(values.length);
    } else if (entry.conversion === 'int') {
      expect(param.type).toBe('int');
      const inside = typeof param.default === 'number' ? param.default : 1;
      expect(accepts(setting, String(inside)), `default ${inside}`).toBe(true);
      const { min, max } = integerRange(setting, inside);
      if (min !== undefined)
        expect([accepts(setting, String(min)), accepts(setting, String(min - 1))]).toEqual([true, false]);
      if (max !== undefined)
        expect([accepts(setting, String(max)), accepts(setting, String(max + 1))]).toEqual([true, false]);
      expect({ minValue: constraints.minValue, maxValue: constraints.maxValue }).toEqual({
        minValue: min,
        maxValue: max,
      });
    } else {
      // free text: no rule to derive, but nothing Bicep would refuse that the function takes
      expect(constraints.allowed).toBeUndefined();
    }
  });

  it.each(direct.map((entry) => [label(entry), entry] as const))(
    '%s: default is the documented one',
    (_, entry) => {
      const { setting, param } = entry;
      expect(param.default, 'a default').toBeDefined();
      const value = asVariable(param.default as BicepValue);
      if (setting.default === undefined) {
        // no documented default: the parameter's default leaves the setting unset
        expect(value).toBe('');
      } else {
        expect(setting.schema.parse(value)).toEqual(setting.schema.parse(setting.default));
      }
    },
  );
});

describe('main.bicepparam: the example passes the template and keeps the documented defaults', () => {
  const assigned = [...example.params.values()].filter((param) => !isExpr(param.default));

  it('assigns parameters of main.bicep (the list is not empty)', () => {
    expect(example.using).toBe('./main.bicep');
    expect(assigned.length).toBeGreaterThanOrEqual(10);
    for (const param of assigned) expect(main.params.has(param.name), param.name).toBe(true);
  });

  it.each(assigned.map((param) => [param.name, param] as const))(
    '%s passes the decorators',
    (name, param) => {
      expect(
        constraintViolations(param.default as BicepValue, constraintsOf(main.params.get(name)!)),
      ).toEqual([]);
    },
  );

  it('sets each setting with a documented default to that default', () => {
    const checked = direct.filter(
      ({ setting, param }) => setting.default !== undefined && example.params.has(param.name),
    );
    expect(checked.map(({ param }) => param.name)).toContain('maintenanceAction');
    for (const { setting, param } of checked) {
      const value = asVariable(example.params.get(param.name)!.default as BicepValue);
      expect(setting.schema.parse(value), label({ setting, param, conversion: undefined })).toEqual(
        setting.schema.parse(setting.default),
      );
    }
  });
});

describe('modules: a parameter passed on from main.bicep has the same rules there', () => {
  const passed = main.modules.flatMap((module) => {
    const file = parseBicep(readFileSync(join(azureDir, module.path), 'utf8'));
    const params = module.body.params;
    if (!params || typeof params !== 'object' || Array.isArray(params) || isExpr(params)) return [];
    return Object.entries(params).flatMap(([name, value]) => {
      const source = isExpr(value) ? value.expr : undefined;
      const from = source && main.params.get(source);
      const to = file.params.get(name);
      return from && to ? [[`${module.path}: ${name} = ${source}`, from, to] as const] : [];
    });
  });

  it('passes parameters on (the list is not empty)', () => {
    expect(passed.length).toBeGreaterThanOrEqual(10);
  });

  it.each(passed)('%s', (_, from, to) => {
    const { description: _from, ...rules } = constraintsOf(from);
    const { description: _to, ...moduleRules } = constraintsOf(to);
    expect(moduleRules).toEqual(rules);
  });
});

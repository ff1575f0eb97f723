import { describe, expect, it } from 'vitest';
import { inlineConstantKeys } from './pure-sdk-schemas.ts';

/** Evaluates a module body that ends with `return …;`. */
const evaluate = (source: string) => new Function(source)() as unknown;

describe('inlineConstantKeys', () => {
  const source = [
    'const _xN = "xmlName";',
    'const _eQN = "ec2QueryName";',
    'const n0 = "com.amazonaws.ec2";',
    'let _dyn = "changes";',
    'var Tag$ = [3, n0, "Tag", 0, ["Key"], [[0, { [_eQN]: `Key`, [_xN]: "key" }]]];',
    'var Other = { [_dyn]: 1 };',
    'return { Tag$, Other };',
  ].join('\n');

  it('writes the string constants in place of the computed keys, leaving what they evaluate to unchanged', () => {
    const inlined = inlineConstantKeys(source);
    expect(inlined).toContain('{ "ec2QueryName": `Key`, "xmlName": "key" }');
    expect(inlined).not.toContain('[_xN]');
    expect(evaluate(inlined)).toEqual(evaluate(source));
  });

  it('leaves keys that are not plain string constants of the module alone', () => {
    expect(inlineConstantKeys(source)).toContain('{ [_dyn]: 1 }');
  });
});

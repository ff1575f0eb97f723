import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeCore } from '../kube/client.ts';
import { createBudget } from './budget.ts';
import { patchNode } from './node-patch.ts';

const failedTest = {
  code: 422,
  body: '{"kind":"Status","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}',
  headers: {},
};
const invalid = {
  code: 422,
  body: '{"kind":"Status","message":"Node \\"n\\" is invalid","reason":"Invalid","details":{"causes":[{"field":"spec.taints"}]},"code":422}',
  headers: {},
};
const node = (version: string): V1Node => ({ metadata: { name: 'n', resourceVersion: version } });
const fast = { initialMs: 1, maxMs: 2 };

/** Patches fail with `failures` in turn; each read returns the node at the next version. */
function fakeCore(failures: unknown[]) {
  const calls: string[] = [];
  let version = 1;
  const core = {
    patchNode: async () => {
      calls.push('patch');
      const failure = failures.shift();
      if (failure) throw failure;
      return node('written');
    },
    readNode: async () => {
      calls.push('read');
      return node(String(++version));
    },
  } as unknown as KubeCore;
  return { core, calls };
}

describe('patchNode', () => {
  it('rebuilds the patch from a fresh read after a failed test or a conflict, even with no time left', async () => {
    const fake = fakeCore([failedTest, { code: 409, body: '', headers: {} }]);
    const built: (string | undefined)[] = [];
    const expired = createBudget({ deadline: new Date(Date.now() - 1) });
    const result = await patchNode(fake.core, node('1'), expired, fast, (current) => {
      built.push(current.metadata?.resourceVersion);
      return [{ op: 'add', path: '/spec/unschedulable', value: true }];
    });
    expect(result).toEqual({ node: node('written'), wrote: true });
    expect(built).toEqual(['1', '2', '3']);
    expect(fake.calls).toEqual(['patch', 'read', 'patch', 'read', 'patch']);
  });

  it('writes nothing when the rebuilt patch finds the change in place', async () => {
    const fake = fakeCore([failedTest]);
    const result = await patchNode(fake.core, node('1'), createBudget({}), fast, (current) =>
      current.metadata?.resourceVersion === '1' ? [{ op: 'remove', path: '/spec/taints' }] : undefined,
    );
    expect(result).toEqual({ node: node('2'), wrote: false });
  });

  it('believes a validation error at once, and a conflict after 10 rebuilds', async () => {
    const refused = fakeCore([invalid]);
    const build = () => [{ op: 'add' as const, path: '/spec/unschedulable', value: true }];
    await expect(patchNode(refused.core, node('1'), createBudget({}), fast, build)).rejects.toBe(invalid);
    expect(refused.calls).toEqual(['patch']);
    const contended = fakeCore(Array(20).fill(failedTest));
    await expect(patchNode(contended.core, node('1'), createBudget({}), fast, build)).rejects.toMatchObject({
      code: 422,
    });
    expect(contended.calls.filter((call) => call === 'patch')).toHaveLength(11);
  });

  it('retries transient failures of the patch and of the re-read with backoff', async () => {
    const fake = fakeCore([{ code: 503, body: '', headers: {} }, failedTest]);
    const result = await patchNode(fake.core, node('1'), createBudget({}), fast, () => [
      { op: 'add', path: '/spec/unschedulable', value: true },
    ]);
    expect(result.wrote).toBe(true);
    expect(fake.calls).toEqual(['patch', 'patch', 'read', 'patch']);
  });
});

import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { OUT_OF_SERVICE_TAINT, outOfServiceStep } from './out-of-service.ts';

const PROVIDER_ID = 'aws:///eu-west-1a/i-0aaaaaaaaaaaaaaa1';

function node(
  overrides: { uid?: string; providerID?: string; ready?: string; taints?: V1Node['spec'] } = {},
) {
  return {
    metadata: { name: 'n1', uid: overrides.uid ?? 'uid-1' },
    spec: { providerID: overrides.providerID ?? PROVIDER_ID, ...(overrides.taints ?? {}) },
    status: { conditions: [{ type: 'Ready', status: overrides.ready ?? 'Unknown' }] },
  } as V1Node;
}

const resolved = { uid: 'uid-1', providerID: PROVIDER_ID };

describe('outOfServiceStep', () => {
  it('taints the resolved node once it is not Ready, testing its uid, providerID and taint list', () => {
    const step = outOfServiceStep(
      node({ taints: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] } }),
      resolved,
    );
    expect(step).toEqual({
      step: 'patch',
      patch: [
        { op: 'test', path: '/metadata/uid', value: 'uid-1' },
        { op: 'test', path: '/spec/providerID', value: PROVIDER_ID },
        {
          op: 'test',
          path: '/spec/taints',
          value: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }],
        },
        {
          op: 'replace',
          path: '/spec/taints',
          value: [
            { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
            { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' },
          ],
        },
      ],
    });
  });

  it('waits while the kubelet still reports Ready', () => {
    expect(outOfServiceStep(node({ ready: 'True' }), resolved)).toMatchObject({ step: 'wait' });
  });

  it('refuses a node created again under the same name, or naming another machine', () => {
    expect(outOfServiceStep(node({ uid: 'uid-2' }), resolved)).toMatchObject({ step: 'refuse' });
    expect(
      outOfServiceStep(node({ providerID: 'aws:///eu-west-1a/i-0bbbbbbbbbbbbbbb2' }), resolved),
    ).toMatchObject({ step: 'refuse', reason: expect.stringContaining('i-0bbbbbbbbbbbbbbb2') });
  });

  it('writes nothing when the taint is there already', () => {
    expect(outOfServiceStep(node({ taints: { taints: [{ ...OUT_OF_SERVICE_TAINT }] } }), resolved)).toEqual({
      step: 'present',
    });
  });
});

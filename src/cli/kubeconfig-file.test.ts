import { describe, expect, it } from 'vitest';
import { kubeconfigPaths, mergeKubeconfigs } from './kubeconfig-file.ts';

describe('mergeKubeconfigs', () => {
  it('keeps the first entry of each name and the first current-context, as kubectl does', () => {
    const merged = mergeKubeconfigs([
      { clusters: [{ name: 'c', cluster: { server: 'https://first' } }] },
      {
        clusters: [
          { name: 'c', cluster: { server: 'https://second' } },
          { name: 'd', cluster: { server: 'https://d' } },
        ],
        contexts: [{ name: 'x', context: { cluster: 'c' } }],
        'current-context': 'x',
      },
      { 'current-context': 'y' },
    ]);
    expect(merged.clusters).toEqual([
      { name: 'c', cluster: { server: 'https://first' } },
      { name: 'd', cluster: { server: 'https://d' } },
    ]);
    expect(merged['current-context']).toBe('x');
  });
});

describe('kubeconfigPaths', () => {
  it('prefers --kubeconfig, and skips the missing files of a KUBECONFIG list', () => {
    expect(kubeconfigPaths('/explicit', '/a:/b')).toEqual(['/explicit']);
    expect(kubeconfigPaths(undefined, `/no/such/a:${import.meta.filename}:/no/such/b`)).toEqual([
      import.meta.filename,
    ]);
    expect(kubeconfigPaths(undefined, '/no/such/a:/no/such/b')).toEqual(['/no/such/a']);
  });
});

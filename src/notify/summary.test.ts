import { describe, expect, it } from 'vitest';
import { drainReport } from './report.fixture.ts';
import { summarize } from './summary.ts';

const machine = { noun: 'EC2 instance', id: 'i-0123456789abcdef0' } as const;

describe('summarize: what a notification says beyond the pod counts', () => {
  it('names the workloads that landed back on the node, and why', () => {
    const base = drainReport();
    const summary = summarize(
      drainReport({
        outcome: 'partial',
        counts: { ...base.counts, returned: 1 },
        returningPods: [
          {
            namespace: 'shop',
            name: 'web-7d9c-abcde',
            owner: 'ReplicaSet/web-7d9c',
            reason: 'tolerates every taint (tolerations: [{operator: Exists}])',
          },
        ],
      }),
      { machine },
    );
    expect(summary.returned).toBe(1);
    expect(summary.returningPods).toEqual([
      'shop/ReplicaSet/web-7d9c: tolerates every taint (tolerations: [{operator: Exists}])',
    ]);
    expect(summary.headline).toMatch(
      /^Partially drained .*1 came back.*landed back on the node: shop\/ReplicaSet\/web-7d9c: tolerates every taint/,
    );
  });

  it('says which marks an admission policy refused', () => {
    const summary = summarize(drainReport({ marksRefused: ['taint'] }), { machine });
    expect(summary.marksRefused).toEqual(['taint']);
    expect(summary.headline).toMatch(/marks refused by admission: taint/);
  });

  it('adds nothing when every mark was written and no pod came back', () => {
    const summary = summarize(drainReport(), { machine });
    expect(summary).toMatchObject({ returned: 0, returningPods: [], marksRefused: [] });
    expect(summary.headline).not.toMatch(/came back|refused/);
  });
});

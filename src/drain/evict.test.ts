import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeCore } from '../kube/client.ts';
import { createBudget } from './budget.ts';
import {
  deletePodNow,
  type EvictionPolicy,
  evictPod,
  FORCE_DELETE_RESERVE_MS,
  forceDeleteAt,
} from './evict.ts';
import type { PlannedPod } from './plan.ts';

const api = (code: number, message = '') => ({ code, body: JSON.stringify({ message }), headers: {} });
const pdb = api(429, "Cannot evict pod as it would violate the pod's disruption budget.");
const start = Date.parse('2026-11-22T10:00:00Z');

const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'apps', uid: 'uid-1', resourceVersion: '10' },
  spec: { containers: [], terminationGracePeriodSeconds: 30 },
};
const planned: PlannedPod = {
  pod,
  namespace: 'apps',
  name: 'web-1',
  uid: 'uid-1',
  disposition: 'evict',
  critical: false,
};

/** A fake API: each request advances the clock by `stepMs` and answers from the scripts. */
function fakeCore(
  script: { evict?: unknown[]; read?: (V1Pod | unknown)[]; remove?: unknown[]; budgets?: unknown[] },
  stepMs = 0,
) {
  let clock = start;
  const calls: string[] = [];
  const answer = async (
    kind: 'evict' | 'read' | 'remove',
    queue: unknown[] | undefined,
    fallback: unknown,
  ) => {
    calls.push(kind);
    clock += stepMs;
    const next = queue?.length ? queue.shift() : fallback;
    if (next && typeof next === 'object' && 'code' in next) throw next;
    return next;
  };
  const core = {
    createNamespacedPodEviction: () => answer('evict', script.evict, {}),
    readNamespacedPod: () => answer('read', script.read, pod),
    deleteNamespacedPod: () => answer('remove', script.remove, pod),
    listNamespacedPodDisruptionBudget: async () => ({ items: script.budgets ?? [] }),
  } as unknown as KubeCore;
  return { core, calls, now: () => clock };
}

const policy = (overrides: Partial<EvictionPolicy> = {}): EvictionPolicy => ({
  deadlinePolicy: 'respect-pdb',
  forceDeleteLeadMs: 10_000,
  backoff: { initialMs: 1, maxMs: 2 },
  ...overrides,
});

describe('evictPod', () => {
  it('evicts with the pod UID and a fresh resourceVersion as preconditions', async () => {
    const fake = fakeCore({});
    const budget = createBudget({ clock: fake.now });
    const result = await evictPod(fake.core, planned, budget, policy({ listedAt: start }));
    expect(result).toEqual({ outcome: 'evicted', attempts: 1, gracePeriodSeconds: 30, acceptedAt: start });
    expect(fake.calls).toEqual(['evict']);
  });

  it('retries a PDB refusal and reports blocked-by-pdb when time runs out', async () => {
    const fake = fakeCore({ evict: [pdb, pdb, pdb, pdb, pdb, pdb, pdb, pdb] }, 2000);
    const budget = createBudget({
      deadline: new Date(start + 7000),
      deadlineSafetyMs: 1000,
      clock: fake.now,
    });
    const result = await evictPod(fake.core, planned, budget, policy());
    expect(result).toMatchObject({
      outcome: 'blocked-by-pdb',
      error: expect.stringMatching(/disruption budget/),
    });
    expect(result.attempts).toBe(fake.calls.filter((call) => call === 'evict').length);
  });

  it('with force-delete, deletes what a PDB still holds once the deadline is near', async () => {
    const fake = fakeCore({ evict: [pdb, pdb, pdb] }, 3000);
    const budget = createBudget({
      deadline: new Date(start + 16_000),
      deadlineSafetyMs: 1000,
      clock: fake.now,
    });
    const result = await evictPod(
      fake.core,
      planned,
      budget,
      policy({ deadlinePolicy: 'force-delete', graceDeadline: start + 15_000 }),
    );
    expect(result.outcome).toBe('deleted');
    // Refused at 3 s, pod read at 6 s: 9 s before the grace deadline, within the 10 s lead.
    expect(fake.calls).toEqual(['evict', 'read', 'remove']);
    expect(result).toMatchObject({ attempts: 2, gracePeriodSeconds: 9 });
  });

  it('after a 409, reads the pod again: terminating or replaced means not evicted twice', async () => {
    const terminating = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(start) } };
    const seen = fakeCore({ evict: [api(409)], read: [terminating] });
    const budget = createBudget({ clock: seen.now });
    await expect(evictPod(seen.core, planned, budget, policy())).resolves.toEqual({
      outcome: 'terminating',
      attempts: 1,
    });
    const replaced = fakeCore({
      evict: [api(409)],
      read: [{ ...pod, metadata: { ...pod.metadata, uid: 'uid-2' } }],
    });
    await expect(evictPod(replaced.core, planned, createBudget({}), policy())).resolves.toEqual({
      outcome: 'gone',
      attempts: 1,
    });
    const gone = fakeCore({ evict: [api(404)] });
    await expect(evictPod(gone.core, planned, createBudget({}), policy())).resolves.toEqual({
      outcome: 'gone',
      attempts: 1,
    });
  });

  it('after a 409 with no time left for another attempt, reads the pod once: evicted meanwhile is terminating', async () => {
    const terminating = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(start) } };
    // Each request takes 2 s; the budget stops at 3 s: after the 409 at 2 s, the 5 s backoff leaves no
    // time for another attempt.
    const late = () => fakeCore({ evict: [api(409)], read: [terminating, terminating] }, 2000);
    const slow = policy({ backoff: { initialMs: 5000, maxMs: 5000 } });
    const evictedMeanwhile = late();
    const budget = createBudget({
      deadline: new Date(start + 4000),
      deadlineSafetyMs: 1000,
      clock: evictedMeanwhile.now,
    });
    await expect(evictPod(evictedMeanwhile.core, planned, budget, slow)).resolves.toEqual({
      outcome: 'terminating',
      attempts: 1,
    });
    expect(evictedMeanwhile.calls).toEqual(['evict', 'read']);
    // A pod that only changed (not being deleted) is still there: that is honestly timed out.
    const changed = fakeCore({ evict: [api(409)], read: [pod] }, 2000);
    const changedBudget = createBudget({
      deadline: new Date(start + 4000),
      deadlineSafetyMs: 1000,
      clock: changed.now,
    });
    await expect(evictPod(changed.core, planned, changedBudget, slow)).resolves.toMatchObject({
      outcome: 'timed-out',
      attempts: 1,
    });
  });

  it('retries an eviction that Priority and Fairness turned away without reading the pod again', async () => {
    const apf = {
      code: 429,
      body: 'Too many requests, please try again later.\n',
      headers: { 'retry-after': '0' },
    };
    const fake = fakeCore({ evict: [apf, apf, {}] });
    const budget = createBudget({ clock: fake.now });
    const result = await evictPod(fake.core, planned, budget, policy({ listedAt: start }));
    expect(result.outcome).toBe('evicted');
    expect(fake.calls).toEqual(['evict', 'evict', 'evict']);
  });

  it('reads the pod again before retrying a PodDisruptionBudget refusal', async () => {
    const fake = fakeCore({ evict: [pdb, {}] });
    const budget = createBudget({ clock: fake.now });
    await evictPod(fake.core, planned, budget, policy({ listedAt: start }));
    expect(fake.calls).toEqual(['evict', 'read', 'evict']);
  });

  it('fails for good on a refusal, and times out on transient failures that outlast the budget', async () => {
    const refused = fakeCore({ evict: [api(400, 'bad request')] });
    await expect(evictPod(refused.core, planned, createBudget({}), policy())).resolves.toEqual({
      outcome: 'failed',
      attempts: 1,
      error: 'bad request',
    });
    const down = fakeCore({ evict: Array(10).fill(api(503, 'unavailable')) }, 2000);
    const budget = createBudget({
      deadline: new Date(start + 5000),
      deadlineSafetyMs: 1000,
      clock: down.now,
    });
    await expect(evictPod(down.core, planned, budget, policy())).resolves.toMatchObject({
      outcome: 'timed-out',
      error: 'unavailable',
    });
  });
});

describe('deletePodNow', () => {
  it('deletes, and takes 404, or a 409 for a pod since gone or replaced, as gone', async () => {
    const fake = fakeCore({});
    await expect(deletePodNow(fake.core, planned, createBudget({ clock: fake.now }), 0)).resolves.toEqual({
      outcome: 'deleted',
      attempts: 1,
      gracePeriodSeconds: 0,
      acceptedAt: start,
    });
    const gone = fakeCore({ remove: [api(404)] });
    await expect(deletePodNow(gone.core, planned, createBudget({}), 0)).resolves.toEqual({
      outcome: 'gone',
      attempts: 1,
    });
    const since = fakeCore({ remove: [api(409)], read: [api(404)] });
    await expect(deletePodNow(since.core, planned, createBudget({}), 0)).resolves.toEqual({
      outcome: 'gone',
      attempts: 1,
    });
    const replaced = fakeCore({
      remove: [api(409)],
      read: [{ ...pod, metadata: { ...pod.metadata, uid: 'another' } }],
    });
    await expect(deletePodNow(replaced.core, planned, createBudget({}), 0)).resolves.toEqual({
      outcome: 'gone',
      attempts: 1,
    });
  });

  it('leaves a pod that another delivery force-deleted meanwhile, and deletes one that only changed', async () => {
    const forceDeleted = {
      ...pod,
      metadata: { ...pod.metadata, deletionTimestamp: new Date(), deletionGracePeriodSeconds: 0 },
    };
    const raced = fakeCore({ remove: [api(409)], read: [forceDeleted] });
    await expect(deletePodNow(raced.core, planned, createBudget({}), 0)).resolves.toEqual({
      outcome: 'gone',
      attempts: 1,
    });
    expect(raced.calls.filter((call) => call === 'remove')).toHaveLength(1);
    const evicting = {
      ...pod,
      metadata: {
        ...pod.metadata,
        deletionTimestamp: new Date(),
        deletionGracePeriodSeconds: 30,
        resourceVersion: '9',
      },
    };
    const changed = fakeCore({ remove: [api(409)], read: [evicting] });
    await expect(deletePodNow(changed.core, planned, createBudget({}), 0)).resolves.toMatchObject({
      outcome: 'deleted',
    });
    expect(changed.calls.filter((call) => call === 'remove')).toHaveLength(2);
    const flaky = fakeCore({ remove: [api(503)] });
    await expect(
      deletePodNow(flaky.core, planned, createBudget({}), 0, { initialMs: 1, maxMs: 2 }),
    ).resolves.toMatchObject({ outcome: 'deleted', attempts: 2 });
  });
});

const twoPdbs = api(
  500,
  'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
);
const budgetsOfWeb = [
  { metadata: { name: 'web' }, spec: { selector: {} } },
  { metadata: { name: 'tier' }, spec: { selector: {} } },
];

describe('evictPod: refusals that are not a plain 429', () => {
  it('reports a pod selected by two PDBs as held by PDBs for good, naming them, after one request', async () => {
    const fake = fakeCore({ evict: Array(20).fill(twoPdbs), budgets: budgetsOfWeb }, 1000);
    const budget = createBudget({ deadline: new Date(start + 30_000), clock: fake.now });
    const result = await evictPod(fake.core, planned, budget, policy({ graceDeadline: start + 29_000 }));
    expect(result).toMatchObject({ outcome: 'blocked-by-pdb', attempts: 1 });
    expect(result.error).toMatch(/more than one PodDisruptionBudget \(apps\/tier, apps\/web\)/);
    expect(fake.calls).toEqual(['evict']);
  });

  it('with force-delete, deletes a pod selected by two PDBs at the delete moment', async () => {
    const fake = fakeCore({ evict: [twoPdbs], budgets: budgetsOfWeb }, 1000);
    const budget = createBudget({
      deadline: new Date(start + 12_000),
      deadlineSafetyMs: 1000,
      clock: fake.now,
    });
    const result = await evictPod(
      fake.core,
      planned,
      budget,
      policy({ deadlinePolicy: 'force-delete', graceDeadline: start + 11_000 }),
    );
    // Refused at 1 s, read at 2 s: the delete moment (10 s before the deadline) has come.
    expect(result).toMatchObject({ outcome: 'deleted', attempts: 2 });
    expect(fake.calls).toEqual(['evict', 'read', 'remove']);
  });

  it('with force-delete, does not wait for a delete moment after the end of the function time', async () => {
    const fake = fakeCore({ evict: [twoPdbs], budgets: budgetsOfWeb }, 1000);
    const budget = createBudget({
      deadline: new Date(start + 60_000),
      remainingTimeMs: () => start + 7000 - fake.now(),
      clock: fake.now,
    });
    const result = await evictPod(
      fake.core,
      planned,
      budget,
      policy({ deadlinePolicy: 'force-delete', graceDeadline: start + 59_000 }),
    );
    expect(result).toMatchObject({ outcome: 'blocked-by-pdb', attempts: 1 });
    expect(fake.now()).toBeLessThan(budget.stopAt());
  });

  it('does not retry an eviction in a namespace being terminated', async () => {
    const fake = fakeCore({
      evict: Array(5).fill(
        api(
          403,
          'pods "web-1" is forbidden: unable to create new content in namespace apps because it is being terminated',
        ),
      ),
    });
    const result = await evictPod(fake.core, planned, createBudget({ clock: fake.now }), policy());
    expect(result).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(result.error).toMatch(/refused for good \(namespace being terminated\)/);
  });
});

describe('force-delete moment: boundary values of the lead and the safety margin', () => {
  const deadline = start + 30_000;
  // [lead s, safety s, expected delete moment (ms before the deadline)]
  const table: [number, number, number][] = [
    [0, 1, 1000 + FORCE_DELETE_RESERVE_MS], // lead 0: the latest moment reached, not the end of the budget
    [0.5, 1, 1000 + FORCE_DELETE_RESERVE_MS], // below the safety margin
    [1, 1, 1000 + FORCE_DELETE_RESERVE_MS], // at the safety margin
    [1.5, 1, 1500], // just above it: the lead itself
    [10, 1, 10_000], // the default
    [0, 0, FORCE_DELETE_RESERVE_MS], // no safety margin
    [10, 0, 10_000],
    [3600, 1, 3_600_000], // longer than the time there is: at once
  ];
  it.each(table)(
    'lead %s s, safety %s s: deleted %s ms before the deadline, before the budget ends',
    (lead, safety, before) => {
      const budget = createBudget({
        deadline: new Date(deadline),
        deadlineSafetyMs: safety * 1000,
        clock: () => start,
      });
      const at = forceDeleteAt(
        policy({
          deadlinePolicy: 'force-delete',
          forceDeleteLeadMs: lead * 1000,
          graceDeadline: deadline - safety * 1000,
        }),
        deadline,
      );
      expect(at).toBe(deadline - before);
      expect(at).toBeLessThan(budget.stopAt());
    },
  );

  it('no delete moment without the policy or a deadline', () => {
    expect(forceDeleteAt(policy({ graceDeadline: deadline }), deadline)).toBeUndefined();
    expect(forceDeleteAt(policy({ deadlinePolicy: 'force-delete' }))).toBeUndefined();
  });

  it.each([0, 0.5, 1])(
    'lead %s s (at or below the 1 s safety margin) still force-deletes before the budget ends',
    async (lead) => {
      const fake = fakeCore({ evict: Array(100).fill(pdb) }, 250); // a read and the delete fit in the reserve
      const budget = createBudget({
        deadline: new Date(start + 16_000),
        deadlineSafetyMs: 1000,
        clock: fake.now,
      });
      const result = await evictPod(
        fake.core,
        planned,
        budget,
        policy({
          deadlinePolicy: 'force-delete',
          forceDeleteLeadMs: lead * 1000,
          graceDeadline: start + 15_000,
        }),
      );
      expect(result.outcome).toBe('deleted');
      expect(result.acceptedAt).toBeLessThan(budget.stopAt());
    },
  );
});

import type { V1Node, V1Pod, V1Toleration } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Interruption } from '../events/interruption.ts';
import { backoffDelay } from './backoff.ts';
import { createBudget } from './budget.ts';
import {
  CORDONED_BY_DRAINER_ANNOTATION,
  DEADLINE_ANNOTATION,
  INTERRUPTIONS_ANNOTATION,
  markPatch,
  releasePatch,
  taintKey,
} from './marks.ts';
import { kubeletAlive } from './phases/plan.ts';
import { landedBecause } from './phases/sweep.ts';
import { cappedGraceSeconds, dispositionOf, planPods } from './plan.ts';

const interruption = (overrides: Partial<Interruption> = {}): Interruption => ({
  cloud: 'aws',
  kind: 'spot-interruption',
  eventId: 'evt-1',
  machine: { cloud: 'aws', instanceId: 'i-0123456789abcdef0' },
  action: 'drain',
  deadline: new Date('2026-11-22T10:02:00Z'),
  eventTime: new Date('2026-11-22T10:00:00Z'),
  details: {},
  ...overrides,
});

const now = new Date('2026-11-22T10:00:01Z');

function apply(node: V1Node, patch: ReturnType<typeof markPatch>): V1Node {
  const next = structuredClone(node) as V1Node & Record<string, unknown>;
  for (const op of patch ?? []) {
    const path = op.path
      .split('/')
      .slice(1)
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = path.pop()!;
    let target = next as Record<string, unknown>;
    for (const part of path) {
      target[part] ??= {};
      target = target[part] as Record<string, unknown>;
    }
    if (op.op === 'test') expect(target[last]).toEqual(op.value);
    else if (op.op === 'remove') delete target[last];
    else target[last] = op.value;
  }
  return next;
}

describe('marks', () => {
  const fresh: V1Node = {
    metadata: { name: 'n', annotations: { keep: 'me' }, labels: {} },
    spec: { taints: [{ key: 'other', effect: 'NoExecute' }] },
  };

  it('cordons, taints, labels and records the event in one patch that keeps other taints', () => {
    const marked = apply(fresh, markPatch(fresh, interruption(), { excludeFromLoadBalancers: true, now }));
    expect(marked.spec?.unschedulable).toBe(true);
    expect(marked.spec?.taints).toEqual([
      { key: 'other', effect: 'NoExecute' },
      { key: taintKey('spot-interruption'), value: 'aws', effect: 'NoSchedule' },
    ]);
    expect(marked.metadata?.annotations?.keep).toBe('me');
    expect(marked.metadata?.annotations?.[CORDONED_BY_DRAINER_ANNOTATION]).toBe('true');
    expect(marked.metadata?.annotations?.[DEADLINE_ANNOTATION]).toBe('2026-11-22T10:02:00.000Z');
  });

  it('writes nothing for a duplicate delivery of the same event', () => {
    const marked = apply(fresh, markPatch(fresh, interruption(), { excludeFromLoadBalancers: true, now }));
    expect(markPatch(marked, interruption(), { excludeFromLoadBalancers: true, now })).toBeUndefined();
  });

  it('keeps the earliest deadline and does not claim a node someone else cordoned', () => {
    const cordoned: V1Node = { ...fresh, spec: { ...fresh.spec, unschedulable: true } };
    const first = apply(
      cordoned,
      markPatch(cordoned, interruption({ kind: 'rebalance-recommendation', deadline: undefined }), {
        excludeFromLoadBalancers: false,
        now,
      }),
    );
    expect(first.metadata?.annotations?.[CORDONED_BY_DRAINER_ANNOTATION]).toBeUndefined();
    const second = apply(
      first,
      markPatch(first, interruption({ deadline: new Date('2026-11-22T10:05:00Z') }), {
        excludeFromLoadBalancers: false,
        now,
      }),
    );
    const third = apply(
      second,
      markPatch(
        second,
        interruption({
          kind: 'instance-state-change',
          eventId: 'e3',
          deadline: new Date('2026-11-22T10:01:00Z'),
        }),
        { excludeFromLoadBalancers: false, now },
      ),
    );
    expect(third.metadata?.annotations?.[DEADLINE_ANNOTATION]).toBe('2026-11-22T10:01:00.000Z');
    expect(
      Object.keys(JSON.parse(third.metadata?.annotations?.[INTERRUPTIONS_ANNOTATION] ?? '{}')).sort(),
    ).toEqual(['instance-state-change', 'rebalance-recommendation', 'spot-interruption']);
    // released: other interruptions hold the node, and the drainer never cordoned it anyway
    const released = apply(third, releasePatch(third, interruption({ action: 'release' })).patch);
    expect(released.spec?.unschedulable).toBe(true);
  });

  it('releases only a matching event, and uncordons only what it cordoned', () => {
    const marked = apply(
      fresh,
      markPatch(fresh, interruption({ kind: 'scheduled-event', eventId: 'SE-1' }), {
        excludeFromLoadBalancers: true,
        now,
      }),
    );
    expect(
      releasePatch(marked, interruption({ kind: 'scheduled-event', eventId: 'SE-2', action: 'release' }))
        .patch,
    ).toBeUndefined();
    const plan = releasePatch(
      marked,
      interruption({ kind: 'scheduled-event', eventId: 'se-1', action: 'release' }),
    );
    expect(plan.uncordons).toBe(true);
    const released = apply(marked, plan.patch);
    expect(released.spec?.unschedulable).toBe(false);
    expect(released.spec?.taints).toEqual([{ key: 'other', effect: 'NoExecute' }]);
    expect(released.metadata?.annotations).toEqual({ keep: 'me' });
    expect(released.metadata?.labels).toEqual({});
  });
});

describe('marks an admission policy allows', () => {
  const fresh: V1Node = { metadata: { name: 'n', labels: {} }, spec: {} };

  it('writes everything but the taint at level no-taint, and nothing more for a duplicate', () => {
    const options = { excludeFromLoadBalancers: true, now, level: 'no-taint' as const };
    const patch = markPatch(fresh, interruption(), options);
    expect(patch?.some((op) => op.path.startsWith('/spec/taints'))).toBe(false);
    const marked = apply(fresh, patch);
    expect(marked.spec?.unschedulable).toBe(true);
    expect(marked.metadata?.annotations?.[CORDONED_BY_DRAINER_ANNOTATION]).toBe('true');
    expect(markPatch(marked, interruption(), options)).toBeUndefined();
  });

  it('writes the cordon alone at level cordon-only', () => {
    const options = { excludeFromLoadBalancers: true, now, level: 'cordon-only' as const };
    expect(markPatch(fresh, interruption(), options)).toEqual([
      { op: 'add', path: '/spec/unschedulable', value: true },
    ]);
    expect(markPatch({ ...fresh, spec: { unschedulable: true } }, interruption(), options)).toBeUndefined();
  });
});

describe('why a pod lands on a cordoned, tainted node', () => {
  const pod = (tolerations: V1Toleration[] | undefined): V1Pod => ({
    metadata: { name: 'p', namespace: 'ns' },
    spec: { containers: [], tolerations },
  });
  const key = taintKey('spot-interruption');

  it('tells a pod tolerating every taint from one tolerating the marks by name and one bound directly', () => {
    expect(landedBecause(pod([{ operator: 'Exists' }]), key)).toMatch(/tolerates every taint/);
    expect(
      landedBecause(
        pod([
          { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
          { key, operator: 'Exists' },
        ]),
        key,
      ),
    ).toBe(`tolerates node.kubernetes.io/unschedulable and ${key}`);
    expect(landedBecause(pod([{ operator: 'Exists', effect: 'NoExecute' }]), key)).toMatch(/spec.nodeName/);
    expect(landedBecause(pod(undefined), key)).toMatch(/spec.nodeName/);
  });
});

describe('whether the kubelet can finish graceful deletions', () => {
  const ready = { type: 'Ready', status: 'True' };
  it('needs Ready True and no unreachable taint', () => {
    expect(kubeletAlive({ status: { conditions: [ready] } })).toBe(true);
    expect(kubeletAlive({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } })).toBe(false);
    expect(kubeletAlive({ status: { conditions: [{ type: 'Ready', status: 'False' }] } })).toBe(false);
    expect(kubeletAlive({})).toBe(false);
    expect(
      kubeletAlive({
        spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
        status: { conditions: [ready] },
      }),
    ).toBe(false);
  });
});

describe('plan', () => {
  const pod = (name: string, extra: Partial<V1Pod> = {}): V1Pod => ({
    metadata: { name, namespace: 'ns', uid: name, ...extra.metadata },
    spec: { containers: [], ...extra.spec },
    status: { phase: 'Running', ...extra.status },
  });
  const options = { evictDaemonSetPods: false, deleteEmptyDirData: true };

  it('leaves mirror, finished and DaemonSet pods, and evicts bare and emptyDir pods', () => {
    expect(
      dispositionOf(pod('m', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }), options),
    ).toBe('skip-mirror');
    expect(dispositionOf(pod('f', { status: { phase: 'Succeeded' } }), options)).toBe('skip-finished');
    expect(
      dispositionOf(
        pod('d', {
          metadata: {
            ownerReferences: [
              { kind: 'DaemonSet', controller: true, apiVersion: 'apps/v1', name: 'd', uid: 'u' },
            ],
          },
        }),
        options,
      ),
    ).toBe('skip-daemonset');
    expect(
      dispositionOf(
        pod('d', {
          metadata: {
            ownerReferences: [
              { kind: 'DaemonSet', controller: true, apiVersion: 'apps/v1', name: 'd', uid: 'u' },
            ],
          },
        }),
        { ...options, evictDaemonSetPods: true },
      ),
    ).toBe('evict');
    expect(
      dispositionOf(pod('e', { spec: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] } }), options),
    ).toBe('evict');
    expect(
      dispositionOf(pod('e', { spec: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] } }), {
        ...options,
        deleteEmptyDirData: false,
      }),
    ).toBe('skip-local-storage');
    expect(dispositionOf(pod('b'), options)).toBe('evict');
  });

  it('puts critical pods after the others', () => {
    const planned = planPods(
      [
        pod('dns', { spec: { containers: [], priorityClassName: 'system-cluster-critical' } }),
        pod('web'),
        pod('proxy', { spec: { containers: [], priority: 2_000_001_000 } }),
      ],
      options,
    );
    expect(planned.map((p) => [p.name, p.critical])).toEqual([
      ['web', false],
      ['dns', true],
      ['proxy', true],
    ]);
  });

  it('caps the grace period so the container stops before the deadline, never below 1 s', () => {
    const slow = pod('slow', { spec: { containers: [], terminationGracePeriodSeconds: 90 } });
    expect(cappedGraceSeconds(slow, undefined, 0)).toBe(90);
    expect(cappedGraceSeconds(slow, 25_000, 0)).toBe(25);
    expect(cappedGraceSeconds(slow, 500, 0)).toBe(1);
    expect(cappedGraceSeconds(pod('default'), 120_000, 0)).toBe(30);
  });

  it("sends the grace period override instead of the pod's own, still capped by the deadline; -1 keeps the own", () => {
    const slow = pod('slow', { spec: { containers: [], terminationGracePeriodSeconds: 90 } });
    expect(cappedGraceSeconds(slow, undefined, 0, 10)).toBe(10);
    expect(cappedGraceSeconds(pod('default'), undefined, 0, 300)).toBe(300);
    expect(cappedGraceSeconds(pod('default'), 120_000, 0, 300)).toBe(120);
    expect(cappedGraceSeconds(slow, 5_000, 0, 10)).toBe(5);
    expect(cappedGraceSeconds(slow, 120_000, 0, -1)).toBe(90);
  });
});

describe('backoff and budget', () => {
  it('grows exponentially from about 100 ms with jitter, is capped, and honours Retry-After', () => {
    expect(backoffDelay(1, undefined, { random: () => 0 })).toBe(50);
    expect(backoffDelay(1, undefined, { random: () => 1 })).toBe(100);
    expect(backoffDelay(4, undefined, { random: () => 1 })).toBe(800);
    expect(backoffDelay(20, undefined, { random: () => 1 })).toBe(3000);
    expect(backoffDelay(1, 2000, { random: () => 1 })).toBe(2000);
  });

  it('stops at the earlier of the interruption deadline (less the margin) and the function time', () => {
    let clock = 1_000_000;
    const budget = createBudget({
      deadline: new Date(clock + 30_000),
      remainingTimeMs: () => 60_000 - (clock - 1_000_000),
      clock: () => clock,
      deadlineSafetyMs: 1000,
      functionReserveMs: 2000,
    });
    expect(budget.remainingMs()).toBe(29_000);
    expect(budget.limitedByFunctionTime()).toBe(false);
    const short = createBudget({
      deadline: new Date(clock + 30_000),
      remainingTimeMs: () => 5000,
      clock: () => clock,
      functionReserveMs: 2000,
    });
    expect(short.remainingMs()).toBe(3000);
    expect(short.limitedByFunctionTime()).toBe(true);
    clock += 29_000;
    expect(budget.expired()).toBe(true);
    expect(createBudget({ clock: () => clock }).remainingMs()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('what is worth another invocation', () => {
  it('retries transient failures and authorization that may settle, not a bad request', async () => {
    const { mayPassLater } = await import('../kube/errors.ts');
    expect(mayPassLater({ code: 503, body: '', headers: {} })).toBe(true);
    expect(mayPassLater({ code: 403, body: '', headers: {} })).toBe(true);
    expect(mayPassLater({ code: 401, body: '', headers: {} })).toBe(true);
    expect(mayPassLater(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(mayPassLater({ code: 422, body: '', headers: {} })).toBe(false);
    expect(mayPassLater({ code: 404, body: '', headers: {} })).toBe(false);
  });
});

describe('withAttempts', () => {
  it('waits out throttling and transient failures, and gives up on other errors or when time is up', async () => {
    const { withAttempts } = await import('./attempts.ts');
    const fast = { backoff: { initialMs: 1, maxMs: 2 } };
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls < 3)
        throw { code: 429, body: '{"message":"Too many requests"}', headers: { 'retry-after': '0' } };
      return 'ok';
    };
    await expect(withAttempts(createBudget({}), flaky, fast)).resolves.toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    const invalid = async () => {
      calls++;
      throw { code: 422, body: '', headers: {} };
    };
    await expect(withAttempts(createBudget({}), invalid, fast)).rejects.toMatchObject({ code: 422 });
    expect(calls).toBe(1);
    const expired = createBudget({ deadline: new Date(Date.now() - 1) });
    await expect(
      withAttempts(expired, async () => Promise.reject({ code: 503, body: '', headers: {} }), fast),
    ).rejects.toMatchObject({ code: 503 });
  });
});

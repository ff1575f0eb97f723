/**
 * The drain engine, as the restricted identity, through a proxy that injects faults between it and the
 * real API server: latency, 5xx, connection resets, APF-style 429 with Retry-After, and stalls.
 * What the proxy did and what the API server answered are compared with the drain's own report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { drainNode } from '../../src/drain/engine.ts';
import type { DrainReport } from '../../src/drain/report.ts';
import { FORBIDDEN_GRACE_MS } from '../../src/kube/errors.ts';
import {
  createDeployment,
  isPodReady,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { adminApis, clusterInfo, spotPools } from './cluster.ts';
import { backoffBounds, drainDeps, interruptionFor } from './drain-helpers.ts';
import { drainerThroughProxy, podName, podUid, workloadOn } from './faults/clients.ts';
import { recordFigures, wireSummary } from './faults/figures.ts';
import { type FaultProxy, type FaultRule, type ProxiedRequest, startFaultProxy } from './faults/proxy.ts';

const info = clusterInfo();
const apis = adminApis();
const pool = spotPools('flt', 'each', apis);
const proxies: FaultProxy[] = [];

// Registered after spotPools: the proxies close before the pools are deleted.
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

async function proxy(rules: FaultRule[], seed = 7): Promise<FaultProxy> {
  const started = await startFaultProxy({ upstream: info.server, certDir: info.dir, rules, seed });
  proxies.push(started);
  return started;
}

const EVICTION = /\/pods\/[^/]+\/eviction$/;
const byPod = (request: ProxiedRequest) => request.eviction?.uid ?? '';

/** Eviction POSTs the proxy saw for each pod, in order. */
function evictionsOf(faults: FaultProxy, uid: string): ProxiedRequest[] {
  return faults.evictionsByUid().get(uid) ?? [];
}

function figures(test: string, report: DrainReport, faults: FaultProxy) {
  recordFigures(test, {
    outcome: report.outcome,
    retryable: report.retryable,
    counts: report.counts,
    attempts: report.pods.map((pod) => pod.attempts),
    ...wireSummary(faults.log),
  });
}

function expectAttemptsMatchTheWire(report: DrainReport, faults: FaultProxy) {
  for (const pod of report.pods.filter((p) => p.disposition === 'evict')) {
    expect(pod.attempts, `${pod.name}: attempts reported vs eviction POSTs on the wire`).toBe(
      evictionsOf(faults, pod.uid).length,
    );
  }
}

describe('drain through a faulty network and API server', () => {
  it('finishes when the faults are transient, and records the retries on the pods they hit', async () => {
    const p = await pool(2);
    const [target] = p.nodes as [SpotPool['nodes'][number]];
    const pods = await workloadOn(apis, p, target, 5, () =>
      createDeployment(apis, p, { name: 'web', replicas: 5, graceSeconds: 1 }),
    );
    const names = pods.map(podName).sort();
    // One pod per fault kind on its first eviction; the fifth is only slowed down.
    const firstFault: Record<string, FaultRule['fault']> = {
      [names[0]!]: { kind: 'status', status: 500 },
      [names[1]!]: { kind: 'reset' },
      [names[2]!]: { kind: 'status', status: 503 },
      [names[3]!]: { kind: 'throttle', retryAfterSeconds: 1 },
      [names[4]!]: { kind: 'latency', ms: 300 },
    };
    const faults = await proxy([
      {
        name: 'patch-503',
        method: 'PATCH',
        path: `/api/v1/nodes/${target.name}`,
        firstN: 1,
        fault: { kind: 'status', status: 503 },
      },
      { name: 'list-reset', method: 'GET', path: '/api/v1/pods', firstN: 1, fault: { kind: 'reset' } },
      ...Object.entries(firstFault).map(
        ([name, fault]): FaultRule => ({
          name: `evict-${name}`,
          method: 'POST',
          path: EVICTION,
          when: (request) => request.eviction?.name === name,
          firstN: 1,
          fault,
        }),
      ),
      // Background noise on everything else: slow answers and the odd 502.
      { name: 'noise-latency', probability: 0.3, fault: { kind: 'latency', ms: 50 } },
      { name: 'noise-502', method: 'GET', probability: 0.1, fault: { kind: 'status', status: 502 } },
    ]);
    const kube = drainerThroughProxy(faults, info);
    const report = await drainNode(
      await apis.core.readNode({ name: target.name }),
      interruptionFor(target),
      drainDeps(kube),
    );
    await kube.close();
    figures('faults/transient', report, faults);

    expect(report.errors).toEqual([]);
    expect(report.outcome).toBe('completed');
    expect(report.retryable).toBe(false);
    expect(report.counts.evicted).toBe(5);
    expect(report.markedByThisInvocation).toBe(true);
    // Every kind of fault was really injected.
    for (const kind of ['status', 'reset', 'throttle', 'latency'] as const) {
      expect(faults.faulted(kind).length, kind).toBeGreaterThan(0);
    }
    expect(faults.log.filter((r) => r.rule === 'patch-503')).toHaveLength(1);
    expect(faults.log.filter((r) => r.rule === 'list-reset')).toHaveLength(1);
    expectAttemptsMatchTheWire(report, faults);
    for (const pod of report.pods) {
      const expected = firstFault[pod.name]?.kind === 'latency' ? 1 : 2;
      expect(pod.attempts, pod.name).toBeGreaterThanOrEqual(expected);
      // Exactly one eviction per pod got through to the API server, and it was accepted.
      expect(faults.acceptedEvictionsByUid().get(pod.uid), pod.name).toHaveLength(1);
    }
    const node = await apis.core.readNode({ name: target.name });
    expect(node.spec?.unschedulable).toBe(true);
    expect(
      (await podsOnNode(apis.core, target.name)).filter((pod) => pod.metadata?.namespace === p.namespace),
    ).toEqual([]);
  });

  it('stops at the deadline when the faults persist, with an honest report', async () => {
    const p = await pool(1);
    const target = p.nodes[0]!;
    const pods = await workloadOn(apis, p, target, 3, () =>
      createDeployment(apis, p, { name: 'stuck', replicas: 3, graceSeconds: 1 }),
    );
    const [erroring, stalling, guarded] = pods.map(podName).sort() as [string, string, string];
    const evicting = (name: string) => (request: ProxiedRequest) => request.eviction?.name === name;
    const faults = await proxy([
      {
        name: 'always-503',
        method: 'POST',
        path: EVICTION,
        when: evicting(erroring),
        fault: { kind: 'status', status: 503, message: 'etcd leader changed' },
      },
      {
        name: 'always-stall',
        method: 'POST',
        path: EVICTION,
        when: evicting(stalling),
        fault: { kind: 'stall' },
      },
      {
        name: 'always-pdb',
        method: 'POST',
        path: EVICTION,
        when: evicting(guarded),
        fault: {
          kind: 'throttle',
          retryAfterSeconds: 0,
          message: "Cannot evict pod as it would violate the pod's disruption budget.",
        },
      },
    ]);
    const kube = drainerThroughProxy(faults, info, { requestTimeoutMs: 700 });
    const started = Date.now();
    const deadline = new Date(started + 7000);
    const deadlineSafetyMs = 1000;
    const report = await drainNode(
      await apis.core.readNode({ name: target.name }),
      interruptionFor(target, { deadline }),
      drainDeps(kube, { deadlineSafetyMs }),
    );
    const returned = Date.now();
    await kube.close();
    figures('faults/persistent', report, faults);

    expect(report.outcome).toBe('partial');
    expect(report.deadlineMet).toBe(false);
    // The machine is still there: another attempt (a redelivery) could finish the job.
    expect(report.retryable).toBe(true);
    // Bounds from the settings only: it kept trying while more than the longest backoff was left before
    // the stop (the deadline less the safety margin), and made no more attempts than fit before it.
    const stopAt = deadline.getTime() - deadlineSafetyMs;
    const backoff = backoffBounds();
    expect(returned).toBeGreaterThanOrEqual(stopAt - backoff.longestMs);
    for (const pod of report.pods) {
      expect(pod.attempts, pod.name).toBeLessThanOrEqual(backoff.maxAttemptsWithin(stopAt - started));
    }
    const outcome = (name: string) => report.pods.find((pod) => pod.name === name);
    expect(outcome(erroring)).toMatchObject({ outcome: 'timed-out', error: 'etcd leader changed' });
    expect(outcome(stalling)?.outcome).toBe('timed-out');
    expect(outcome(stalling)?.error).toMatch(/ETIMEDOUT|UND_ERR_HEADERS_TIMEOUT|no answer|timed? ?out/i);
    expect(outcome(guarded)).toMatchObject({ outcome: 'blocked-by-pdb' });
    expect(report.counts).toMatchObject({ evictable: 3, evicted: 0, timedOut: 2, blockedByPdb: 1 });
    expect(report.errors).toHaveLength(3);
    for (const name of [erroring, stalling, guarded]) {
      expect(
        report.errors.some((error) => error.startsWith(`${p.namespace}/${name}: `)),
        name,
      ).toBe(true);
    }
    // It kept trying until the end, and nothing reached the API server.
    for (const pod of report.pods) expect(pod.attempts, pod.name).toBeGreaterThan(2);
    expectAttemptsMatchTheWire(report, faults);
    expect(faults.acceptedEvictionsByUid().size).toBe(0);
    // Cordoned, and the pods are still running.
    expect((await apis.core.readNode({ name: target.name })).spec?.unschedulable).toBe(true);
    expect((await podsOnNode(apis.core, target.name)).filter(isPodReady)).toHaveLength(3);
  });

  it('fails the cordon honestly when the node cannot be written before the deadline', async () => {
    const p = await pool(1);
    const target = p.nodes[0]!;
    const faults = await proxy([
      { name: 'patch-500', method: 'PATCH', fault: { kind: 'status', status: 500 } },
    ]);
    const kube = drainerThroughProxy(faults, info);
    const report = await drainNode(
      await apis.core.readNode({ name: target.name }),
      interruptionFor(target, { deadline: new Date(Date.now() + 4000) }),
      drainDeps(kube),
    );
    await kube.close();
    figures('faults/cordon-fails', report, faults);

    expect(report.outcome).toBe('failed');
    expect(report.retryable).toBe(true);
    expect(report.markedByThisInvocation).toBe(false);
    expect(report.errors).toEqual(['cordon: injected 500 by the fault proxy']);
    expect(faults.faulted('status').length).toBeGreaterThan(1);
    expect((await apis.core.readNode({ name: target.name })).spec?.unschedulable).toBeFalsy();
  });

  it('honours Retry-After on 429: no retry reaches the API server before it has elapsed', async () => {
    const p = await pool(2);
    const target = p.nodes[0]!;
    const pods = await workloadOn(apis, p, target, 3, () =>
      createDeployment(apis, p, { name: 'apf', replicas: 3, graceSeconds: 1 }),
    );
    const faults = await proxy([
      { name: 'patch-429', method: 'PATCH', firstN: 1, fault: { kind: 'throttle', retryAfterSeconds: 1 } },
      {
        name: 'list-429',
        method: 'GET',
        path: '/api/v1/pods',
        firstN: 1,
        fault: { kind: 'throttle', retryAfterSeconds: 1 },
      },
      {
        name: 'evict-429',
        method: 'POST',
        path: EVICTION,
        key: byPod,
        firstN: 2,
        fault: { kind: 'throttle', retryAfterSeconds: 2 },
      },
    ]);
    const kube = drainerThroughProxy(faults, info);
    // Without Retry-After, this backoff would retry within 100 ms.
    const report = await drainNode(await apis.core.readNode({ name: target.name }), interruptionFor(target), {
      ...drainDeps(kube),
      backoff: { initialMs: 20, maxMs: 100 },
    });
    await kube.close();
    figures('faults/retry-after', report, faults);

    expect(report.outcome).toBe('completed');
    expect(report.counts.evicted).toBe(3);
    expectAttemptsMatchTheWire(report, faults);
    /** How long after each answer the next try arrived. */
    const waits = (requests: ProxiedRequest[]) =>
      requests.slice(1).map((request, index) => request.receivedAt - requests[index]!.respondedAt!);
    for (const pod of pods) {
      const wire = evictionsOf(faults, podUid(pod));
      expect(wire.map((request) => request.status)).toEqual([429, 429, 201]);
      for (const waited of waits(wire)) expect(waited).toBeGreaterThanOrEqual(1990);
    }
    for (const [method, path] of [
      ['PATCH', `/api/v1/nodes/${target.name}`],
      ['GET', '/api/v1/pods'],
    ] as const) {
      const wire = faults.log.filter((request) => request.method === method && request.path === path);
      expect(wire[0]?.status, path).toBe(429);
      expect(wire[1]!.receivedAt - wire[0]!.respondedAt!, path).toBeGreaterThanOrEqual(990);
    }
  });

  it('cuts stalled requests with the client timeout and retries them', async () => {
    const p = await pool(2);
    const target = p.nodes[0]!;
    const pods = await workloadOn(apis, p, target, 3, () =>
      createDeployment(apis, p, { name: 'slowpoke', replicas: 3, graceSeconds: 1 }),
    );
    const faults = await proxy([
      { name: 'patch-stall', method: 'PATCH', firstN: 1, fault: { kind: 'stall' } },
      { name: 'list-stall', method: 'GET', path: '/api/v1/pods', firstN: 1, fault: { kind: 'stall' } },
      {
        name: 'evict-stall',
        method: 'POST',
        path: EVICTION,
        key: byPod,
        firstN: 1,
        fault: { kind: 'stall' },
      },
    ]);
    const timeoutMs = 800;
    const sent: { method: string; path: string; at: number }[] = [];
    const kube = drainerThroughProxy(faults, info, {
      requestTimeoutMs: timeoutMs,
      onRequest: (method, url) => sent.push({ method, path: new URL(url).pathname, at: Date.now() }),
    });
    const report = await drainNode(
      await apis.core.readNode({ name: target.name }),
      interruptionFor(target),
      drainDeps(kube),
    );
    await kube.close();
    figures('faults/stalls', report, faults);

    expect(report.outcome).toBe('completed');
    expect(report.counts.evicted).toBe(3);
    expect(faults.faulted('stall')).toHaveLength(5);
    expectAttemptsMatchTheWire(report, faults);
    for (const pod of pods) {
      const wire = evictionsOf(faults, podUid(pod));
      expect(wire.map((request) => request.fault ?? request.status)).toEqual(['stall', 201]);
      // The retry was sent after the client gave up on the stalled request, not before: measured where
      // the timeout runs, on the client (the proxy's clock would add its own delays on either side).
      const posts = sent.filter(
        (r) => r.method === 'POST' && r.path.endsWith(`/pods/${podName(pod)}/eviction`),
      );
      expect(posts).toHaveLength(2);
      expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(timeoutMs - 1);
    }
    // Each stalled request was cut once and retried once: the drain did not wait on any of them for good.
    for (const [method, path] of [
      ['PATCH', `/api/v1/nodes/${target.name}`],
      ['GET', '/api/v1/pods'],
    ] as const) {
      const wire = faults.log.filter((request) => request.method === method && request.path === path);
      expect(wire[0]?.fault, path).toBe('stall');
      expect(wire[1]?.fault, path).toBeUndefined();
    }
  });
  it('retries 403 refusals for a few seconds (RBAC caches still syncing), then believes them', async () => {
    const p = await pool(2);
    const target = p.nodes[0]!;
    const pods = await workloadOn(apis, p, target, 3, () =>
      createDeployment(apis, p, { name: 'rbac', replicas: 3, graceSeconds: 1 }),
    );
    const [refused, ...others] = pods.map(podName).sort() as [string, ...string[]];
    const forbidden = (name: string): FaultRule['fault'] => ({
      kind: 'status',
      status: 403,
      message: `pods "${name}" is forbidden: User "spot-drainer-test" cannot create resource "pods/eviction" in API group "" in the namespace "${p.namespace}"`,
    });
    const faults = await proxy([
      {
        name: 'always-403',
        method: 'POST',
        path: EVICTION,
        when: (request) => request.eviction?.name === refused,
        fault: forbidden(refused),
      },
      ...others.map(
        (name): FaultRule => ({
          name: `403-${name}`,
          method: 'POST',
          path: EVICTION,
          when: (request) => request.eviction?.name === name,
          firstN: 2,
          fault: forbidden(name),
        }),
      ),
    ]);
    const sent: { method: string; path: string; at: number }[] = [];
    const kube = drainerThroughProxy(faults, info, {
      onRequest: (method, url) => sent.push({ method, path: new URL(url).pathname, at: Date.now() }),
    });
    const report = await drainNode(
      await apis.core.readNode({ name: target.name }),
      interruptionFor(target),
      drainDeps(kube),
    );
    const returned = Date.now();
    await kube.close();
    figures('faults/forbidden', report, faults);

    const outcome = (name: string) => report.pods.find((pod) => pod.name === name);
    for (const name of others) expect(outcome(name)).toMatchObject({ outcome: 'evicted', attempts: 3 });
    expect(outcome(refused)).toMatchObject({ outcome: 'failed' });
    expect(outcome(refused)?.error).toMatch(/is forbidden/);
    expect(report.outcome).toBe('partial');
    // A refusal that persisted is not something a redelivery would fix.
    expect(report.retryable).toBe(false);
    const wire = evictionsOf(faults, pods.find((pod) => podName(pod) === refused)!.metadata!.uid!);
    expect(wire.length).toBeGreaterThan(2);
    // Refusals are believed once they have lasted the grace period on the client's clock: the first
    // refused eviction was sent at least that long before the drain returned ...
    const firstSent = sent.find((r) => r.method === 'POST' && r.path.endsWith(`/pods/${refused}/eviction`));
    expect(returned - firstSent!.at).toBeGreaterThanOrEqual(FORBIDDEN_GRACE_MS);
    // ... and not retried until the interruption deadline two minutes away: no more attempts than the
    // backoff fits in the grace period (plus the one whose refusal ended it).
    expect(outcome(refused)!.attempts).toBe(wire.length);
    expect(wire.length).toBeLessThanOrEqual(backoffBounds().maxAttemptsWithin(FORBIDDEN_GRACE_MS) + 1);
    expectAttemptsMatchTheWire(report, faults);
  });
});

/**
 * The real kube-apiserver process is stopped and started again in the middle of a drain. This file runs
 * its own control plane, so the other test files sharing the run's cluster never see the outage.
 */
import type { V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainNode } from '../../src/drain/engine.ts';
import { MARK_PREFIX } from '../../src/drain/marks.ts';
import { createKubeClient } from '../../src/kube/client.ts';
import {
  type ClusterInfo,
  restartApiserver,
  startControlPlane,
  stopControlPlane,
} from '../../src/local-cluster/control-plane.ts';
import { createDeployment, createSpotPool, podsOnNode } from '../../src/local-cluster/node-pool.ts';
import { type AdminApis, adminApis, eventually, uniqueName } from './cluster.ts';
import { drainDeps, interruptionFor } from './drain-helpers.ts';
import { workloadOn } from './faults/clients.ts';
import { recordFigures, wireSummary } from './faults/figures.ts';
import { type FaultProxy, startFaultProxy } from './faults/proxy.ts';

let info: ClusterInfo;
let apis: AdminApis;
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  info = await startControlPlane();
  apis = adminApis(info);
});

afterAll(async () => {
  await proxy?.close();
  if (info) await stopControlPlane(info);
});

function isReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** What the drain must not change on a node it was not asked to drain. */
function fingerprint(node: V1Node) {
  return {
    resourceVersion: node.metadata?.resourceVersion,
    labels: node.metadata?.labels,
    annotations: node.metadata?.annotations,
    spec: node.spec,
  };
}

describe('kube-apiserver restarted in the middle of a drain', () => {
  it('resumes and completes the drain, evicts no pod twice, and touches no other node', async () => {
    const pool = await createSpotPool(apis, { cloud: 'aws', nodes: 3, id: uniqueName('rst') });
    const [target, ...others] = pool.nodes as [(typeof pool.nodes)[number], ...typeof pool.nodes];
    // Six replicas behind maxUnavailable 1: each eviction waits for the previous replacement to be Ready.
    const pods = await workloadOn(
      apis,
      pool,
      target,
      6,
      () => createDeployment(apis, pool, { name: 'api', replicas: 6, maxUnavailable: 1, graceSeconds: 1 }),
      'api',
    );
    const before = await eventually('the other nodes Ready', async () => {
      const nodes = await Promise.all(others.map((node) => apis.core.readNode({ name: node.name })));
      return nodes.every(isReady) ? nodes.map(fingerprint) : undefined;
    });

    proxy = await startFaultProxy({ upstream: info.server, certDir: info.dir });
    const sent: { method: string; path: string; at: number }[] = [];
    const kube = createKubeClient(
      { server: proxy.url, caPem: proxy.caPem, token: async () => info.drainerToken },
      {
        requestTimeoutMs: 5000,
        onRequest: (method, url) => sent.push({ method, path: new URL(url).pathname, at: Date.now() }),
      },
    );
    let restart: Promise<void> | undefined;
    let restartedAt: { from: number; to: number } | undefined;
    const report = await drainNode(await apis.core.readNode({ name: target.name }), interruptionFor(target), {
      ...drainDeps(kube),
      onProgress: (progress) => {
        if (progress.phase !== 'evicting' || progress.accepted < 2 || restart) return;
        const from = Date.now();
        restart = restartApiserver(info, 1000).then(() => {
          restartedAt = { from, to: Date.now() };
        });
      },
    });
    await restart;
    await kube.close();

    // The restart really happened while the drain was running, and the drain went on after it.
    expect(restartedAt).toBeDefined();
    const { from, to } = restartedAt!;
    expect(proxy.log.some((r) => r.upstreamError !== undefined && r.receivedAt >= from)).toBe(true);
    const accepted = proxy.acceptedEvictionsByUid();
    const acceptedAfter = [...accepted.values()].flat().filter((r) => r.receivedAt > to);
    expect(acceptedAfter.length).toBeGreaterThan(0);

    recordFigures('apiserver-restart', {
      restartMs: to - from,
      outcome: report.outcome,
      evicted: report.counts.evicted,
      drainMs: report.timings.totalMs,
      forbiddenAfterRestart: proxy.log.filter((r) => r.status === 403).length,
      ...wireSummary(proxy.log),
    });
    expect(report.outcome).toBe('completed');
    expect(report.errors).toEqual([]);
    expect(report.counts.evicted).toBe(6);
    // At most one eviction accepted per pod UID, and one for each pod that was on the node.
    expect(new Set(accepted.keys())).toEqual(new Set(pods.map((pod) => pod.metadata?.uid)));
    for (const [uid, requests] of accepted) expect(requests, uid).toHaveLength(1);
    expect(
      (await podsOnNode(apis.core, target.name)).filter((pod) => pod.metadata?.namespace === pool.namespace),
    ).toEqual([]);

    // Nothing but the target node was written: no request, no changed field, no taint.
    const writes = sent.filter((request) => request.method !== 'GET');
    for (const node of others) {
      expect(writes.filter((request) => request.path.includes(node.name))).toEqual([]);
      for (const r of proxy.log.filter((entry) => entry.body !== undefined))
        expect(r.body, `${r.method} ${r.path}`).not.toContain(node.name);
    }
    const after = await Promise.all(others.map((node) => apis.core.readNode({ name: node.name })));
    expect(after.map(fingerprint)).toEqual(before);
    for (const node of after)
      expect((node.spec?.taints ?? []).filter((taint) => taint.key?.startsWith(MARK_PREFIX))).toEqual([]);
    const drained = await apis.core.readNode({ name: target.name });
    expect(drained.spec?.unschedulable).toBe(true);
  });
});

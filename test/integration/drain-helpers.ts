import { readFileSync } from 'node:fs';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type BackoffOptions, backoffDelay } from '../../src/drain/backoff.ts';
import type { DrainDependencies } from '../../src/drain/engine.ts';
import { type DrainSettings, defaultDrainSettings } from '../../src/drain/settings.ts';
import type { Interruption, InterruptionKind } from '../../src/events/interruption.ts';
import { createKubeClient, type KubeClient } from '../../src/kube/client.ts';
import type { PoolNode } from '../../src/local-cluster/node-pool.ts';
import { silentLogger } from '../../src/logging.ts';
import { type AdminApis, clusterInfo, eventually } from './cluster.ts';

export function interruptionFor(
  node: PoolNode,
  overrides: Partial<Interruption> & { kind?: InterruptionKind } = {},
): Interruption {
  const now = Date.now();
  return {
    cloud: 'aws',
    kind: 'spot-interruption',
    eventId: `evt-${Math.random().toString(36).slice(2, 10)}`,
    machine: { cloud: 'aws', instanceId: node.machineId },
    action: 'drain',
    deadline: new Date(now + 120_000),
    eventTime: new Date(now),
    details: {},
    ...overrides,
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  at: number;
}

/** The drainer's client with every request recorded. */
export function recordingDrainerClient(): { kube: KubeClient; requests: RecordedRequest[] } {
  const info = clusterInfo();
  const requests: RecordedRequest[] = [];
  const kube = createKubeClient(
    { server: info.server, caPem: readFileSync(info.caFile, 'utf8'), token: async () => info.drainerToken },
    { onRequest: (method, url) => requests.push({ method, path: new URL(url).pathname, at: Date.now() }) },
  );
  return { kube, requests };
}

export function drainDeps(kube: KubeClient, settings: Partial<DrainSettings> = {}): DrainDependencies {
  return { kube, logger: silentLogger, settings: { ...defaultDrainSettings, ...settings } };
}

/**
 * Bounds a drain's timing from its settings alone, for tests that must not depend on the machine's speed.
 * A retry loop sleeps only when the sleep ends before the budget's stop (deadline less the safety
 * margin), and gives up only when the next backoff would not: so it cannot give up while more than the
 * longest backoff is left, and its sleeps, none shorter than the shortest backoff, fit in the window.
 */
export const backoffBounds = (backoff: BackoffOptions = {}) => ({
  /** The longest sleep the backoff can choose, at any attempt. */
  longestMs: backoffDelay(Number.MAX_SAFE_INTEGER, undefined, { ...backoff, random: () => 1 }),
  /** The most attempts (requests) one retry loop can make in `windowMs`. */
  maxAttemptsWithin(windowMs: number): number {
    let slept = 0;
    for (let attempt = 1; ; attempt++) {
      slept += backoffDelay(attempt, undefined, { ...backoff, random: () => 0 });
      if (slept >= windowMs) return attempt;
    }
  },
});

/**
 * Simulates a dead kubelet on a kwok node: the node loses kwok's annotation, so kwok stops managing it
 * and its pods (a pod deleted gracefully there stays terminating, as under a dead kubelet), and its
 * Ready condition is set to Unknown through the status subresource, as the node lifecycle controller
 * would after the node monitor grace period (the lease is no longer renewed, so it stays so).
 */
export async function killKubelet(apis: AdminApis, name: string): Promise<void> {
  await apis.core.patchNode(
    { name, body: [{ op: 'remove', path: '/metadata/annotations/kwok.x-k8s.io~1node' }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  const node = await apis.core.readNode({ name });
  const now = new Date();
  const conditions = (node.status?.conditions ?? []).map((condition) =>
    condition.type === 'Ready'
      ? {
          ...condition,
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: now,
        }
      : condition,
  );
  await apis.core.patchNodeStatus(
    { name, body: { status: { conditions } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  await eventually('node not Ready', async () => {
    const current = await apis.core.readNode({ name });
    return current.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True';
  });
}

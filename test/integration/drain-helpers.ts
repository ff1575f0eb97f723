import { readFileSync } from 'node:fs';
import type { DrainDependencies } from '../../src/drain/engine.ts';
import { type DrainSettings, defaultDrainSettings } from '../../src/drain/settings.ts';
import type { Interruption, InterruptionKind } from '../../src/events/interruption.ts';
import { createKubeClient, type KubeClient } from '../../src/kube/client.ts';
import type { PoolNode } from '../../src/local-cluster/node-pool.ts';
import { silentLogger } from '../../src/logging.ts';
import { clusterInfo } from './cluster.ts';

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

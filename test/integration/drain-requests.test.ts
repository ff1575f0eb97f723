import { afterEach, describe, expect, it } from 'vitest';
import { drainNode } from '../../src/drain/engine.ts';
import {
  createDeployment,
  createSpotPool,
  deleteSpotPool,
  isPodReady,
  placeOnNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { adminApis, eventually, uniqueName } from './cluster.ts';
import { drainDeps, interruptionFor, type RecordedRequest, recordingDrainerClient } from './drain-helpers.ts';

const apis = adminApis();
const pools: SpotPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => deleteSpotPool(apis, pool)));
});

/** "GET /api/v1/pods" style keys, with names and namespaces left out, counted. */
function byVerbAndResource(requests: RecordedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { method, path } of requests) {
    const resource = path
      .replace(/\/namespaces\/[^/]+/, '/namespaces/*')
      .replace(/\/(nodes|pods|events)\/[^/]+/, '/$1/*');
    const key = `${method} ${resource}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('API requests of one drain, on the real control plane', () => {
  // Requests per node are what a mass interruption multiplies: an availability zone of 500 nodes loads
  // the API server with 500 times this. One node read (resolution), one patch (the marks), one list (the
  // plan), one eviction per pod, one watch (the wait and the sweep) and one Kubernetes Event: N + 5.
  it('drains a node of N pods in at most N + 5 requests, resolution included', async () => {
    const pods = 12;
    const pool = await createSpotPool(apis, { cloud: 'aws', nodes: 2, id: uniqueName('rq') });
    pools.push(pool);
    const target = pool.nodes[0]!;
    await placeOnNode(apis, pool, target, pods, () =>
      createDeployment(apis, pool, { name: 'web', replicas: pods, graceSeconds: 1 }),
    );
    await eventually(
      `${pods} pods running`,
      async () => (await podsOnNode(apis.core, target.name)).filter(isPodReady).length === pods,
    );
    const { kube, requests } = recordingDrainerClient();
    // As the pipeline resolves the node: one GET by its name, as the drainer.
    const node = await kube.core.readNode({ name: target.name });
    const report = await drainNode(node, interruptionFor(target), drainDeps(kube));

    expect(report.outcome).toBe('completed');
    expect(report.counts.evicted).toBe(pods);
    expect(report.counts.stillTerminating).toBe(0);
    const counts = byVerbAndResource(requests);
    expect(counts['POST /api/v1/namespaces/*/pods/*/eviction']).toBe(pods);
    expect(counts['PATCH /api/v1/nodes/*']).toBe(1);
    expect(counts['POST /api/v1/namespaces/*/events'] ?? 0).toBeLessThanOrEqual(1);
    expect(requests.length, JSON.stringify(counts)).toBeLessThanOrEqual(pods + 5);
    expect(report.apiRequests).toBe(requests.length - 1);
  });
});

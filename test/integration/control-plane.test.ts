import { existsSync } from 'node:fs';
import { AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiGet,
  componentsAlive,
  kubectl,
  startControlPlane,
  stopControlPlane,
} from '../../src/local-cluster/control-plane.ts';
import {
  createMixedWorkloads,
  createSpotPool,
  deleteSpotPool,
  isPodReady,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { isAlive } from '../../src/local-cluster/processes.ts';
import { adminApis, clusterInfo, drainerClient, eventually, uniqueName } from './cluster.ts';

describe('local control plane', () => {
  it('comes up on loopback and goes down leaving no process or state behind', async () => {
    const info = await startControlPlane();
    try {
      expect(new URL(info.server).hostname).toBe('127.0.0.1');
      expect(componentsAlive(info)).toEqual({
        'authn-webhook': true,
        etcd: true,
        'kube-apiserver': true,
        'kube-controller-manager': true,
        'kube-scheduler': true,
        kwok: true,
      });
      expect(Object.keys(info.components).sort()).toEqual(
        [
          'authn-webhook',
          'etcd',
          'kube-apiserver',
          'kube-controller-manager',
          'kube-scheduler',
          'kwok',
        ].sort(),
      );
      const version = JSON.parse((await apiGet(info, '/version', info.adminToken)).body) as {
        gitVersion: string;
      };
      expect(version.gitVersion).toBe(info.kubernetesVersion);
      expect((await apiGet(info, '/readyz', 'not-a-token')).status).toBe(401);
    } finally {
      await stopControlPlane(info);
    }
    for (const state of Object.values(info.components)) expect(isAlive(state?.pid ?? 0)).toBe(false);
    expect(existsSync(info.dir)).toBe(false);
  });
});

describe('spot pool fixture', () => {
  const apis = adminApis();
  let pool: SpotPool;

  beforeAll(async () => {
    pool = await createSpotPool(apis, { cloud: 'aws', nodes: 2, id: uniqueName('fx') });
    await createMixedWorkloads(apis, pool, pool.nodes[0]!);
  });
  afterAll(() => deleteSpotPool(apis, pool));

  it('gets Ready nodes and Running, Ready pods from kwok, and a completed Job pod', async () => {
    const target = pool.nodes[0]!;
    const node = await eventually('node Ready', async () => {
      const current = await apis.core.readNode({ name: target.name });
      return current.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')
        ? current
        : undefined;
    });
    expect(node.spec?.providerID).toBe(target.providerId);
    const pods = await eventually('fixture pods settled', async () => {
      const current = await podsOnNode(apis.core, target.name);
      const running = current.filter((pod) => !pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job'));
      const job = current.filter((pod) => pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job'));
      // web x2, dns, db-0, log-agent, scratch, bare, static-proxy
      return running.length === 8 && running.every(isPodReady) && job[0]?.status?.phase === 'Succeeded'
        ? current
        : undefined;
    });
    const names = pods.map((pod) => pod.metadata?.name ?? '');
    expect(names).toContain('db-0');
    expect(names).toContain('bare');
    expect(names.some((name) => name.startsWith('static-proxy-'))).toBe(true);
    expect(names.some((name) => name.startsWith('log-agent-'))).toBe(true);
  });
});

describe('PodDisruptionBudgets on the real API server', () => {
  const apis = adminApis();
  let pool: SpotPool;

  beforeAll(async () => {
    pool = await createSpotPool(apis, { cloud: 'aws', nodes: 1, id: uniqueName('pdb') });
  });
  afterAll(() => deleteSpotPool(apis, pool));

  it('answers 429 to an eviction that would break the budget, and accepts one that would not', async () => {
    const { createDeployment } = await import('../../src/local-cluster/node-pool.ts');
    await createDeployment(apis, pool, { name: 'api', replicas: 2, minAvailable: 2 });
    await createDeployment(apis, pool, { name: 'worker', replicas: 2, maxUnavailable: 1 });
    await eventually('PDBs observed with all pods healthy', async () => {
      const budgets = (await apis.policy.listNamespacedPodDisruptionBudget({ namespace: pool.namespace }))
        .items;
      return budgets.length === 2 &&
        budgets.every((b) => b.status?.currentHealthy === 2 && b.status.observedGeneration)
        ? budgets
        : undefined;
    });
    const pods = (await apis.core.listNamespacedPod({ namespace: pool.namespace })).items;
    const evict = (app: string) => {
      const pod = pods.find((p) => p.metadata?.labels?.app === app)!;
      return drainerClient().core.createNamespacedPodEviction({
        name: pod.metadata!.name!,
        namespace: pool.namespace,
        body: { metadata: { name: pod.metadata!.name!, namespace: pool.namespace } },
      });
    };
    await expect(evict('api')).rejects.toMatchObject({ code: 429 });
    await expect(evict('worker')).resolves.toBeDefined();
  });
});

describe('the restricted drainer identity (infra/kubernetes/rbac.yaml)', () => {
  const info = clusterInfo();
  const config = new KubeConfig();
  config.loadFromFile(info.drainerKubeconfig);
  const authz = config.makeApiClient(AuthorizationV1Api);
  // The API group matters: without it, `deployments` is looked up in the core group, where it does not
  // exist, and reads "not allowed" even for an identity that may create apps/v1 Deployments.
  const can = async (
    verb: string,
    resource: string,
    subresource?: string,
    namespace?: string,
    group = '',
  ) => {
    const review = await authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb, group, resource, subresource, namespace } } },
    });
    return review.status?.allowed === true;
  };

  it('may do what a drain needs', async () => {
    expect(await can('get', 'nodes')).toBe(true);
    expect(await can('list', 'nodes')).toBe(true);
    expect(await can('patch', 'nodes')).toBe(true);
    expect(await can('list', 'pods')).toBe(true);
    expect(await can('create', 'pods', 'eviction', 'default')).toBe(true);
    expect(await can('delete', 'pods', undefined, 'default')).toBe(true);
    expect(await can('create', 'events', undefined, 'default')).toBe(true);
  });

  it('is refused everything else', async () => {
    expect(await can('list', 'secrets', undefined, 'kube-system')).toBe(false);
    expect(await can('get', 'secrets', undefined, 'default')).toBe(false);
    expect(await can('delete', 'nodes')).toBe(false);
    expect(await can('update', 'nodes')).toBe(false);
    expect(await can('create', 'pods', undefined, 'default')).toBe(false);
    expect(await can('patch', 'pods', undefined, 'default')).toBe(false);
    expect(await can('create', 'deployments', undefined, 'default', 'apps')).toBe(false);
    expect(await can('escalate', 'clusterroles', undefined, undefined, 'rbac.authorization.k8s.io')).toBe(
      false,
    );
    expect(await can('bind', 'clusterroles', undefined, undefined, 'rbac.authorization.k8s.io')).toBe(false);
    await expect(
      kubectl({ ...info, adminKubeconfig: info.drainerKubeconfig }, ['get', 'secrets', '-A']),
    ).rejects.toThrow(/forbidden/i);
  });
});

/** Workloads for the benchmarks, on top of the spot-pool fixture (src/local-cluster/node-pool.ts). */
import {
  PatchStrategy,
  setHeaderOptions,
  type V1Container,
  type V1PodSpec,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import {
  isPodReady,
  type PoolApis,
  type PoolNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { until } from './timing.ts';

/** Every benchmark pod carries this label; its value says which set of workloads it belongs to. */
export const SET_LABEL = 'bench.spot-drainer.io/set';

const containers: V1Container[] = [
  {
    name: 'app',
    image: 'registry.k8s.io/pause:3.10',
    resources: { requests: { cpu: '10m', memory: '16Mi' } },
  },
];

export interface PodShape {
  graceSeconds: number;
  priorityClassName?: string;
  emptyDir?: boolean;
  /** Spread evenly over the pool's nodes, at most one pod of difference (DoNotSchedule). */
  spread?: boolean;
}

function template(pool: SpotPool, set: string, app: string, shape: PodShape): V1PodTemplateSpec {
  const labels = { app, [SET_LABEL]: set };
  const spec: V1PodSpec = {
    ...pool.podTemplate,
    terminationGracePeriodSeconds: shape.graceSeconds,
    priorityClassName: shape.priorityClassName,
    containers,
    ...(shape.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
    ...(shape.spread
      ? {
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app } },
            },
          ],
        }
      : {}),
  };
  return { metadata: { labels }, spec };
}

export interface Budget {
  maxUnavailable?: number | string;
  minAvailable?: number | string;
}

async function createPdb(apis: PoolApis, pool: SpotPool, app: string, budget: Budget): Promise<void> {
  await apis.policy.createNamespacedPodDisruptionBudget({
    namespace: pool.namespace,
    body: {
      metadata: { name: app },
      spec: { selector: { matchLabels: { app } }, ...budget },
    },
  });
}

export async function deployment(
  apis: PoolApis,
  pool: SpotPool,
  set: string,
  spec: { name: string; replicas: number; pdb?: Budget } & PodShape,
): Promise<void> {
  await apis.apps.createNamespacedDeployment({
    namespace: pool.namespace,
    body: {
      metadata: { name: spec.name },
      spec: {
        replicas: spec.replicas,
        selector: { matchLabels: { app: spec.name } },
        template: template(pool, set, spec.name, spec),
      },
    },
  });
  if (spec.pdb) await createPdb(apis, pool, spec.name, spec.pdb);
}

export async function statefulSet(
  apis: PoolApis,
  pool: SpotPool,
  set: string,
  spec: { name: string; replicas: number; pdb?: Budget } & PodShape,
): Promise<void> {
  await apis.apps.createNamespacedStatefulSet({
    namespace: pool.namespace,
    body: {
      metadata: { name: spec.name },
      spec: {
        serviceName: spec.name,
        replicas: spec.replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: spec.name } },
        template: template(pool, set, spec.name, spec),
      },
    },
  });
  if (spec.pdb) await createPdb(apis, pool, spec.name, spec.pdb);
}

/** A DaemonSet on every node of the pool (it tolerates everything, as node agents do). */
export async function daemonSet(apis: PoolApis, pool: SpotPool, name: string): Promise<void> {
  const base = template(pool, 'daemonset', name, { graceSeconds: 2 });
  await apis.apps.createNamespacedDaemonSet({
    namespace: pool.namespace,
    body: {
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { ...base, spec: { ...base.spec!, tolerations: [{ operator: 'Exists' }] } },
      },
    },
  });
}

/** Pods no controller owns. */
export async function barePods(
  apis: PoolApis,
  pool: SpotPool,
  set: string,
  name: string,
  count: number,
  shape: PodShape,
): Promise<void> {
  for (let index = 0; index < count; index++) {
    const { metadata, spec } = template(pool, set, name, shape);
    await apis.core.createNamespacedPod({
      namespace: pool.namespace,
      body: { metadata: { ...metadata, name: `${name}-${index}` }, spec: spec! },
    });
  }
}

export async function setSchedulable(apis: PoolApis, nodes: PoolNode[], schedulable: boolean): Promise<void> {
  await Promise.all(
    nodes.map((node) =>
      apis.core.patchNode(
        { name: node.name, body: { spec: { unschedulable: schedulable ? null : true } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    ),
  );
}

export async function setPods(apis: PoolApis, pool: SpotPool, set: string) {
  return (
    await apis.core.listNamespacedPod({ namespace: pool.namespace, labelSelector: `${SET_LABEL}=${set}` })
  ).items;
}

/** Waits until `count` pods of the set are Running and Ready. */
export async function waitSetReady(
  apis: PoolApis,
  pool: SpotPool,
  set: string,
  count: number,
  timeoutMs = 180_000,
): Promise<void> {
  await until(
    `${count} ready pods of ${set}`,
    async () => (await setPods(apis, pool, set)).filter(isPodReady).length >= count,
    { timeoutMs, intervalMs: 300 },
  );
}

/**
 * Creates a set of workloads while only `target` takes new pods, waits until they are Ready there, then
 * opens the rest of the pool again (as the fixture's placeOnNode does, with a longer wait and a count by set).
 */
export async function placeSet(
  apis: PoolApis,
  pool: SpotPool,
  target: PoolNode,
  set: string,
  count: number,
  create: () => Promise<void>,
): Promise<void> {
  const others = pool.nodes.filter((node) => node.name !== target.name);
  await setSchedulable(apis, others, false);
  try {
    await create();
    await waitSetReady(apis, pool, set, count);
  } finally {
    await setSchedulable(apis, others, true);
  }
  const misplaced = (await setPods(apis, pool, set)).filter((pod) => pod.spec?.nodeName !== target.name);
  if (misplaced.length > 0) throw new Error(`${misplaced.length} pods of ${set} are not on ${target.name}`);
}

/** Waits until every PodDisruptionBudget of the pool has seen all its pods healthy. */
export async function waitBudgetsSettled(apis: PoolApis, pool: SpotPool): Promise<void> {
  await until(
    'PodDisruptionBudgets to settle',
    async () =>
      (await apis.policy.listNamespacedPodDisruptionBudget({ namespace: pool.namespace })).items.every(
        (pdb) =>
          pdb.status?.observedGeneration === pdb.metadata?.generation &&
          (pdb.status?.expectedPods ?? 0) > 0 &&
          pdb.status?.currentHealthy === pdb.status?.expectedPods &&
          (pdb.status?.disruptionsAllowed ?? 0) > 0,
      ),
    { timeoutMs: 60_000, intervalMs: 300 },
  );
}

/**
 * Deletes the pool's namespace, waits until it is gone (kwok ends its pods), then its nodes: deleting the
 * nodes first would leave their pods to the pod garbage collector. The next measurement starts quiet.
 */
export async function removePool(apis: PoolApis, pool: SpotPool): Promise<void> {
  await apis.core.deleteNamespace({ name: pool.namespace }).catch(() => undefined);
  await until(
    `namespace ${pool.namespace} to be deleted`,
    async () => {
      try {
        await apis.core.readNamespace({ name: pool.namespace });
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  ).catch(() => undefined);
  await Promise.allSettled(pool.nodes.map((node) => apis.core.deleteNode({ name: node.name })));
}

/** Cluster-admin API clients for a local control plane: what the demo and the tests set pools up with. */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import type { ClusterInfo } from './control-plane.ts';
import type { PoolApis } from './node-pool.ts';

/** Clients from the control plane's admin kubeconfig (`info.adminKubeconfig`); throws if it cannot be read. */
export function adminApisFor(info: ClusterInfo): PoolApis {
  const config = new KubeConfig();
  config.loadFromFile(info.adminKubeconfig);
  return {
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    policy: config.makeApiClient(PolicyV1Api),
    batch: config.makeApiClient(BatchV1Api),
  };
}

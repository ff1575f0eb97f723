import type { TestProject } from 'vitest/node';
import {
  type ClusterInfo,
  loadClusterInfo,
  startControlPlane,
  stopControlPlane,
} from '../../src/local-cluster/control-plane.ts';
import { tearDownOnExit } from '../../src/local-cluster/teardown.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

/**
 * One control plane per test run, torn down when the run ends, and on every other way out: a failure
 * while starting, an exception, Ctrl-C (exit 130) or SIGTERM (143), through src/local-cluster/teardown.ts.
 * SPOT_DRAINER_CLUSTER_DIR reuses one started with `npm run cluster -- up` (and leaves it running);
 * SPOT_DRAINER_KEEP_CLUSTER=1 keeps the state directory (logs) after the run.
 */
export default async function setup(project: TestProject) {
  const reuse = process.env.SPOT_DRAINER_CLUSTER_DIR;
  if (reuse) {
    project.provide('cluster', loadClusterInfo(reuse));
    return;
  }
  const keepDir = process.env.SPOT_DRAINER_KEEP_CLUSTER === '1';
  const removeHandlers = tearDownOnExit({ keepDir });
  const started = Date.now();
  const info = await startControlPlane();
  process.stderr.write(
    `local control plane (Kubernetes ${info.kubernetesVersion}) ready in ${Date.now() - started} ms in ${info.dir}\n`,
  );
  project.provide('cluster', info);
  return async () => {
    await stopControlPlane(info, { keepDir });
    removeHandlers();
  };
}

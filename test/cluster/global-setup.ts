import type { TestProject } from 'vitest/node';
import { type ClusterInfo, loadClusterInfo, startControlPlane, stopControlPlane } from './control-plane.ts';
import { killNow } from './processes.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

/**
 * One control plane per test run, torn down when the run ends, also on failure or interrupt.
 * SPOT_DRAINER_CLUSTER_DIR reuses one started with `npm run cluster -- up` (and leaves it running).
 */
export default async function setup(project: TestProject) {
  const reuse = process.env.SPOT_DRAINER_CLUSTER_DIR;
  if (reuse) {
    project.provide('cluster', loadClusterInfo(reuse));
    return;
  }
  const started = Date.now();
  const info = await startControlPlane();
  process.stderr.write(
    `local control plane (Kubernetes ${info.kubernetesVersion}) ready in ${Date.now() - started} ms\n`,
  );
  const killAll = () => {
    for (const state of Object.values(info.components)) if (state) killNow(state.pid);
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  project.provide('cluster', info);
  return async () => {
    process.off('exit', killAll);
    await stopControlPlane(info, { keepDir: process.env.SPOT_DRAINER_KEEP_CLUSTER === '1' });
  };
}

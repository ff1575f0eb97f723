/**
 * `npm run cluster -- up | down | status | env`: the local control plane for the demo, tests and
 * benchmarks. `up` leaves it running in the background and remembers where; `env` prints the shell
 * variables that point at it (tests reuse a running cluster when SPOT_DRAINER_CLUSTER_DIR is set).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from './binaries.ts';
import {
  type ClusterInfo,
  componentsAlive,
  loadClusterInfo,
  startControlPlane,
  stopControlPlane,
} from './control-plane.ts';

const pointer = join(cacheRoot(), 'cluster', 'current');

function current(): ClusterInfo | undefined {
  const dir =
    process.env.SPOT_DRAINER_CLUSTER_DIR ?? (existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : '');
  return dir && existsSync(join(dir, 'cluster.json')) ? loadClusterInfo(dir) : undefined;
}

export function clusterEnv(info: ClusterInfo): Record<string, string> {
  return {
    SPOT_DRAINER_CLUSTER_DIR: info.dir,
    KUBECONFIG: info.adminKubeconfig,
    SPOT_DRAINER_DRAINER_KUBECONFIG: info.drainerKubeconfig,
  };
}

function printEnv(info: ClusterInfo): void {
  for (const [key, value] of Object.entries(clusterEnv(info))) console.log(`export ${key}=${value}`);
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const running = current();
      if (running && Object.values(componentsAlive(running)).every(Boolean)) {
        console.error(`already running in ${running.dir}`);
        printEnv(running);
        return 0;
      }
      const started = Date.now();
      const info = await startControlPlane();
      mkdirSync(join(cacheRoot(), 'cluster'), { recursive: true });
      writeFileSync(pointer, info.dir);
      console.error(
        `Kubernetes ${info.kubernetesVersion} ready at ${info.server} in ${Date.now() - started} ms`,
      );
      printEnv(info);
      return 0;
    }
    case 'down': {
      const info = current();
      if (!info) {
        console.error('no local cluster is running');
        return 0;
      }
      await stopControlPlane(info);
      rmSync(pointer, { force: true });
      console.error(`stopped and removed ${info.dir}`);
      return 0;
    }
    case 'status': {
      const info = current();
      if (!info) {
        console.log('no local cluster');
        return 1;
      }
      const alive = componentsAlive(info);
      console.log(`${info.server} (Kubernetes ${info.kubernetesVersion}) in ${info.dir}`);
      for (const [name, up] of Object.entries(alive)) console.log(`  ${up ? 'running' : 'stopped'}  ${name}`);
      return Object.values(alive).every(Boolean) ? 0 : 1;
    }
    case 'env': {
      const info = current();
      if (!info) {
        console.error('no local cluster is running: npm run cluster -- up');
        return 1;
      }
      printEnv(info);
      return 0;
    }
    default:
      console.error('usage: npm run cluster -- up | down | status | env');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);

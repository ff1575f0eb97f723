/**
 * A control plane of the benchmark's own (never the dev one), admin APIs and the drainer's client.
 * Components are stopped if the benchmark process exits early (Ctrl-C, SIGTERM, a crash).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { createKubeClient, type KubeClient } from '../../src/kube/client.ts';
import {
  type ClusterInfo,
  startControlPlane,
  stopControlPlane,
} from '../../src/local-cluster/control-plane.ts';
import type { PoolApis } from '../../src/local-cluster/node-pool.ts';
import { killNow, startProcess, stopProcess } from '../../src/local-cluster/processes.ts';
import { tearDownOnExit } from '../../src/local-cluster/teardown.ts';
import { progress } from './timing.ts';

const extraPids = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The control planes this process started (src/local-cluster/teardown.ts), and the extra kwoks.
  tearDownOnExit();
  process.on('exit', () => {
    for (const pid of extraPids) killNow(pid);
  });
}

export interface BenchCluster {
  info: ClusterInfo;
  apis: PoolApis;
  kubeConfig: KubeConfig;
  /** kubectl's discovery cache, warmed once so kubectl runs like a user's (not a first-ever) invocation. */
  kubectlCacheDir: string;
}

export function adminKubeConfig(info: ClusterInfo): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(info.adminKubeconfig);
  return config;
}

export function adminApis(config: KubeConfig): PoolApis {
  return {
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    policy: config.makeApiClient(PolicyV1Api),
    batch: config.makeApiClient(BatchV1Api),
  };
}

/** The restricted drainer identity (infra/kubernetes/rbac.yaml) through the production client. */
export function drainerClient(
  info: ClusterInfo,
  onRequest?: (method: string, url: string) => void,
): KubeClient {
  return createKubeClient(
    { server: info.server, caPem: readFileSync(info.caFile, 'utf8'), token: async () => info.drainerToken },
    { onRequest },
  );
}

export function kubectl(cluster: BenchCluster, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cluster.info.kubectl,
      ['--kubeconfig', cluster.info.adminKubeconfig, '--cache-dir', cluster.kubectlCacheDir, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** Starts a fresh control plane, runs `body`, and stops it (keeping its logs dir if `body` failed). */
export async function withControlPlane<T>(body: (cluster: BenchCluster) => Promise<T>): Promise<T> {
  installExitHook();
  progress('starting a control plane');
  const info = await startControlPlane();
  const kubeConfig = adminKubeConfig(info);
  const cluster: BenchCluster = {
    info,
    kubeConfig,
    apis: adminApis(kubeConfig),
    kubectlCacheDir: mkdtempSync(join(tmpdir(), 'spot-drainer-bench-kubectl-')),
  };
  let failed = true;
  try {
    await kubectl(cluster, ['api-resources', '-o', 'name']);
    const result = await body(cluster);
    failed = false;
    return result;
  } finally {
    if (failed) progress(`control plane state kept in ${info.dir}`);
    await stopControlPlane(info, { keepDir: failed });
  }
}

/**
 * A second kwok that simulates only the nodes annotated `kwok.x-k8s.io/node=<value>` (the cluster's own
 * kwok takes `=fake`). Stopping it is those machines disappearing: their leases are no longer renewed and
 * nothing acts as their kubelet. (Removing the annotation from a node kwok already manages does not do
 * that: kwok v0.7 keeps renewing its lease.)
 */
export function startKwok(cluster: BenchCluster, value: string): { stop(): Promise<void> } {
  const kwok = cluster.info.components.kwok;
  if (!kwok) throw new Error('the control plane runs no kwok');
  const args = kwok.args.map((arg) =>
    arg.startsWith('--manage-nodes-with-annotation-selector=')
      ? `--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=${value}`
      : arg.startsWith('--cidr=')
        ? '--cidr=10.250.0.1/16'
        : arg,
  );
  const logFile = join(cluster.info.dir, 'logs', `kwok-${value}.log`);
  const pid = startProcess({ name: `kwok-${value}`, command: kwok.command, args, logFile });
  extraPids.add(pid);
  return {
    async stop() {
      await stopProcess(pid, 0);
      extraPids.delete(pid);
    },
  };
}

/**
 * The local control plane's binaries: kube-apiserver, kube-controller-manager, kube-scheduler and kubectl
 * built from the Kubernetes module pinned in src/local-cluster/k8s/go.mod, kwok from
 * src/local-cluster/kwok/go.mod and etcd from src/local-cluster/etcd/go.mod (all through the Go module proxy,
 * cached under ~/.cache/spot-drainer keyed by version and go.sum). `node src/local-cluster/build-binaries.ts`
 * builds them and prints their paths (scripts/setup.sh).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectPath } from './project-root.ts';

/** Absolute paths of the binaries the local control plane runs, and the pinned Kubernetes version. */
export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  kubernetesVersion: string;
}

const k8sModule = projectPath('src/local-cluster/k8s');
const kwokModule = projectPath('src/local-cluster/kwok');
const etcdModule = projectPath('src/local-cluster/etcd');

const kubernetesCommands = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
] as const;

/** Where builds and the `cluster up` pointer are kept: $SPOT_DRAINER_CACHE, else ~/.cache/spot-drainer. */
export function cacheRoot(): string {
  return process.env.SPOT_DRAINER_CACHE ?? join(homedir(), '.cache', 'spot-drainer');
}

/**
 * The pinned version of a module (e.g. `v1.33.13`), read from the wrapper go.mod in `moduleDir`: the one
 * place versions are recorded. Throws when go.mod does not require `modulePath`.
 */
export function pinnedVersion(moduleDir: string, modulePath: string): string {
  const goMod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
  const escaped = modulePath.replaceAll('.', '\\.');
  const match = goMod.match(new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm'));
  if (!match?.[1]) throw new Error(`${moduleDir}/go.mod does not require ${modulePath}`);
  return match[1];
}

/** The pinned Kubernetes version, e.g. `v1.33.13`. */
export function kubernetesVersion(): string {
  return pinnedVersion(k8sModule, 'k8s.io/kubernetes');
}

function moduleCacheDir(name: string, moduleDir: string, version: string): string {
  const sum = createHash('sha256')
    .update(readFileSync(join(moduleDir, 'go.sum')))
    .digest('hex')
    .slice(0, 10);
  return join(cacheRoot(), name, `${version}-${sum}`);
}

function requireGo(): void {
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'Go is needed to build the local Kubernetes control plane (etcd, kube-apiserver, controllers, kwok) ' +
        'from the Go module proxy, and `go` was not found on PATH. Install Go >= 1.24, or point ' +
        'SPOT_DRAINER_K8S_BIN_DIR at a directory holding prebuilt kube-apiserver, kube-controller-manager, ' +
        'kube-scheduler, kubectl and kwok and SPOT_DRAINER_ETCD at an etcd 3.5.13 or newer.',
    );
  }
}

function goBuild(moduleDir: string, outDir: string, packages: string[], ldflags: string): void {
  requireGo();
  const staging = `${outDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  process.stderr.write(`spot-drainer: building ${packages.join(', ')} (cached in ${outDir})\n`);
  const result = spawnSync(
    'go',
    ['build', '-trimpath', '-ldflags', ldflags, '-o', `${staging}/`, ...packages],
    {
      cwd: moduleDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    },
  );
  if (result.status !== 0) throw new Error(`go build failed in ${moduleDir} (exit ${result.status})`);
  mkdirSync(dirname(outDir), { recursive: true });
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
}

function ensureKubernetesBinaries(): string {
  const version = kubernetesVersion();
  const outDir = moduleCacheDir('k8s', k8sModule, version);
  if (kubernetesCommands.every((command) => existsSync(join(outDir, command)))) return outDir;
  const [major, minor] = version.replace(/^v/, '').split('.');
  const ldflags = [
    '-s -w',
    `-X k8s.io/component-base/version.gitVersion=${version}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
  ].join(' ');
  goBuild(
    k8sModule,
    outDir,
    kubernetesCommands.map((command) => `k8s.io/kubernetes/cmd/${command}`),
    ldflags,
  );
  return outDir;
}

function ensureKwokBinary(): string {
  const version = pinnedVersion(kwokModule, 'sigs.k8s.io/kwok');
  const outDir = moduleCacheDir('kwok', kwokModule, version);
  if (!existsSync(join(outDir, 'kwok'))) goBuild(kwokModule, outDir, ['sigs.k8s.io/kwok/cmd/kwok'], '-s -w');
  return outDir;
}

/**
 * etcd 3.5 built from the Go module proxy. Not the distribution's package (Debian's is 3.4): kube-apiserver
 * answers a consistent list from its watch cache only with etcd >= 3.5.13, as managed clusters run it, and
 * the pod lists a drain makes must cost here what they cost there.
 */
function ensureEtcdBinary(): string {
  const version = pinnedVersion(etcdModule, 'go.etcd.io/etcd/server/v3');
  const outDir = moduleCacheDir('etcd', etcdModule, version);
  if (!existsSync(join(outDir, 'etcd'))) goBuild(etcdModule, outDir, ['.'], '-s -w');
  return join(outDir, 'etcd');
}

/**
 * Finds the control-plane binaries, building and caching them on first use (synchronously: about five
 * minutes on two cores the first time). $SPOT_DRAINER_K8S_BIN_DIR points at prebuilt Kubernetes and kwok
 * binaries instead, $SPOT_DRAINER_ETCD at an etcd (3.5.13 or newer). Throws when Go is missing, a build
 * fails or a binary is absent.
 */
export function ensureBinaries(): ControlPlaneBinaries {
  const prebuilt = process.env.SPOT_DRAINER_K8S_BIN_DIR;
  const k8sDir = prebuilt ?? ensureKubernetesBinaries();
  const kwokDir = prebuilt ?? ensureKwokBinary();
  const binaries: ControlPlaneBinaries = {
    etcd: process.env.SPOT_DRAINER_ETCD ?? ensureEtcdBinary(),
    kubeApiserver: join(k8sDir, 'kube-apiserver'),
    kubeControllerManager: join(k8sDir, 'kube-controller-manager'),
    kubeScheduler: join(k8sDir, 'kube-scheduler'),
    kubectl: join(k8sDir, 'kubectl'),
    kwok: join(kwokDir, 'kwok'),
    kubernetesVersion: kubernetesVersion(),
  };
  for (const [name, path] of Object.entries(binaries)) {
    if (name !== 'kubernetesVersion' && !existsSync(path))
      throw new Error(`missing ${name} binary at ${path}`);
  }
  return binaries;
}

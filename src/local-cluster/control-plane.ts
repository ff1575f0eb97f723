/**
 * The local Kubernetes control plane the demo, the integration tests and the benchmarks run against:
 * etcd, a webhook token authenticator, kube-apiserver, kube-controller-manager, kube-scheduler and kwok
 * (simulated kubelets), each a detached process group on loopback, with state (certificates, tokens,
 * kubeconfigs, logs, cluster.json) in one directory and etcd's data on tmpfs.
 *
 * Every control plane this process starts is owned by it until stopControlPlane() or
 * releaseControlPlane(); teardown.ts stops the owned ones on SIGINT, SIGTERM and exit.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aksUserBinding, readLocalIdentities, writeLocalIdentities } from './authn/local-identities.ts';
import { type ControlPlaneBinaries, ensureBinaries } from './binaries.ts';
import { createCertificates } from './certs.ts';
import { freePorts, isAlive, killNow, logTail, startProcess, stopProcess, waitFor } from './processes.ts';
import { projectPath } from './project-root.ts';

/** infra/kubernetes/rbac.yaml, applied at start: the drainer's ClusterRole and its group binding. */
export const rbacManifest = projectPath('infra/kubernetes/rbac.yaml');
const webhookScript = projectPath('src/local-cluster/authn-webhook.ts');
const kwokStages = projectPath('src/local-cluster/kwok/stages.yaml');

/** The identity the drainer runs as in tests: bound only by infra/kubernetes/rbac.yaml (group spot-drainer). */
export const DRAINER_USER = 'spot-drainer-test';
/** The Kubernetes group infra/kubernetes/rbac.yaml binds the drainer's ClusterRole to. */
export const DRAINER_GROUP = 'spot-drainer';

/** The processes of a local control plane. */
export type ComponentName =
  | 'etcd'
  | 'authn-webhook'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kwok';

/** A running component: the pid of its process (and process group), how it was started, its log. */
export interface ComponentState {
  pid: number;
  command: string;
  args: string[];
  logFile: string;
}

/** Everything a test, the demo or a benchmark needs to reach the local cluster; saved as cluster.json. */
export interface ClusterInfo {
  dir: string;
  server: string;
  caFile: string;
  /** Base64 PEM of the CA, as EKS DescribeCluster and AKS kubeconfigs carry it. */
  caData: string;
  adminToken: string;
  drainerToken: string;
  adminKubeconfig: string;
  drainerKubeconfig: string;
  /** Test identities the token webhook accepts (EKS IAM and AKS Entra style); see authn-webhook.ts. */
  authnFile: string;
  kubectl: string;
  kubernetesVersion: string;
  ports: Record<'etcd' | 'etcdPeer' | 'apiserver' | 'webhook', number>;
  components: Partial<Record<ComponentName, ComponentState>>;
  /** etcd's data directory (on /dev/shm when there is one); removed when the control plane stops. */
  etcdDataDir?: string;
  startedAt: string;
}

/** Options of {@link startControlPlane}. */
export interface StartOptions {
  /** Where to keep certs, logs and state; a new temp dir by default. */
  dir?: string;
}

function kubeconfig(server: string, caFile: string, user: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: user, context: { cluster: 'local', user } }],
      'current-context': user,
    },
    null,
    2,
  );
}

function randomToken(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function etcdDataDir(dir: string): string {
  // etcd fsyncs every write; on tmpfs the control plane keeps up with benchmark load on two cores.
  const shm = '/dev/shm';
  return existsSync(shm) ? mkdtempSync(join(shm, 'spot-drainer-etcd-')) : join(dir, 'etcd');
}

/** Control planes started by this process and not yet stopped or released, for teardown on exit. */
const owned = new Set<ClusterInfo>();
/** The stop in progress (or done) of each control plane, so stopping twice waits for the first. */
const stops = new WeakMap<ClusterInfo, Promise<void>>();

/** The control planes this process started and still owns (neither stopped nor released). */
export function ownedControlPlanes(): ClusterInfo[] {
  return [...owned];
}

/**
 * Hands a running control plane over to whoever finds it through its directory (`cluster up` in the
 * background): this process no longer stops it on exit.
 */
export function releaseControlPlane(info: ClusterInfo): void {
  owned.delete(info);
}

/**
 * GET a path on the API server with a bearer token, verifying TLS against the cluster CA. Resolves with
 * the status and body (any status); rejects on connection errors and after a 5 s timeout.
 */
export function apiGet(info: Pick<ClusterInfo, 'server' | 'caFile'>, path: string, token: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      new URL(path, info.server),
      { ca: readFileSync(info.caFile), headers: { authorization: `Bearer ${token}` }, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function apiserverArgs(
  info: ClusterInfo,
  certs: ReturnType<typeof createCertificates>,
  webhookConfig: string,
) {
  return [
    `--etcd-servers=http://127.0.0.1:${info.ports.etcd}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${info.ports.apiserver}`,
    `--tls-cert-file=${certs.servingCert}`,
    `--tls-private-key-file=${certs.servingKey}`,
    `--client-ca-file=${certs.caCert}`,
    `--token-auth-file=${join(info.dir, 'tokens.csv')}`,
    `--authentication-token-webhook-config-file=${webhookConfig}`,
    '--authentication-token-webhook-version=v1',
    '--authentication-token-webhook-cache-ttl=2s',
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${certs.serviceAccountPub}`,
    `--service-account-signing-key-file=${certs.serviceAccountKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    // Pods are created in fresh namespaces straight away; nothing here mounts service-account tokens.
    '--disable-admission-plugins=ServiceAccount',
    '--profiling=false',
    '--event-ttl=1h',
  ];
}

function saveInfo(info: ClusterInfo): void {
  writeFileSync(join(info.dir, 'cluster.json'), JSON.stringify(info, null, 2));
}

/** Reads `<dir>/cluster.json`, as written by startControlPlane. Throws when it is missing or not JSON. */
export function loadClusterInfo(dir: string): ClusterInfo {
  return JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterInfo;
}

function launch(info: ClusterInfo, name: ComponentName, command: string, args: string[]): ComponentState {
  // A stop that began while start-up was awaiting must not be outlived by a process started after it.
  if (stops.has(info))
    throw new Error(`the control plane in ${info.dir} is being stopped; not starting ${name}`);
  const logFile = join(info.dir, 'logs', `${name}.log`);
  const pid = startProcess({ name, command, args, logFile });
  const state = { pid, command, args, logFile };
  info.components[name] = state;
  saveInfo(info);
  return state;
}

function describe(state: ComponentState | undefined): string {
  return state ? `--- ${state.logFile}\n${logTail(state.logFile)}` : '';
}

async function waitForApiserver(info: ClusterInfo, timeoutMs = 60_000): Promise<void> {
  const state = info.components['kube-apiserver'];
  await waitFor(
    'kube-apiserver',
    async () => (await apiGet(info, '/readyz', info.adminToken)).status === 200,
    {
      timeoutMs,
      intervalMs: 200,
      alive: () => !!state && isAlive(state.pid),
      describe: () => describe(state),
    },
  );
}

/**
 * Runs the pinned kubectl as cluster admin with `args`, `input` on stdin; resolves with its stdout, rejects
 * with its stderr when it exits non-zero.
 */
export function kubectl(info: ClusterInfo, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      info.kubectl,
      ['--kubeconfig', info.adminKubeconfig, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

type Certificates = ReturnType<typeof createCertificates>;

/** The record of a control plane about to start in `dir`: endpoints, fresh tokens, file locations. */
function newClusterInfo(
  dir: string,
  binaries: ControlPlaneBinaries,
  ports: ClusterInfo['ports'],
  certs: Certificates,
): ClusterInfo {
  return {
    dir,
    server: `https://127.0.0.1:${ports.apiserver}`,
    caFile: certs.caCert,
    caData: readFileSync(certs.caCert).toString('base64'),
    adminToken: randomToken(),
    drainerToken: randomToken(),
    adminKubeconfig: join(dir, 'admin.kubeconfig'),
    drainerKubeconfig: join(dir, 'drainer.kubeconfig'),
    authnFile: join(dir, 'authn.json'),
    kubectl: binaries.kubectl,
    kubernetesVersion: binaries.kubernetesVersion,
    ports,
    components: {},
    startedAt: new Date().toISOString(),
  };
}

/**
 * Writes the static token file, the admin and drainer kubeconfigs, the token webhook's kubeconfig and the
 * local cloud identities, then saves `info`; resolves with the webhook kubeconfig's path.
 */
async function writeClusterFiles(info: ClusterInfo): Promise<string> {
  const { dir, server } = info;
  writeFileSync(
    join(dir, 'tokens.csv'),
    `${info.adminToken},admin,admin-uid,"system:masters"\n${info.drainerToken},${DRAINER_USER},${DRAINER_USER}-uid,"${DRAINER_GROUP}"\n`,
    { mode: 0o600 },
  );
  writeFileSync(info.adminKubeconfig, kubeconfig(server, info.caFile, 'admin', info.adminToken), {
    mode: 0o600,
  });
  writeFileSync(info.drainerKubeconfig, kubeconfig(server, info.caFile, DRAINER_USER, info.drainerToken), {
    mode: 0o600,
  });
  const webhookConfig = join(dir, 'authn-webhook.kubeconfig');
  writeFileSync(
    webhookConfig,
    kubeconfig(
      `https://127.0.0.1:${info.ports.webhook}/authenticate`,
      info.caFile,
      'kube-apiserver',
      'unused',
    ),
  );
  await writeLocalIdentities(info.authnFile);
  saveInfo(info);
  return webhookConfig;
}

/** Starts etcd (data on tmpfs when available) and the token webhook; resolves once both answer. */
async function startEtcdAndWebhook(info: ClusterInfo, binaries: ControlPlaneBinaries): Promise<void> {
  const { etcd, etcdPeer, webhook } = info.ports;
  info.etcdDataDir = etcdDataDir(info.dir);
  saveInfo(info);
  const etcdState = launch(info, 'etcd', binaries.etcd, [
    '--name=spot-drainer',
    `--data-dir=${info.etcdDataDir}`,
    `--listen-client-urls=http://127.0.0.1:${etcd}`,
    `--advertise-client-urls=http://127.0.0.1:${etcd}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=spot-drainer=http://127.0.0.1:${etcdPeer}`,
    '--logger=zap',
    '--log-level=warn',
  ]);
  const webhookState = launch(info, 'authn-webhook', process.execPath, [
    webhookScript,
    info.dir,
    String(webhook),
  ]);
  await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${etcd}/health`)).ok, {
    timeoutMs: 20_000,
    alive: () => isAlive(etcdState.pid),
    describe: () => describe(etcdState),
  });
  await waitFor(
    'token webhook',
    async () =>
      (await apiGet({ server: `https://127.0.0.1:${webhook}`, caFile: info.caFile }, '/healthz', ''))
        .status === 200,
    { timeoutMs: 20_000, alive: () => isAlive(webhookState.pid), describe: () => describe(webhookState) },
  );
}

/** Launches kube-controller-manager (only the controllers a drain exercises), kube-scheduler and kwok. */
function launchControllers(info: ClusterInfo, binaries: ControlPlaneBinaries): void {
  launch(info, 'kube-controller-manager', binaries.kubeControllerManager, [
    `--kubeconfig=${info.adminKubeconfig}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--use-service-account-credentials=false',
    '--controllers=' +
      [
        'disruption-controller',
        'replicaset-controller',
        'deployment-controller',
        'statefulset-controller',
        'daemonset-controller',
        'job-controller',
        'pod-garbage-collector-controller',
        'garbage-collector-controller',
        'namespace-controller',
        'serviceaccount-controller',
        'node-lifecycle-controller',
        'taint-eviction-controller',
      ].join(','),
    '--kube-api-qps=100',
    '--kube-api-burst=200',
  ]);
  launch(info, 'kube-scheduler', binaries.kubeScheduler, [
    `--kubeconfig=${info.adminKubeconfig}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--kube-api-qps=100',
    '--kube-api-burst=200',
  ]);
  launch(info, 'kwok', binaries.kwok, [
    `--kubeconfig=${info.adminKubeconfig}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    `--config=${kwokStages}`,
    '--node-lease-duration-seconds=40',
    '--cidr=10.244.0.1/16',
    '--node-ip=10.0.0.1',
  ]);
}

/**
 * Applies the project's RBAC manifest and the AKS user's binding, then checks that the controllers,
 * scheduler and kwok are still running (throws with the log tail of one that exited).
 */
async function applyRbacAndCheck(info: ClusterInfo): Promise<void> {
  await kubectl(info, ['apply', '-f', rbacManifest]);
  await kubectl(info, ['apply', '-f', '-'], aksUserBinding(readLocalIdentities(info.authnFile).aks.objectId));
  for (const name of ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const) {
    const state = info.components[name];
    if (!state || !isAlive(state.pid)) throw new Error(`${name} exited during start-up\n${describe(state)}`);
  }
}

/**
 * Starts etcd, the token webhook, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on free
 * loopback ports, then applies the project's RBAC manifest; resolves once all of it is ready (about 5 s;
 * the first call may build the binaries, see ensureBinaries). The control plane is owned by this process
 * from its first process on (see teardown.ts). If a step fails, stops whatever started, removes its state
 * (kept when SPOT_DRAINER_KEEP_CLUSTER=1) and rethrows, with the failing component's log tail.
 */
export async function startControlPlane(options: StartOptions = {}): Promise<ClusterInfo> {
  const binaries: ControlPlaneBinaries = ensureBinaries();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'spot-drainer-cluster-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const [etcd, etcdPeer, apiserver, webhook] = (await freePorts(4)) as [number, number, number, number];
  const certs = createCertificates(dir);
  const info = newClusterInfo(dir, binaries, { etcd, etcdPeer, apiserver, webhook }, certs);
  owned.add(info);
  const webhookConfig = await writeClusterFiles(info);

  try {
    await startEtcdAndWebhook(info, binaries);
    launch(info, 'kube-apiserver', binaries.kubeApiserver, apiserverArgs(info, certs, webhookConfig));
    await waitForApiserver(info);
    launchControllers(info, binaries);
    await applyRbacAndCheck(info);
    return info;
  } catch (error) {
    await stopControlPlane(info, { keepDir: process.env.SPOT_DRAINER_KEEP_CLUSTER === '1' });
    throw error;
  }
}

/** Options of {@link stopControlPlane}. */
export interface StopOptions {
  /** Keep the state directory (certificates, kubeconfigs, logs); etcd's tmpfs data goes regardless. */
  keepDir?: boolean;
  /** How long each component may take to exit after SIGTERM before its group gets SIGKILL; 5000 ms. */
  graceMs?: number;
}

const STOP_ORDER: ComponentName[] = [
  'kwok',
  'kube-scheduler',
  'kube-controller-manager',
  'kube-apiserver',
  'authn-webhook',
  'etcd',
];

/** etcd's data dir: recorded in cluster.json, or (older state) read from its flags. */
function etcdDataDirOf(info: ClusterInfo): string | undefined {
  const etcdArgs = info.components.etcd?.args ?? [];
  return (
    info.etcdDataDir ?? etcdArgs.find((arg) => arg.startsWith('--data-dir='))?.slice('--data-dir='.length)
  );
}

function removeState(info: ClusterInfo, keepDir: boolean | undefined): void {
  const dataDir = etcdDataDirOf(info);
  if (dataDir?.startsWith('/dev/shm/')) rmSync(dataDir, { recursive: true, force: true });
  if (!keepDir) rmSync(info.dir, { recursive: true, force: true });
}

/**
 * Stops every component, newest first (SIGTERM to its process group, SIGKILL after `graceMs`), removes
 * etcd's tmpfs data and the state dir unless asked to keep it. No component can start once this has
 * begun; calling it again waits for the first call. Never rejects for processes already gone.
 */
export function stopControlPlane(info: ClusterInfo, options: StopOptions = {}): Promise<void> {
  const running = stops.get(info);
  if (running) return running;
  const stop = (async () => {
    for (const name of STOP_ORDER) {
      const state = info.components[name];
      if (state) await stopProcess(state.pid, options.graceMs);
    }
    removeState(info, options.keepDir);
    owned.delete(info);
  })();
  stops.set(info, stop);
  return stop;
}

/**
 * Synchronously SIGKILLs every component's process group and removes etcd's tmpfs data and (unless
 * `keepDir`) the state dir: for `process.on('exit')`, where nothing asynchronous runs. Never throws.
 */
export function killControlPlaneNow(info: ClusterInfo, options: { keepDir?: boolean } = {}): void {
  stops.set(info, stops.get(info) ?? Promise.resolve());
  for (const name of STOP_ORDER) {
    const state = info.components[name];
    if (state) killNow(state.pid);
  }
  try {
    removeState(info, options.keepDir);
  } catch {
    // best effort: the process is exiting
  }
  owned.delete(info);
}

/**
 * Stops the real kube-apiserver process, waits `downtimeMs`, and starts it again with the same flags
 * (fault tests); resolves once it is ready again. Throws when it is not running or does not come back.
 */
export async function restartApiserver(info: ClusterInfo, downtimeMs = 0): Promise<void> {
  const state = info.components['kube-apiserver'];
  if (!state) throw new Error('kube-apiserver is not running');
  await stopProcess(state.pid);
  if (downtimeMs > 0) await new Promise((resolve) => setTimeout(resolve, downtimeMs));
  launch(info, 'kube-apiserver', state.command, state.args);
  await waitForApiserver(info);
}

/** Whether each recorded component's process is still alive, by component name. */
export function componentsAlive(info: ClusterInfo): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(info.components).map(([name, state]) => [name, !!state && isAlive(state.pid)]),
  );
}

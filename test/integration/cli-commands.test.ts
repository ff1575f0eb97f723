/**
 * Issue #17 through the real binary: per-command help and --version, event input, kubeconfig and
 * connection errors, the dry run's permission check and plan, duplicate deliveries, and `release`.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORDONED_BY_DRAINER_ANNOTATION, INTERRUPTIONS_ANNOTATION, taintKey } from '../../src/drain/marks.ts';
import {
  createDeployment,
  createSpotPool,
  deleteSpotPool,
  isPodReady,
  placeOnNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { runCli } from './cli-process.ts';
import { adminApis, clusterInfo, eventually, uniqueName } from './cluster.ts';
import { awsEvent } from './events.ts';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'events');
const NOW = '2026-11-20T14:03:11Z';

async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cli-commands-'));
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

const spotWarning = (instanceId: string) =>
  tempFile(
    'event.json',
    JSON.stringify(awsEvent('spot-interruption-warning.json', instanceId, new Date(NOW))),
  );

/** A kubeconfig document for `server` with `token`, as JSON (which is YAML). */
function kubeconfigText(server: string, token: string, extra: { caFile?: string; context?: string } = {}) {
  const context = extra.context ?? 'test';
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: `${context}-cluster`,
        cluster: { server, ...(extra.caFile ? { 'certificate-authority': extra.caFile } : {}) },
      },
    ],
    users: [{ name: `${context}-user`, user: { token } }],
    contexts: [{ name: context, context: { cluster: `${context}-cluster`, user: `${context}-user` } }],
    'current-context': context,
  });
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

describe('help and version', () => {
  it('prints each command help with its exit codes and exits 0, never running the command', async () => {
    for (const command of ['parse', 'replay', 'release', 'audit', 'demo', 'cluster']) {
      const { code, stdout } = await runCli([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^usage: spot-drainer ${command}`));
      expect(stdout).toMatch(/exit codes:\n\s+0 /);
    }
    const demo = await runCli(['demo', '--help']);
    expect(demo.stdout).not.toMatch(/Starting a local Kubernetes control plane/);
    expect((await runCli(['replay', '--help'])).stdout).toMatch(/--verbose/);
  });

  it('prints package.json version', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });
});

describe('event input', () => {
  it('reads several files as one delivery, or refuses them all when one cannot be read', async () => {
    const aws = join(fixtures, 'aws', 'spot-interruption-warning.json');
    const azure = join(fixtures, 'azure', 'scheduled-event-preempt.eventgrid.json');
    const both = await runCli(['parse', aws, azure]);
    expect(both.code).toBe(0);
    const clouds = (JSON.parse(both.stdout) as { interruptions: Array<{ cloud: string }> }).interruptions.map(
      (interruption) => interruption.cloud,
    );
    expect(clouds).toEqual(['aws', 'azure']);
    const missing = await runCli(['parse', aws, join(root, 'no-such-event.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-event\.json.*no file was used/);
    expect(missing.stdout).toBe('');
  });

  it('reports an invalid event inside an array as invalid, and an empty file as empty', async () => {
    const valid = JSON.parse(await readFile(join(fixtures, 'aws', 'spot-interruption-warning.json'), 'utf8'));
    const batch = [
      valid,
      { source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: {} },
    ];
    const { code, stdout, stderr } = await runCli(['parse', '-'], JSON.stringify(batch));
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { invalid?: string[]; skipped?: unknown };
    expect(parsed.invalid?.[0]).toMatch(/instance-id/);
    expect(parsed.skipped).toBeUndefined();
    expect(stderr).toMatch(/1 invalid event/);
    const empty = await runCli(['parse', await tempFile('empty.json', '\n')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty\.json is empty/);
  });

  it('accepts for --now only a full ISO 8601 time with a timezone', async () => {
    const event = join(fixtures, 'aws', 'spot-interruption-warning.json');
    for (const now of ['2026-11-20', '2026-11-20T14:03:11', '20 Nov 2026 14:03 GMT', 'yesterday']) {
      const { code, stderr } = await runCli(['replay', event, '--dry-run', '--now', now]);
      expect(code, now).toBe(2);
      expect(stderr).toMatch(/--now: not a full ISO 8601 time with a timezone/);
    }
  });
});

describe('kubeconfig and connection errors', () => {
  const info = clusterInfo();
  const event = join(fixtures, 'aws', 'spot-interruption-warning.json');
  const replay = (kubeconfig: string, ...args: string[]) =>
    runCli(['replay', event, '--dry-run', '--now', NOW, '--kubeconfig', kubeconfig, ...args]);

  it('names the server and what failed: connection refused, TLS, 401', async () => {
    const refused = await replay(
      await tempFile('refused', kubeconfigText('https://127.0.0.1:1', 't', { caFile: info.caFile })),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /cannot connect to https:\/\/127\.0\.0\.1:1 \(context test\): connection refused/,
    );
    noStack(refused.stderr);
    const tls = await replay(await tempFile('tls', kubeconfigText(info.server, info.drainerToken)));
    expect(tls.code).toBe(2);
    expect(tls.stderr).toMatch(new RegExp(`TLS with ${info.server} \\(context test\\) failed`));
    noStack(tls.stderr);
    const unauthorized = await replay(
      await tempFile('401', kubeconfigText(info.server, 'not-a-token', { caFile: info.caFile })),
    );
    expect(unauthorized.code).toBe(2);
    expect(unauthorized.stderr).toMatch(
      /refused the credentials of kubeconfig user test-user: 401 Unauthorized/,
    );
    noStack(unauthorized.stderr);
  });

  it('lists the contexts when --context is unknown', async () => {
    const { code, stderr } = await replay(info.drainerKubeconfig, '--context', 'nope');
    expect(code).toBe(2);
    expect(stderr).toMatch(/has no context nope; its contexts: spot-drainer-test/);
    noStack(stderr);
  });

  it('merges a multi-path KUBECONFIG as kubectl does: the first file that sets a value wins', async () => {
    // The first file sets the current context and a broken server for cluster "shared"; the second
    // defines the context it names. kubectl would use the first file's cluster entry.
    const first = await tempFile(
      'first',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'shared',
            cluster: { server: 'https://127.0.0.1:1', 'certificate-authority': info.caFile },
          },
        ],
        'current-context': 'second',
      }),
    );
    const second = await tempFile(
      'second',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'shared', cluster: { server: info.server, 'certificate-authority': info.caFile } },
        ],
        users: [{ name: 'u', user: { token: info.drainerToken } }],
        contexts: [{ name: 'second', context: { cluster: 'shared', user: 'u' } }],
        'current-context': 'other',
      }),
    );
    const args = ['replay', event, '--dry-run', '--json', '--now', NOW];
    const merged = await runCli(args, '', { KUBECONFIG: `${first}:/no/such/file:${second}` });
    expect(merged.stderr).toMatch(/cannot connect to https:\/\/127\.0\.0\.1:1 \(context second\)/);
    const reversed = await runCli(args, '', { KUBECONFIG: `${second}:${first}` });
    expect(reversed.stderr).toMatch(/has no context other/);
    const fixed = await runCli([...args, '--context', 'second'], '', { KUBECONFIG: `${second}:${first}` });
    expect(fixed.code).toBe(1); // reached the cluster: the sample's instance is not a node there
    expect(JSON.parse(fixed.stdout)[0]).toMatchObject({ status: 'skipped' });
  });
});

describe('dry run, duplicates and release against the local control plane', () => {
  const apis = adminApis();
  const info = clusterInfo();
  let pool: SpotPool;
  let readOnlyKubeconfig: string;

  /** A ServiceAccount that may only get and list nodes and pods, with a token from the TokenRequest API. */
  async function readOnlyIdentity(): Promise<string> {
    const { KubeConfig, RbacAuthorizationV1Api } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    config.loadFromFile(info.adminKubeconfig);
    const rbac = config.makeApiClient(RbacAuthorizationV1Api);
    const name = `read-only-${pool.id}`;
    await apis.core.createNamespacedServiceAccount({
      namespace: pool.namespace,
      body: { metadata: { name } },
    });
    await rbac.createClusterRole({
      body: {
        metadata: { name },
        rules: [{ apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: pool.namespace }],
      },
    });
    const token = await apis.core.createNamespacedServiceAccountToken({
      name,
      namespace: pool.namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    return tempFile(
      'read-only.kubeconfig',
      kubeconfigText(info.server, token.status?.token ?? '', { caFile: info.caFile, context: 'read-only' }),
    );
  }

  beforeAll(async () => {
    pool = await createSpotPool(apis, { cloud: 'aws', nodes: 3, id: uniqueName('cli') });
    await placeOnNode(apis, pool, pool.nodes[0]!, 2, () =>
      createDeployment(apis, pool, { name: 'api', replicas: 2, maxUnavailable: 1 }),
    );
    await eventually(
      'pods ready',
      async () => (await podsOnNode(apis.core, pool.nodes[0]!.name)).filter(isPodReady).length === 2,
    );
    readOnlyKubeconfig = await readOnlyIdentity();
  });
  afterAll(() => deleteSpotPool(apis, pool));

  it('refuses a dry run whose writes the identity may not make, naming each (exit 1)', async () => {
    const target = pool.nodes[0]!;
    const file = await spotWarning(target.machineId);
    const args = ['replay', file, '--dry-run', '--now', NOW, '--kubeconfig'];
    const run = await eventually('RBAC in force', async () => {
      const result = await runCli([...args, readOnlyKubeconfig, '--json']);
      return result.code === 1 ? result : undefined;
    });
    const [result] = JSON.parse(run.stdout) as Array<{ refused: Array<Record<string, unknown>> }>;
    const refused = result?.refused.map(({ verb, resource, namespace, name }) => ({
      verb,
      resource,
      namespace,
      name,
    }));
    expect(refused).toEqual([
      { verb: 'patch', resource: 'nodes', namespace: undefined, name: target.name },
      { verb: 'create', resource: 'events', namespace: 'default', name: undefined },
      { verb: 'create', resource: 'pods/eviction', namespace: pool.namespace, name: undefined },
      { verb: 'delete', resource: 'pods', namespace: pool.namespace, name: undefined },
      { verb: 'create', resource: 'events', namespace: pool.namespace, name: undefined },
    ]);
    const human = await runCli([...args, readOnlyKubeconfig]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/the real run would be refused/);
    expect(human.stdout).toContain(`patch nodes/${target.name}`);
    expect(human.stdout).toContain(`create pods/eviction in namespace ${pool.namespace}`);
    const allowed = await runCli([...args, info.drainerKubeconfig, '--json']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)[0].refused).toEqual([]);
  });

  it('prints the plan of a dry run: each pod, what would happen to it and why', async () => {
    const target = pool.nodes[0]!;
    const { code, stdout } = await runCli([
      'replay',
      await spotWarning(target.machineId),
      '--dry-run',
      '--now',
      NOW,
      '--kubeconfig',
      info.drainerKubeconfig,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/plan for 2 pod\(s\) \(drain\)/);
    const planned = stdout.split('\n').filter((line) => line.includes(`${pool.namespace}/api-`));
    expect(planned).toHaveLength(2);
    for (const line of planned)
      expect(line).toMatch(/would evict \(Eviction API, PodDisruptionBudgets respected\)/);
    expect(stdout).toMatch(/every write the real run would make is allowed/);
  });

  it('says a duplicate delivery found the node already handled', async () => {
    const target = pool.nodes[1]!;
    const file = await spotWarning(target.machineId);
    const args = ['replay', file, '--now', NOW, '--kubeconfig', info.drainerKubeconfig];
    const first = await runCli(args);
    expect(first.code).toBe(0);
    expect(first.stdout).not.toMatch(/already marked/);
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /found the node already marked for event .* \(a duplicate delivery or a retry\)/,
    );
  });

  it('releases exactly its own marks, by node or by event, and says what it left', async () => {
    const target = pool.nodes[1]!; // marked by the previous test
    const kube = ['--kubeconfig', info.drainerKubeconfig];
    const before = await apis.core.readNode({ name: target.name });
    const eventId = JSON.parse(before.metadata?.annotations?.[INTERRUPTIONS_ANNOTATION] ?? '{}')[
      'spot-interruption'
    ].eventId as string;
    const dry = await runCli(['release', '--node', target.name, '--dry-run', ...kube]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `${target.name}: would remove the marks of spot-interruption (event ${eventId}) and would uncordon it`,
    );
    expect((await apis.core.readNode({ name: target.name })).metadata?.resourceVersion).toBe(
      before.metadata?.resourceVersion,
    );
    const other = await runCli(['release', await spotWarning(target.machineId), ...kube]);
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(
      /nothing of spot-drainer's to remove \(the spot-interruption marks belong to event/,
    );
    const released = await runCli(['release', '--node', target.name, '--json', ...kube]);
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout)[0]).toMatchObject({ status: 'released', uncordoned: true, left: [] });
    const after = await apis.core.readNode({ name: target.name });
    expect(after.spec?.unschedulable).toBeFalsy();
    expect(after.spec?.taints?.map((taint) => taint.key) ?? []).not.toContain(taintKey('spot-interruption'));
    expect(
      Object.keys(after.metadata?.annotations ?? {}).filter((key) => key.startsWith('spot-drainer.io/')),
    ).toEqual([]);
    const missing = await runCli(['release', '--node', 'no-such-node', ...kube]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/no-such-node: no such node/);
  });

  it('leaves another interruption’s marks and a cordon it did not make', async () => {
    const target = pool.nodes[2]!;
    const kube = ['--kubeconfig', info.drainerKubeconfig];
    await apis.core.patchNode({
      name: target.name,
      body: [{ op: 'add', path: '/spec/unschedulable', value: true }],
    });
    const rebalance = await tempFile(
      'rebalance.json',
      JSON.stringify(awsEvent('rebalance-recommendation.json', target.machineId, new Date(NOW))),
    );
    const spot = await spotWarning(target.machineId);
    for (const file of [rebalance, spot]) {
      expect((await runCli(['replay', file, '--now', NOW, ...kube])).code).toBe(0);
    }
    const node = await apis.core.readNode({ name: target.name });
    expect(node.metadata?.annotations?.[CORDONED_BY_DRAINER_ANNOTATION]).toBeUndefined();
    const byEvent = await runCli(['release', spot, ...kube]);
    expect(byEvent.code).toBe(0);
    expect(byEvent.stdout).toMatch(/removed the marks of spot-interruption/);
    expect(byEvent.stdout).toMatch(
      /left the marks of rebalance-recommendation \(event .*\), still holding the node/,
    );
    const byNode = await runCli(['release', '--node', target.name, ...kube]);
    expect(byNode.stdout).toMatch(/removed the marks of rebalance-recommendation/);
    expect(byNode.stdout).toMatch(/left the cordon: spot-drainer did not make it/);
    const after = await apis.core.readNode({ name: target.name });
    expect(after.spec?.unschedulable).toBe(true);
    expect(after.spec?.taints?.map((taint) => taint.key) ?? []).not.toContain(taintKey('spot-interruption'));
  });
});

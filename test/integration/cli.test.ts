import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taintKey } from '../../src/drain/marks.ts';
import type { DrainReport } from '../../src/drain/report.ts';
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

describe('spot-drainer parse', () => {
  it('prints the normalized interruptions of a valid event', async () => {
    const { code, stdout } = await runCli([
      'parse',
      join(fixtures, 'aws', 'health-scheduled-change-several-instances.json'),
    ]);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { status: string; interruptions: Array<Record<string, unknown>> };
    expect(parsed.status).toBe('interruptions');
    expect(parsed.interruptions.length).toBeGreaterThan(1);
    for (const interruption of parsed.interruptions) {
      expect(interruption).toMatchObject({ cloud: 'aws', kind: 'scheduled-change', action: 'drain' });
      expect(String(interruption.expectedProviderId)).toMatch(/^aws:\/\/\/\*\/i-[0-9a-f]+$/);
    }
  });

  it('reads standard input and handles Azure events, with the provider id the node must carry', async () => {
    const event = readFileSync(join(fixtures, 'azure', 'scheduled-event-preempt.eventgrid.json'), 'utf8');
    const { code, stdout } = await runCli(['parse', '-'], event);
    expect(code).toBe(0);
    const [interruption] = (
      JSON.parse(stdout) as { interruptions: Array<{ expectedProviderId: string; deadline: string }> }
    ).interruptions;
    expect(interruption?.expectedProviderId).toMatch(
      /^azure:\/\/\/subscriptions\/.+\/virtualMachineScaleSets\/aks-spot1-30918274-vmss\/virtualMachines\/7$/,
    );
    expect(interruption?.deadline).toBe(new Date('Fri, 20 Nov 2026 09:14:37 GMT').toISOString());
  });

  it('exits 0 and says why for an event that is valid but not ours', async () => {
    const { code, stdout } = await runCli(['parse', join(fixtures, 'aws', 'asg-test-notification.json')]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ignored' });
    expect(stdout).toMatch(/test notification/i);
  });

  it('exits 2 with a one-line error for invalid JSON and for an unusable event', async () => {
    const invalid = await runCli(['parse', '-'], '{"source": "aws.ec2",');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toMatch(/not valid JSON/);
    const unusable = await runCli(
      ['parse', '-'],
      JSON.stringify({
        source: 'aws.ec2',
        'detail-type': 'EC2 Spot Instance Interruption Warning',
        detail: {},
      }),
    );
    expect(unusable.code).toBe(2);
    expect(unusable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unusable.stderr).toMatch(/instance-id/);
    expect((await runCli(['parse', join(root, 'no-such-file.json')])).code).toBe(2);
  });
});

describe('spot-drainer replay against the local control plane', () => {
  const apis = adminApis();
  const info = clusterInfo();
  let pool: SpotPool;

  beforeAll(async () => {
    pool = await createSpotPool(apis, { cloud: 'aws', nodes: 2, id: uniqueName('replay') });
    await placeOnNode(apis, pool, pool.nodes[0]!, 3, () =>
      createDeployment(apis, pool, { name: 'api', replicas: 3, maxUnavailable: 1 }),
    );
    await eventually(
      'pods ready',
      async () => (await podsOnNode(apis.core, pool.nodes[0]!.name)).filter(isPodReady).length === 3,
    );
  });
  afterAll(() => deleteSpotPool(apis, pool));

  const eventFile = async (instanceId: string) => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const dir = await mkdtemp(join((await import('node:os')).tmpdir(), 'replay-'));
    const file = join(dir, 'event.json');
    await writeFile(
      file,
      JSON.stringify(
        awsEvent('spot-interruption-warning.json', instanceId, new Date('2026-11-20T14:03:11Z')),
      ),
    );
    return file;
  };

  it('plans without writing in a dry run', async () => {
    const target = pool.nodes[0]!;
    const before = (await apis.core.readNode({ name: target.name })).metadata?.resourceVersion;
    const { code, stdout } = await runCli([
      'replay',
      await eventFile(target.machineId),
      '--kubeconfig',
      info.drainerKubeconfig,
      '--dry-run',
      '--json',
      '--now',
      '2026-11-20T14:03:11Z',
    ]);
    expect(code).toBe(0);
    const [result] = JSON.parse(stdout) as Array<{ status: string; report: DrainReport }>;
    expect(result?.report.outcome).toBe('dry-run');
    expect(result?.report.pods.filter((pod) => pod.outcome === 'planned')).toHaveLength(3);
    expect((await apis.core.readNode({ name: target.name })).metadata?.resourceVersion).toBe(before);
  });

  it('drains the node the event names, resolved by provider id, and prints the report', async () => {
    const target = pool.nodes[0]!;
    const { code, stdout } = await runCli([
      'replay',
      await eventFile(target.machineId),
      '--kubeconfig',
      info.drainerKubeconfig,
      '--json',
      '--now',
      '2026-11-20T14:03:11Z',
    ]);
    expect(code).toBe(0);
    const [result] = JSON.parse(stdout) as Array<{ status: string; report: DrainReport }>;
    expect(result?.report).toMatchObject({ node: target.name, outcome: 'completed', deadlineMet: true });
    expect(result?.report.counts.evicted).toBe(3);
    const node = await apis.core.readNode({ name: target.name });
    expect(node.spec?.taints?.map((taint) => taint.key)).toContain(taintKey('spot-interruption'));
  });

  it('exits 1 when the node cannot be found, and 2 when the kubeconfig is unreadable', async () => {
    const missing = await runCli([
      'replay',
      await eventFile('i-0000000000000dead'),
      '--kubeconfig',
      info.drainerKubeconfig,
      '--json',
      '--now',
      '2026-11-20T14:03:11Z',
    ]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)[0]).toMatchObject({ status: 'skipped' });
    const unreadable = await runCli([
      'replay',
      await eventFile(pool.nodes[1]!.machineId),
      '--kubeconfig',
      '/nonexistent',
      '--now',
      '2026-11-20T14:03:11Z',
    ]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/cannot read kubeconfig/);
  });
});

describe('spot-drainer demo', () => {
  it('runs to completion on its own control plane', async () => {
    const { code, stdout, stderr } = await runCli(['demo']);
    expect(stdout).toMatch(/EventBridge → Lambda/);
    expect(stdout).toMatch(/Event Grid → Azure Function/);
    expect(stdout).toMatch(/the Function app registered spotDrainer \(eventGridTrigger\)/);
    expect(stdout).toMatch(/both nodes drained before their deadlines/);
    expect(stdout).toMatch(/stopped, and its temporary state removed/);
    // No stray warnings: @azure/functions found its (stand-in) host and did not announce test mode.
    expect(stdout + stderr).not.toMatch(/test mode|WARNING/);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 240_000);
});

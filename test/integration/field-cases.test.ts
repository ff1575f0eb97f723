/**
 * Situations users of other spot handlers reported as bugs (test/fixtures/cases/<name>/README.md), each
 * applied to the local control plane and replayed through the real `spot-drainer` binary as the
 * restricted identity, as a user would. Each stands for a kind of mistake; the unit tests of the rule
 * behind each (late-delivery, node resolution, the lifecycle decision) cover the rest of the kind.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, bundles, outfile } from '../../src/cli/bundle.ts';
import type { ReplayResult } from '../../src/cli/replay-output.ts';
import { kubectl } from '../../src/local-cluster/control-plane.ts';
import { type FakeAws, type FakeInstance, startFakeAws } from '../../src/local-cluster/fake-aws.ts';
import { podsOnNode } from '../../src/local-cluster/node-pool.ts';
import { projectPath } from '../../src/local-cluster/project-root.ts';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';
import { caseFile, runCli } from './cli-process.ts';
import { adminApis, clusterInfo, eventually } from './cluster.ts';

const info = clusterInfo();
const apis = adminApis();
const applied: string[] = [];

async function applyCase(name: string, file = 'cluster.yaml'): Promise<void> {
  const path = caseFile(name, file);
  await kubectl(info, ['apply', '-f', path]);
  applied.push(path);
}

afterAll(async () => {
  for (const path of applied.reverse())
    await kubectl(info, ['delete', '--wait=false', '--ignore-not-found', '-f', path]);
});

async function runningPods(node: string, namespace: string): Promise<V1Pod[]> {
  return (await podsOnNode(apis.core, node)).filter(
    (pod) =>
      pod.metadata?.namespace === namespace &&
      pod.status?.phase === 'Running' &&
      !pod.metadata?.deletionTimestamp,
  );
}

function replay(name: string, event: string, ...flags: string[]) {
  return runCli([
    'replay',
    caseFile(name, event),
    '--kubeconfig',
    info.drainerKubeconfig,
    '--json',
    ...flags,
  ]);
}

describe('aks-empty-providerid: a node not resolvable yet is neither drained blindly nor dropped', () => {
  const node = 'aks-spot1-40404040-vmss000005';
  const providerID =
    'azure:///subscriptions/0c110000-aaaa-4bbb-8ccc-000000000011/resourceGroups/MC_rg-case11_aks-case11_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-40404040-vmss/virtualMachines/5';

  it('fails retryably, touching nothing, while the node has no providerID', async () => {
    await applyCase('aks-empty-providerid');
    await eventually('pod running', async () => (await runningPods(node, 'case11')).length === 1);
    const before = (await apis.core.readNode({ name: node })).metadata?.resourceVersion;

    const run = await replay('aks-empty-providerid', 'event.json', '--now', '2030-01-01T10:00:03Z');
    expect(run.code).toBe(75);
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({ status: 'failed', retryable: true });
    expect(result?.status === 'failed' && result.reason).toMatch(/has no spec.providerID yet/);
    expect(run.stdout).not.toMatch(/may be gone/);
    const after = await apis.core.readNode({ name: node });
    expect(after.metadata?.resourceVersion).toBe(before);
    expect(after.spec?.unschedulable).toBeFalsy();
  });

  it('drains the node once the providerID appears during the wait', async () => {
    const replaying = replay('aks-empty-providerid', 'event.json', '--now', '2030-01-01T10:00:03Z');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await kubectl(info, [
      'patch',
      'node',
      node,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { providerID } }),
    ]);
    const run = await replaying;
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({ status: 'handled', report: { node, outcome: 'completed' } });
    expect(run.code).toBe(0);
    expect((await apis.core.readNode({ name: node })).spec?.unschedulable).toBe(true);
  });
});

describe('late-delivery: a warning handled after its deadline is cleanup', () => {
  const node = 'ip-10-8-0-11.ec2.internal';

  it('refuses to act on the sample event (dated 2030) without --now or --force, and writes nothing', async () => {
    await applyCase('late-delivery');
    await eventually('pods running', async () => (await runningPods(node, 'case08')).length === 3);
    const before = (await apis.core.readNode({ name: node })).metadata?.resourceVersion;
    const run = await replay('late-delivery', 'event.json');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is dated 2030-01-01T10:00:00.000Z, in the future\. Nothing was written/);
    expect(run.stderr).toMatch(/--now 2030-01-01T10:00:00.000Z/);
    expect((await apis.core.readNode({ name: node })).metadata?.resourceVersion).toBe(before);
  });

  it('shows the cleanup in a dry run', async () => {
    const run = await replay('late-delivery', 'event.json', '--dry-run', '--now', '2030-01-01T10:03:00Z');
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({ status: 'handled', report: { action: 'cleanup', outcome: 'dry-run' } });
  });

  it('deletes every pod at once, the PDB-held one included, so controllers replace them now', async () => {
    const original = new Set((await runningPods(node, 'case08')).map((pod) => pod.metadata?.uid));
    expect(original.size).toBe(3);
    const run = await replay('late-delivery', 'event.json', '--now', '2030-01-01T10:03:00Z');
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({
      status: 'handled',
      report: {
        action: 'cleanup',
        outcome: 'completed',
        deadlineMet: false,
        counts: { deleted: 3, blockedByPdb: 0 },
      },
    });
    await eventually('original pods gone', async () => {
      const left = (await podsOnNode(apis.core, node)).filter((pod) => original.has(pod.metadata?.uid));
      return left.length === 0;
    });
  });
});

describe('late-delivery with force-delete: the same cleanup, whatever the deadline policy', () => {
  it('deletes the pods instead of evicting them', async () => {
    await applyCase('late-delivery', 'cluster-force-delete.yaml');
    const yaml = readFileSync(caseFile('late-delivery', 'cluster-force-delete.yaml'), 'utf8');
    const node = /name: (ip-[\d-]+\.ec2\.internal)/.exec(yaml)?.[1] ?? '';
    const namespace = /kind: Namespace\nmetadata: \{name: ([\w-]+)\}/.exec(yaml)?.[1] ?? '';
    // Every replica running first: a pod bound after the drain listed the node is deleted too (the sweep).
    const replicas = [...yaml.matchAll(/replicas: (\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    await eventually('pods running', async () => (await runningPods(node, namespace)).length === replicas);
    const count = (await runningPods(node, namespace)).length;
    const run = await runCli(
      [
        'replay',
        caseFile('late-delivery', 'event-force-delete.json'),
        '--kubeconfig',
        info.drainerKubeconfig,
        '--json',
        '--now',
        '2030-01-01T10:03:00Z',
      ],
      '',
      { SPOT_DRAINER_DEADLINE_POLICY: 'force-delete' },
    );
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({
      status: 'handled',
      report: { node, action: 'cleanup', counts: { deleted: count } },
    });
  });
});

/** One invocation of the bundled Lambda (dist/aws) in a fresh process, as Lambda runs it; the outcome it returned. */
async function invokeBundledLambda(event: unknown, env: NodeJS.ProcessEnv): Promise<DeliveryOutcome> {
  const bundle = pathToFileURL(projectPath(outfile(bundles.aws))).href;
  const script = `const { handler } = await import(${JSON.stringify(bundle)});
const outcome = await handler(JSON.parse(process.env.CASE_EVENT), { getRemainingTimeInMillis: () => 60_000 });
process.stdout.write('\\nOUTCOME ' + JSON.stringify(outcome) + '\\n');`;
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
    (resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ...env, CASE_EVENT: JSON.stringify(event) },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.stderr.on('data', (chunk) => {
        err += chunk;
      });
      child.on('close', (exit) => resolve({ stdout: out, stderr: err, code: exit }));
    },
  );
  const line = stdout.split('\n').find((text) => text.startsWith('OUTCOME '));
  if (code !== 0 || !line) throw new Error(`the Lambda failed (${code}): ${stderr || stdout}`);
  return JSON.parse(line.slice('OUTCOME '.length)) as DeliveryOutcome;
}

describe('lifecycle-node-gone: the lifecycle action is settled on every way out, here "no node"', () => {
  const event = JSON.parse(readFileSync(caseFile('lifecycle-node-gone', 'event.json'), 'utf8')) as unknown;
  const instances = JSON.parse(
    readFileSync(caseFile('lifecycle-node-gone', 'ec2-instances.json'), 'utf8'),
  ) as FakeInstance[];
  let aws: FakeAws;

  beforeAll(async () => {
    await applyCase('lifecycle-node-gone');
    await buildBundle(bundles.aws);
    aws = await startFakeAws([], instances);
  });
  afterAll(() => aws.close());

  it('the bundled Lambda completes the action with CONTINUE at once, through the SDK endpoint settings', async () => {
    aws.pendingLifecycleActions.add('i-0c07aa11bb22cc331');
    const outcome = await invokeBundledLambda(event, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_ENDPOINT_URL_EC2: aws.url,
      AWS_ENDPOINT_URL_AUTO_SCALING: aws.url,
      SPOT_DRAINER_KUBECONFIG_SOURCE: `file:${info.drainerKubeconfig}`,
    });
    expect(outcome.results).toEqual([
      expect.objectContaining({
        status: 'skipped',
        reason: expect.stringMatching(
          /no node of cluster case-cluster has provider id aws:\/\/\/us-east-1a\/i-0c07aa11bb22cc331/,
        ),
        cloudActions: [
          {
            action: 'CompleteLifecycleAction',
            result: 'completed with CONTINUE: no node of this cluster names the instance',
          },
        ],
      }),
    ]);
    expect(aws.lifecycleCalls).toEqual([
      {
        action: 'CompleteLifecycleAction',
        autoScalingGroupName: 'workers-a',
        lifecycleHookName: 'drain-before-terminate',
        instanceId: 'i-0c07aa11bb22cc331',
        lifecycleActionToken: '0c07aaaa-bbbb-4ccc-8ddd-eeeeeeeeee07',
        lifecycleActionResult: 'CONTINUE',
      },
    ]);
    expect(aws.pendingLifecycleActions.has('i-0c07aa11bb22cc331')).toBe(false);
  });

  it('replay says what the function would do, and with --cloud-calls does it', async () => {
    aws.lifecycleCalls.length = 0;
    aws.pendingLifecycleActions.add('i-0c07aa11bb22cc331');
    const dry = await replay('lifecycle-node-gone', 'event.json', '--now', '2030-01-01T10:00:00Z');
    expect((JSON.parse(dry.stdout) as ReplayResult[])[0]?.cloudActions).toEqual([
      {
        action: 'CompleteLifecycleAction',
        result:
          'would complete with CONTINUE (replay without --cloud-calls): no node of this cluster names the instance',
      },
    ]);
    expect(aws.lifecycleCalls).toEqual([]);
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_ENDPOINT_URL_EC2: aws.url,
      AWS_ENDPOINT_URL_AUTO_SCALING: aws.url,
    };
    const real = await runCli(
      [
        'replay',
        caseFile('lifecycle-node-gone', 'event.json'),
        '--kubeconfig',
        info.drainerKubeconfig,
        '--json',
        '--now',
        '2030-01-01T10:00:00Z',
        '--cloud-calls',
      ],
      '',
      env,
    );
    expect((JSON.parse(real.stdout) as ReplayResult[])[0]?.cloudActions[0]?.result).toBe(
      'completed with CONTINUE: no node of this cluster names the instance',
    );
    expect(aws.lifecycleCalls.map((call) => call.lifecycleActionResult)).toEqual(['CONTINUE']);
  });
});

/** How long before its deadline `replayAt` replays a case's event (ms). */
const TO_DEADLINE_MS = 30_000;

/** `replay` of a case's event.json at 10:01:30 (30 s before its deadline), with `env` added. */
async function replayAt(name: string, env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const run = await runCli(
    [
      'replay',
      caseFile(name, 'event.json'),
      '--kubeconfig',
      info.drainerKubeconfig,
      '--json',
      '--now',
      '2030-01-01T10:01:30Z',
    ],
    '',
    env,
  );
  const [result] = JSON.parse(run.stdout) as ReplayResult[];
  return {
    run,
    result,
    report: result?.status === 'handled' ? result.report : undefined,
    tookMs: Date.now() - started,
  };
}

describe('two-pdbs: a pod selected by two PDBs is refused for good, and force-delete still applies', () => {
  const node = 'ip-10-1-0-11.ec2.internal';

  it('respect-pdb: reported quickly as held by two PDBs, naming them, not retried until timed out', async () => {
    await applyCase('two-pdbs');
    await eventually('pods running', async () => (await runningPods(node, 'case01')).length === 2);
    const { report, tookMs } = await replayAt('two-pdbs');
    expect(report).toMatchObject({ node, outcome: 'partial', counts: { blockedByPdb: 2, timedOut: 0 } });
    for (const pod of report?.pods.filter((entry) => entry.disposition === 'evict') ?? []) {
      expect(pod).toMatchObject({ outcome: 'blocked-by-pdb', attempts: 1 });
      expect(pod.error).toMatch(
        /more than one PodDisruptionBudget \(case01\/checkout, case01\/frontend-tier\)/,
      );
    }
    expect(report?.errors).toHaveLength(2);
    expect(report?.errors.join('\n')).toMatch(/case01\/checkout, case01\/frontend-tier/);
    // Retried until timed out, it would have run to the budget's end: 30 s to the deadline less 1 s safety.
    expect(tookMs).toBeLessThan(TO_DEADLINE_MS - 1000);
    expect(await runningPods(node, 'case01')).toHaveLength(2);
  });

  it('force-delete: the pods are deleted lead seconds before the deadline', async () => {
    const original = new Set((await runningPods(node, 'case01')).map((pod) => pod.metadata?.uid));
    const { report } = await replayAt('two-pdbs', {
      SPOT_DRAINER_DEADLINE_POLICY: 'force-delete',
      SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: '10',
    });
    expect(report).toMatchObject({ node, outcome: 'completed', deadlineMet: true, counts: { deleted: 2 } });
    // Deleted at 10:01:50 (the lead before 10:02:00), about 20 s after the start at 10:01:30.
    for (const pod of report?.pods.filter((entry) => entry.disposition === 'evict') ?? [])
      expect(pod.acceptedAfterMs).toBeGreaterThan(15_000);
    await eventually('original pods gone', async () => {
      const left = (await podsOnNode(apis.core, node)).filter((pod) => original.has(pod.metadata?.uid));
      return left.length === 0;
    });
  });
});

describe('force-delete-lead-zero: a lead of 0 s force-deletes at the latest moment reached', () => {
  const node = 'ip-10-4-0-12.ec2.internal';

  it('deletes the PDB-held pod before the deadline, and says so in its Event', async () => {
    await applyCase('force-delete-lead-zero');
    await eventually('pod running', async () => (await runningPods(node, 'case04')).length >= 1);
    const [original] = await runningPods(node, 'case04');
    const { report } = await replayAt('force-delete-lead-zero', {
      SPOT_DRAINER_DEADLINE_POLICY: 'force-delete',
      SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: '0',
    });
    expect(report).toMatchObject({ node, outcome: 'completed', deadlineMet: true, counts: { deleted: 1 } });
    const [pod] = report?.pods.filter((entry) => entry.disposition === 'evict') ?? [];
    // The latest moment reached: 10:01:58.5 (safety 1 s and the delete's 0.5 s reserve before 10:02:00).
    expect(pod?.acceptedAfterMs).toBeGreaterThan(25_000);
    expect(pod?.acceptedAfterMs).toBeLessThan(29_000);
    await eventually('force-deleted pod gone', async () =>
      (await podsOnNode(apis.core, node)).every((left) => left.metadata?.uid !== original?.metadata?.uid),
    );
    await eventually('its Event', async () => {
      const events = await apis.core.listNamespacedEvent({
        namespace: 'case04',
        fieldSelector: `involvedObject.uid=${original?.metadata?.uid}`,
      });
      const event = events.items.find((item) => item.reason === 'SpotDrainerForceDeleted');
      return event?.message?.includes('because a PodDisruptionBudget still held it') === true;
    });
  });
});

/** Waits until the drainer's taint on `node` is denied (a server-side dry run): policies apply after a moment. */
async function policyInForce(node: string): Promise<void> {
  await eventually('admission policy in force', async () => {
    try {
      // As the drainer (the later --kubeconfig wins over the admin one kubectl() passes first).
      await kubectl(info, [
        '--kubeconfig',
        info.drainerKubeconfig,
        'patch',
        'node',
        node,
        '--type=json',
        '--dry-run=server',
        '-p',
        JSON.stringify([
          { op: 'add', path: '/spec/taints', value: [{ key: 'probe', effect: 'NoSchedule' }] },
        ]),
      ]);
      return false;
    } catch (error) {
      return /denied request/.test((error as Error).message);
    }
  });
}

describe('admission-denies-taint: an admission denial is not a conflict', () => {
  const node = 'ip-10-12-0-11.ec2.internal';
  const policyMessage = 'node taints may not be changed by the spot-drainer identity';

  it('reports the denial with the policy message and falls back to the marks the policy allows', async () => {
    await applyCase('admission-denies-taint');
    await eventually('pod running', async () => (await runningPods(node, 'case12')).length === 1);
    await policyInForce(node);
    const run = await replay(
      'admission-denies-taint',
      'event-spot-warning.json',
      '--now',
      '2030-01-01T10:00:03Z',
    );
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({
      status: 'handled',
      report: { node, outcome: 'completed', marksRefused: ['taint'], markedByThisInvocation: true },
    });
    const report = result?.status === 'handled' ? result.report : undefined;
    expect(report?.errors.join('\n')).toContain(policyMessage);
    expect(report?.errors.filter((error) => error.includes('admission denied'))).toHaveLength(1);
    const after = await apis.core.readNode({ name: node });
    expect(after.spec?.unschedulable).toBe(true);
    expect((after.spec?.taints ?? []).some((taint) => taint.key.startsWith('spot-drainer.io/'))).toBe(false);
    expect(after.metadata?.annotations?.['spot-drainer.io/event-id']).toBe(
      '0c120000-1111-4aaa-8bbb-000000000122',
    );
    await eventually('SpotMarksDenied warning on the node', async () => {
      const events = await apis.core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node},reason=SpotMarksDenied`,
      });
      return events.items.some((event) => event.type === 'Warning' && event.message?.includes(policyMessage));
    });
  });

  it('a duplicate delivery finds the allowed marks in place and writes nothing', async () => {
    const before = (await apis.core.readNode({ name: node })).metadata?.resourceVersion;
    const run = await replay(
      'admission-denies-taint',
      'event-spot-warning.json',
      '--now',
      '2030-01-01T10:00:04Z',
    );
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({ status: 'handled', report: { markedByThisInvocation: false } });
    expect((await apis.core.readNode({ name: node })).metadata?.resourceVersion).toBe(before);
  });
});

describe('admission-denies-taint, stricter policy: the cordon alone when nothing else is allowed', () => {
  const node = 'ip-10-12-0-12.ec2.internal';

  it('falls back to the cordon alone and says every other mark was refused', async () => {
    await applyCase('admission-denies-taint', 'cluster-cordon-only.yaml');
    await policyInForce(node);
    const run = await replay(
      'admission-denies-taint',
      'event-cordon-only.json',
      '--now',
      '2030-01-01T10:00:03Z',
    );
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({
      status: 'handled',
      report: { node, outcome: 'completed', marksRefused: ['taint', 'annotations', 'label'] },
    });
    const report = result?.status === 'handled' ? result.report : undefined;
    expect(report?.errors.filter((error) => error.includes('admission denied'))).toHaveLength(2);
    expect(report?.errors.join('\n')).toContain(
      'only the cordon may be changed by the spot-drainer identity',
    );
    const after = await apis.core.readNode({ name: node });
    expect(after.spec?.unschedulable).toBe(true);
    expect(
      Object.keys(after.metadata?.annotations ?? {}).some((key) => key.startsWith('spot-drainer.io/')),
    ).toBe(false);
  });
});

describe('tolerates-every-taint: pods that come back are evicted again, then reported', () => {
  const node = 'ip-10-3-0-11.ec2.internal';

  it('never reports an empty node while the replacement runs on it', async () => {
    await applyCase('tolerates-every-taint');
    await eventually('pod running', async () => (await runningPods(node, 'case03')).length === 1);
    const run = await replay('tolerates-every-taint', 'event.json', '--now', '2030-01-01T10:00:03Z');
    const [result] = JSON.parse(run.stdout) as ReplayResult[];
    expect(result).toMatchObject({
      status: 'handled',
      report: {
        node,
        outcome: 'partial',
        counts: { returned: 1 },
        returningPods: [
          {
            namespace: 'case03',
            owner: expect.stringMatching(/^ReplicaSet\/agentish-/),
            reason: expect.stringMatching(/tolerates every taint/),
          },
        ],
      },
    });
    const report = result?.status === 'handled' ? result.report : undefined;
    expect(report?.pods.filter((pod) => pod.arrivedAfterMarks && pod.outcome === 'evicted')).toHaveLength(3);
    const stillThere = (await podsOnNode(apis.core, node)).filter((pod) => !pod.metadata?.deletionTimestamp);
    expect(stillThere.map((pod) => pod.metadata?.namespace)).toContain('case03');
    await eventually('SpotPodsReturning warning on the node', async () => {
      const events = await apis.core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node},reason=SpotPodsReturning`,
      });
      return events.items.some((event) => event.type === 'Warning');
    });
  });
});

/**
 * `spot-drainer doctor` on the local control plane: the ClusterRole and binding of
 * infra/kubernetes/rbac.yaml as the cluster holds them, and what the drainer's identity may do, asked
 * by impersonation (as an admin would) and with the drainer's own credentials (--drainer-context). The
 * whole command runs with the AWS checks answered at the SDK seam by aws-sdk-client-mock, as a stack
 * deployed from serverless.yml would answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeAccessEntryCommand,
  EKSClient,
  ListAssociatedAccessPoliciesCommand,
} from '@aws-sdk/client-eks';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClients, doctorCommand } from '../../src/cli/doctor/doctor-command.ts';
import { kubernetesChecks } from '../../src/cli/doctor/kubernetes-run.ts';
import { readRbacManifest } from '../../src/cli/doctor/rbac-manifest.ts';
import { readAwsDeployment } from '../../src/cli/doctor/serverless-template.ts';
import { DRAINER_GROUP, kubectl } from '../../src/local-cluster/control-plane.ts';
import { clusterInfo, grantExtraRole, uniqueName } from './cluster.ts';

const info = clusterInfo();
const manifest = readRbacManifest();
const scratch = uniqueName('doctor');
const extraGroup = uniqueName('doctor-extra');
let bothContexts = '';

const drainerGroup = { user: 'doctor-test', groups: [DRAINER_GROUP], describe: `group ${DRAINER_GROUP}` };

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'doctor-'));
  const admin = JSON.parse(readFileSync(info.adminKubeconfig, 'utf8'));
  const drainer = JSON.parse(readFileSync(info.drainerKubeconfig, 'utf8'));
  bothContexts = join(dir, 'kubeconfig');
  writeFileSync(
    bothContexts,
    JSON.stringify({
      ...admin,
      users: [...admin.users, ...drainer.users],
      contexts: [...admin.contexts, ...drainer.contexts],
    }),
  );
  await kubectl(info, ['create', 'namespace', scratch]);
});

afterAll(async () => {
  await kubectl(info, ['delete', 'clusterrolebinding', extraGroup, '--ignore-not-found']).catch(
    () => undefined,
  );
  await kubectl(info, ['delete', 'namespace', scratch, '--ignore-not-found', '--wait=false']).catch(
    () => undefined,
  );
});

const byCheck = (results: Array<{ check: string; status: string }>) =>
  Object.fromEntries(results.map((result) => [result.check, result.status]));

describe('doctor: the Kubernetes checks', () => {
  it('pass on a cluster set up with infra/kubernetes/rbac.yaml, impersonating the mapped group', async () => {
    const results = await kubernetesChecks(
      { kubeconfig: info.adminKubeconfig },
      manifest,
      drainerGroup,
      manifest.subjects,
    );
    expect(byCheck(results)).toEqual({
      'ClusterRole spot-drainer': 'pass',
      'ClusterRoleBinding spot-drainer': 'pass',
      'drainer identity on the cluster': 'pass',
    });
  });

  it("pass with the drainer's own credentials (--drainer-context)", async () => {
    const results = await kubernetesChecks(
      { kubeconfig: bothContexts, context: 'admin', drainerContext: 'spot-drainer-test' },
      manifest,
      undefined,
      manifest.subjects,
    );
    const drainer = results.find((result) => result.check === 'drainer identity on the cluster');
    expect(drainer).toMatchObject({ status: 'pass' });
    expect(drainer?.detail).toContain('context spot-drainer-test');
  });

  it('fail a ClusterRole that differs from the manifest and a binding that lacks the identity', async () => {
    const wider = {
      ...manifest,
      rules: [...manifest.rules, { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    };
    const objectId = '11111111-2222-4333-8444-555555555555';
    const results = await kubernetesChecks({ kubeconfig: info.adminKubeconfig }, wider, undefined, [
      ...manifest.subjects,
      { kind: 'User', name: objectId, apiGroup: 'rbac.authorization.k8s.io' },
    ]);
    const [role, binding] = results;
    expect(role).toMatchObject({ status: 'fail', detail: 'lacks get configmaps' });
    expect(binding).toMatchObject({ status: 'fail', detail: `does not bind User ${objectId}` });
    expect(binding?.fix).toContain(`"kind":"User","name":"${objectId}"`);
  });

  it('fail an identity bound to nothing, and one granted more than it needs', async () => {
    const unbound = { user: 'doctor-test', groups: [extraGroup], describe: `group ${extraGroup}` };
    const [, , nothing] = await kubernetesChecks(
      { kubeconfig: info.adminKubeconfig },
      manifest,
      unbound,
      manifest.subjects,
    );
    expect(nothing?.status).toBe('fail');
    expect(nothing?.detail).toContain(': may not ');
    expect(nothing?.detail).toContain('create pods/eviction');

    await kubectl(info, [
      'create',
      'clusterrolebinding',
      extraGroup,
      '--clusterrole=spot-drainer',
      `--group=${extraGroup}`,
    ]);
    await grantExtraRole(info, { namespace: scratch, group: extraGroup, resource: 'secrets' });
    const { drainerMayDoWhatItNeeds } = await import('../../src/cli/doctor/kubernetes-checks.ts');
    const { kubeClientFor, loadKubeconfig } = await import('../../src/cli/kubeconfig-file.ts');
    const loaded = loadKubeconfig(info.adminKubeconfig, undefined);
    const kube = kubeClientFor(loaded, { impersonate: { user: 'doctor-test', groups: [extraGroup] } });
    try {
      const beyond = await drainerMayDoWhatItNeeds(kube, manifest, unbound.describe, ['default', scratch]);
      expect(beyond).toMatchObject({ status: 'fail' });
      expect(beyond.detail).toContain('may do more than it needs: get secrets');
    } finally {
      await kube.close();
    }
  });
});

const region = 'eu-west-1';
const roleArn = 'arn:aws:iam::123456789012:role/spot-drainer-prod-eu-west-1-lambdaRole';
const params = {
  clusterName: 'shop',
  asgNamePrefix: 'eks-spot-',
  managedTag: 'spot-drainer.io/managed=true',
};

/** The stand-in answers of a stack deployed from serverless.yml with `params`, and its cluster's node group. */
async function deployedStack() {
  const deployment = await readAwsDeployment('prod', region, params);
  const eventBridge = mockClient(EventBridgeClient);
  const iam = mockClient(IAMClient);
  const eks = mockClient(EKSClient);
  const autoScaling = mockClient(AutoScalingClient);
  const ec2 = mockClient(EC2Client);
  const mocks = [eventBridge, iam, eks, autoScaling, ec2];
  for (const rule of deployment.rules)
    eventBridge
      .on(DescribeRuleCommand, { Name: rule.name })
      .resolves({ State: 'ENABLED', EventPattern: JSON.stringify(rule.pattern) });
  eventBridge.on(ListTargetsByRuleCommand).resolves({
    Targets: [
      { Id: 'drainer', Arn: `arn:aws:lambda:${region}:123456789012:function:${deployment.functionName}` },
    ],
  });
  iam.on(GetRoleCommand).resolves({
    Role: {
      Arn: roleArn,
      RoleName: deployment.roleName,
      Path: '/',
      RoleId: 'AROA',
      CreateDate: new Date(),
    },
  });
  eks.on(DescribeAccessEntryCommand).resolves({
    accessEntry: { kubernetesGroups: [DRAINER_GROUP], type: 'STANDARD', username: 'spot-drainer-role' },
  });
  eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [] });
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'eks-spot-pool-a-2ec5b4f2',
        Tags: [{ Key: 'eks:cluster-name', Value: 'shop' }],
        MinSize: 0,
        MaxSize: 3,
        DesiredCapacity: 2,
        DefaultCooldown: 300,
        AvailabilityZones: ['eu-west-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(),
      },
    ],
  });
  autoScaling.on(DescribeLifecycleHooksCommand).resolves({
    LifecycleHooks: [
      {
        LifecycleHookName: 'spot-drainer-terminate',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        HeartbeatTimeout: 3600,
        DefaultResult: 'CONTINUE',
      },
    ],
  });
  const tags = [
    { Key: 'eks:cluster-name', Value: 'shop' },
    { Key: 'spot-drainer.io/managed', Value: 'true' },
  ];
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          { InstanceId: 'i-0b662ef9931388ba0', Tags: tags },
          { InstanceId: 'i-0a1b2c3d4e5f60718', Tags: tags },
        ],
      },
    ],
  });
  return { mocks, eventBridge };
}

describe('doctor --cloud aws, end to end', () => {
  const options = {
    cloud: 'aws' as const,
    stage: 'prod',
    region,
    params,
    json: false,
    kubeconfig: info.adminKubeconfig,
  };

  it('exits 0 with every check passed on a stack as serverless.yml deploys it', async () => {
    const { mocks } = await deployedStack();
    try {
      const output = await doctorCommand(options, { aws: awsClients(region) });
      if (process.env.SPOT_DRAINER_DOCTOR_OUTPUT)
        writeFileSync(process.env.SPOT_DRAINER_DOCTOR_OUTPUT, `${output.stdout}\n`);
      expect(output.code, output.stdout).toBe(0);
      expect(output.stdout).toContain('PASS    EventBridge rule spot-drainer-prod-spot-interruption-warning');
      expect(output.stdout).toContain('PASS    drainer identity on the cluster');
      expect(output.stdout).not.toContain('FAIL');
    } finally {
      for (const mock of mocks) mock.restore();
    }
  });

  it('exits 1, with the fix, when a rule was disabled', async () => {
    const { mocks, eventBridge } = await deployedStack();
    eventBridge
      .on(DescribeRuleCommand, { Name: 'spot-drainer-prod-rebalance-recommendation' })
      .resolves({ State: 'DISABLED', EventPattern: '{}' });
    try {
      const output = await doctorCommand({ ...options, json: true }, { aws: awsClients(region) });
      if (process.env.SPOT_DRAINER_DOCTOR_OUTPUT)
        writeFileSync(`${process.env.SPOT_DRAINER_DOCTOR_OUTPUT}.json`, `${output.stdout}\n`);
      expect(output.code).toBe(1);
      const report = JSON.parse(output.stdout ?? '{}');
      expect(report).toMatchObject({ ok: false, failed: 1 });
      expect(report.checks.find((check: { status: string }) => check.status === 'fail')).toMatchObject({
        check: 'EventBridge rule spot-drainer-prod-rebalance-recommendation',
        fix: 'aws events enable-rule --name spot-drainer-prod-rebalance-recommendation',
      });
    } finally {
      for (const mock of mocks) mock.restore();
    }
  });
});

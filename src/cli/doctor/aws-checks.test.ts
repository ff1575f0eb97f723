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
import { beforeEach, describe, expect, it } from 'vitest';
import { accessEntryCheck, functionRole, ruleCheck } from './aws-checks.ts';
import { clusterGroups, lifecycleHookCheck, managedTagCheck } from './aws-node-checks.ts';
import { readRbacManifest } from './rbac-manifest.ts';
import { type AwsDeployment, readAwsDeployment } from './serverless-template.ts';

const region = 'eu-west-1';
const functionArn = 'arn:aws:lambda:eu-west-1:123456789012:function:spot-drainer-prod-drainer';
const roleArn = 'arn:aws:iam::123456789012:role/spot-drainer-prod-eu-west-1-lambdaRole';
const manifest = readRbacManifest();
const eventBridge = mockClient(EventBridgeClient);
const iam = mockClient(IAMClient);
const eks = mockClient(EKSClient);
const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);

let deployment: AwsDeployment;

beforeEach(async () => {
  for (const mock of [eventBridge, iam, eks, autoScaling, ec2]) mock.reset();
  deployment = await readAwsDeployment('prod', region, {
    clusterName: 'shop',
    asgNamePrefix: 'eks-spot-',
    managedTag: 'spot-drainer.io/managed=true',
    enableHealthScheduledChange: 'false',
  });
});

const lifecycleRule = () => {
  const rule = deployment.rules.find((candidate) => candidate.logicalId === 'AsgTerminateLifecycleRule');
  if (!rule) throw new Error('serverless.yml has no AsgTerminateLifecycleRule');
  return rule;
};

/** The lifecycle rule as `serverless deploy` would have created it from these params. */
function deployedRule(pattern: unknown, state = 'ENABLED') {
  eventBridge
    .on(DescribeRuleCommand, { Name: 'spot-drainer-prod-asg-terminate-lifecycle' })
    .resolves({ State: state as 'ENABLED', EventPattern: JSON.stringify(pattern) });
  eventBridge.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'drainer', Arn: functionArn }] });
}

const LIFECYCLE_PATTERN = {
  source: ['aws.autoscaling'],
  'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
  detail: {
    LifecycleTransition: ['autoscaling:EC2_INSTANCE_TERMINATING'],
    LifecycleHookName: ['spot-drainer-terminate'],
    AutoScalingGroupName: [{ prefix: 'eks-spot-' }],
  },
};

describe('EventBridge rules', () => {
  it('passes a rule that is enabled, has the pattern of serverless.yml and targets the function', async () => {
    deployedRule(LIFECYCLE_PATTERN);
    const result = await ruleCheck(new EventBridgeClient({ region }), deployment, lifecycleRule());
    expect(result).toMatchObject({
      status: 'pass',
      check: 'EventBridge rule spot-drainer-prod-asg-terminate-lifecycle',
    });
  });

  it('fails a rule whose pattern lost the group prefix, a disabled one and a missing one', async () => {
    const client = new EventBridgeClient({ region });
    const { AutoScalingGroupName: _, ...detail } = LIFECYCLE_PATTERN.detail;
    deployedRule({ ...LIFECYCLE_PATTERN, detail });
    const drifted = await ruleCheck(client, deployment, lifecycleRule());
    expect(drifted.status).toBe('fail');
    expect(drifted.detail).toContain('differs from serverless.yml');

    eventBridge.reset();
    deployedRule(LIFECYCLE_PATTERN, 'DISABLED');
    const disabled = await ruleCheck(client, deployment, lifecycleRule());
    expect(disabled).toMatchObject({
      status: 'fail',
      fix: 'aws events enable-rule --name spot-drainer-prod-asg-terminate-lifecycle',
    });

    eventBridge.reset();
    eventBridge
      .on(DescribeRuleCommand)
      .rejects(Object.assign(new Error('Rule does not exist'), { name: 'ResourceNotFoundException' }));
    const missing = await ruleCheck(client, deployment, lifecycleRule());
    expect(missing).toMatchObject({ status: 'fail', detail: 'not found on the default event bus' });
  });

  it('fails a rule that targets something else, and skips one switched off', async () => {
    deployedRule(LIFECYCLE_PATTERN);
    eventBridge.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'x', Arn: `${functionArn}-old` }] });
    const result = await ruleCheck(new EventBridgeClient({ region }), deployment, lifecycleRule());
    expect(result.status).toBe('fail');
    const health = deployment.rules.find((rule) => rule.logicalId === 'HealthScheduledChangeRule');
    expect(health && (await ruleCheck(new EventBridgeClient({ region }), deployment, health)).status).toBe(
      'skip',
    );
    expect(eventBridge.commandCalls(DescribeRuleCommand, { Name: health?.name })).toHaveLength(0);
  });
});

describe('the function role and its EKS access entry', () => {
  it('passes an access entry in the group rbac.yaml binds, with no access policy', async () => {
    iam.on(GetRoleCommand, { RoleName: 'spot-drainer-prod-eu-west-1-lambdaRole' }).resolves({
      Role: { Arn: roleArn, RoleName: 'x', Path: '/', RoleId: 'AROA', CreateDate: new Date() },
    });
    eks.on(DescribeAccessEntryCommand, { clusterName: 'shop', principalArn: roleArn }).resolves({
      accessEntry: {
        kubernetesGroups: ['spot-drainer'],
        type: 'STANDARD',
        username: 'arn:aws:sts::123456789012:assumed-role/r/{{SessionName}}',
      },
    });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [] });
    const role = await functionRole(new IAMClient({ region }), deployment);
    expect(role.result.status).toBe('pass');
    const entry = await accessEntryCheck(new EKSClient({ region }), deployment, roleArn, manifest);
    expect(entry.result.status).toBe('pass');
    expect(entry.identity).toEqual({
      user: 'arn:aws:sts::123456789012:assumed-role/r/{{SessionName}}',
      groups: ['spot-drainer'],
    });
  });

  it('fails an entry in another group, one with an access policy, and a missing one', async () => {
    const client = new EKSClient({ region });
    eks
      .on(DescribeAccessEntryCommand)
      .resolves({ accessEntry: { kubernetesGroups: ['drainers'], type: 'STANDARD' } });
    const wrongGroup = await accessEntryCheck(client, deployment, roleArn, manifest);
    expect(wrongGroup.result).toMatchObject({ status: 'fail' });
    expect(wrongGroup.result.fix).toContain('--kubernetes-groups spot-drainer');

    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { kubernetesGroups: ['spot-drainer'] } });
    const admin = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
    eks
      .on(ListAssociatedAccessPoliciesCommand)
      .resolves({ associatedAccessPolicies: [{ policyArn: admin }] });
    const policy = await accessEntryCheck(client, deployment, roleArn, manifest);
    expect(policy.result.status).toBe('fail');
    expect(policy.result.detail).toContain(admin);

    eks
      .on(DescribeAccessEntryCommand)
      .rejects(Object.assign(new Error('no entry'), { name: 'ResourceNotFoundException' }));
    expect((await accessEntryCheck(client, deployment, roleArn, manifest)).result.status).toBe('fail');
    iam.on(GetRoleCommand).rejects(Object.assign(new Error('no role'), { name: 'NoSuchEntityException' }));
    expect((await functionRole(new IAMClient({ region }), deployment)).result.status).toBe('fail');
  });

  it('skips the access entry when the stack does not create one', async () => {
    const withoutEntry = await readAwsDeployment('prod', region, {
      clusterName: 'shop',
      createEksAccessEntry: 'false',
    });
    const entry = await accessEntryCheck(new EKSClient({ region }), withoutEntry, roleArn, manifest);
    expect(entry.result.status).toBe('skip');
    expect(eks.commandCalls(DescribeAccessEntryCommand)).toHaveLength(0);
  });
});

const group = (name: string, cluster = 'shop') => ({
  AutoScalingGroupName: name,
  MinSize: 0,
  MaxSize: 3,
  DesiredCapacity: 1,
  DefaultCooldown: 300,
  AvailabilityZones: ['eu-west-1a'],
  HealthCheckType: 'EC2',
  CreatedTime: new Date(),
  Tags: [{ Key: 'eks:cluster-name', Value: cluster }],
});

describe('node groups and their terminate lifecycle hooks', () => {
  it("takes the cluster's groups named with the prefix, and no other", async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group('eks-spot-a'), group('eks-ondemand-b'), group('eks-spot-c', 'other')],
    });
    const found = await clusterGroups(new AutoScalingClient({ region }), deployment);
    expect(found.map((candidate) => candidate.AutoScalingGroupName)).toEqual(['eks-spot-a']);
  });

  it('passes a hook named as the rule matches with the heartbeat timeout of the setting', async () => {
    autoScaling.on(DescribeLifecycleHooksCommand, { AutoScalingGroupName: 'eks-spot-a' }).resolves({
      LifecycleHooks: [
        {
          LifecycleHookName: 'eks-managed',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: 60,
        },
        {
          LifecycleHookName: 'spot-drainer-terminate',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: deployment.lifecycleHookTimeoutSeconds,
          DefaultResult: 'CONTINUE',
        },
      ],
    });
    const result = await lifecycleHookCheck(new AutoScalingClient({ region }), deployment, 'eks-spot-a');
    expect(result.status).toBe('pass');
  });

  it('fails a group without the hook, and a hook whose heartbeat timeout is not the setting', async () => {
    const client = new AutoScalingClient({ region });
    autoScaling.on(DescribeLifecycleHooksCommand).resolves({
      LifecycleHooks: [
        { LifecycleHookName: 'eks-managed', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING' },
      ],
    });
    const missing = await lifecycleHookCheck(client, deployment, 'eks-spot-a');
    expect(missing.status).toBe('fail');
    expect(missing.fix).toContain('--lifecycle-hook-name spot-drainer-terminate');
    expect(missing.fix).toContain(`--heartbeat-timeout ${deployment.lifecycleHookTimeoutSeconds}`);

    autoScaling.on(DescribeLifecycleHooksCommand).resolves({
      LifecycleHooks: [
        {
          LifecycleHookName: 'spot-drainer-terminate',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: 300,
        },
      ],
    });
    const short = await lifecycleHookCheck(client, deployment, 'eks-spot-a');
    expect(short.status).toBe('fail');
    expect(short.detail).toContain('HeartbeatTimeout 300 s');
    expect(short.fix).toContain('--param lifecycleHookTimeoutSeconds=300');
  });
});

const instance = (id: string, tags: Record<string, string>) => ({
  InstanceId: id,
  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
});

describe('the managed tag', () => {
  it('passes when every instance of the cluster carries it', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [instance('i-1', { 'eks:cluster-name': 'shop', 'spot-drainer.io/managed': 'true' })] },
      ],
    });
    const result = await managedTagCheck(new EC2Client({ region }), deployment);
    expect(result).toMatchObject({
      status: 'pass',
      detail: 'all 1 instances carry spot-drainer.io/managed=true',
    });
  });

  it('fails naming the instances the handler would leave alone (no tag, another value)', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instance('i-1', { 'eks:cluster-name': 'shop', 'spot-drainer.io/managed': 'true' }),
            instance('i-2', { 'eks:cluster-name': 'shop' }),
            instance('i-3', { 'eks:cluster-name': 'shop', 'spot-drainer.io/managed': 'false' }),
          ],
        },
      ],
    });
    const result = await managedTagCheck(new EC2Client({ region }), deployment);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('2 of 3 instances');
    expect(result.detail).toContain('i-2, i-3');
  });

  it('skips when no managed tag is set', async () => {
    const untagged = await readAwsDeployment('prod', region, { clusterName: 'shop' });
    expect((await managedTagCheck(new EC2Client({ region }), untagged)).status).toBe('skip');
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });
});

/**
 * The doctor's AWS checks of the cluster's machines: its Auto Scaling groups carry the terminate
 * lifecycle hook the lifecycle rule is scoped to, with the heartbeat timeout the handler assumes
 * (lifecycleHookTimeoutSeconds: the deadline when the hook cannot be described; see
 * src/providers/aws/lifecycle-hook-timeouts.ts), and its instances carry the managed tag, judged by the
 * handler's own rule (identifyCluster).
 */
import {
  type AutoScalingClient,
  type AutoScalingGroup,
  DescribeLifecycleHooksCommand,
  type LifecycleHook,
  paginateDescribeAutoScalingGroups,
} from '@aws-sdk/client-auto-scaling';
import { type EC2Client, type Filter, type Instance, paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { loadConfig } from '../../config.ts';
import { identifyCluster } from '../../providers/aws/cluster.ts';
import { clusterNameFromTags } from '../../providers/aws/instances.ts';
import { type CheckResult, fail, pass, skip } from './check.ts';
import type { AwsDeployment } from './serverless-template.ts';

const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';

const tagMap = (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined) =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

/** The cluster's Auto Scaling groups (by the tags EKS and the cloud provider put on them) named `asgNamePrefix*`. */
export async function clusterGroups(
  client: AutoScalingClient,
  deployment: AwsDeployment,
): Promise<AutoScalingGroup[]> {
  const groups: AutoScalingGroup[] = [];
  for await (const page of paginateDescribeAutoScalingGroups({ client }, {})) {
    for (const group of page.AutoScalingGroups ?? []) {
      if (
        clusterNameFromTags(tagMap(group.Tags)) === deployment.clusterName &&
        (group.AutoScalingGroupName ?? '').startsWith(deployment.asgNamePrefix)
      )
        groups.push(group);
    }
  }
  return groups;
}

function putHookCommand(group: string, deployment: AwsDeployment, hook: string): string {
  return `aws autoscaling put-lifecycle-hook --auto-scaling-group-name ${group} --lifecycle-hook-name ${hook} --lifecycle-transition ${TERMINATING} --heartbeat-timeout ${deployment.lifecycleHookTimeoutSeconds} --default-result CONTINUE`;
}

/**
 * One group's terminate hook: one of `lifecycleHookName` on the terminating transition, whose
 * HeartbeatTimeout is lifecycleHookTimeoutSeconds (the handler takes the deadline from the setting
 * whenever it cannot describe the hook, and a dry run or a replay always does).
 */
export async function lifecycleHookCheck(
  client: AutoScalingClient,
  deployment: AwsDeployment,
  group: string,
): Promise<CheckResult> {
  const name = `terminate lifecycle hook of ${group}`;
  const output = await client.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group }));
  const hooks: LifecycleHook[] = output.LifecycleHooks ?? [];
  const hook = hooks.find(
    (candidate) =>
      deployment.lifecycleHookNames.includes(candidate.LifecycleHookName ?? '') &&
      candidate.LifecycleTransition === TERMINATING,
  );
  const wanted = deployment.lifecycleHookNames[0] ?? 'spot-drainer-terminate';
  if (!hook) {
    const others = hooks.map((candidate) => candidate.LifecycleHookName).join(', ');
    const detail = `no terminate hook named ${deployment.lifecycleHookNames.join(' or ')}${others ? ` (has ${others})` : ''}: the lifecycle rule delivers nothing for this group`;
    return fail(name, detail, putHookCommand(group, deployment, wanted));
  }
  const timeout = hook.HeartbeatTimeout ?? 3600;
  if (timeout !== deployment.lifecycleHookTimeoutSeconds) {
    const detail = `${hook.LifecycleHookName}: HeartbeatTimeout ${timeout} s, but lifecycleHookTimeoutSeconds is ${deployment.lifecycleHookTimeoutSeconds} s, the deadline the handler assumes when it cannot describe the hook`;
    const fix = `${putHookCommand(group, deployment, hook.LifecycleHookName ?? wanted)}, or deploy with --param lifecycleHookTimeoutSeconds=${timeout}`;
    return fail(name, detail, fix);
  }
  return pass(
    name,
    `${hook.LifecycleHookName}: HeartbeatTimeout ${timeout} s as lifecycleHookTimeoutSeconds, default result ${hook.DefaultResult}`,
  );
}

/** The running and pending instances EC2 tags as the cluster's (EKS, Karpenter and cloud-provider tags). */
async function clusterInstances(client: EC2Client, cluster: string): Promise<Instance[]> {
  const states: Filter = { Name: 'instance-state-name', Values: ['pending', 'running'] };
  const byTag: Filter[] = [
    ...['eks:cluster-name', 'aws:eks:cluster-name', 'eks:eks-cluster-name'].map((key) => ({
      Name: `tag:${key}`,
      Values: [cluster],
    })),
    { Name: `tag:kubernetes.io/cluster/${cluster}`, Values: ['owned', 'shared'] },
  ];
  const found = new Map<string, Instance>();
  for (const filter of byTag)
    for await (const page of paginateDescribeInstances({ client }, { Filters: [filter, states] }))
      for (const instance of page.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [])
        if (instance.InstanceId) found.set(instance.InstanceId, instance);
  return [...found.values()];
}

/** Every instance of the cluster is one the handler takes for its own under the managed tag setting. */
export async function managedTagCheck(client: EC2Client, deployment: AwsDeployment): Promise<CheckResult> {
  const name = `managed tag on the instances of ${deployment.clusterName}`;
  if (!deployment.managedTag)
    return skip(name, 'managedTag is not set: every instance of the cluster is handled');
  const config = loadConfig({
    SPOT_DRAINER_CLUSTER_NAME: deployment.clusterName,
    SPOT_DRAINER_MANAGED_TAG: deployment.managedTag,
  });
  const instances = await clusterInstances(client, deployment.clusterName);
  if (instances.length === 0)
    return fail(name, "no running instance is tagged as the cluster's", 'check clusterName');
  const refused = instances.flatMap((instance) => {
    const id = instance.InstanceId ?? '';
    const tags = tagMap(instance.Tags);
    const identity = identifyCluster(
      config,
      { instanceId: id, tags, clusterName: clusterNameFromTags(tags) },
      id,
    );
    return 'notOurs' in identity ? [id] : [];
  });
  if (refused.length === 0)
    return pass(name, `all ${instances.length} instances carry ${deployment.managedTag}`);
  const [key, value] = deployment.managedTag.split('=');
  return fail(
    name,
    `${refused.length} of ${instances.length} instances lack ${deployment.managedTag} and would be left alone: ${refused.slice(0, 5).join(', ')}${refused.length > 5 ? ', ...' : ''}`,
    `tag them in the launch template or node group (aws ec2 create-tags --resources <ids> --tags Key=${key}${value === undefined ? '' : `,Value=${value}`}), or change managedTag`,
  );
}

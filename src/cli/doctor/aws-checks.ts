/**
 * The doctor's AWS checks of the deployment itself, each one read-only call or a few: the EventBridge
 * rules of serverless.yml exist, are enabled, match the template's pattern and target the function; the
 * function's role exists and has its EKS access entry in the group infra/kubernetes/rbac.yaml binds, with
 * no access policy on top. The node groups' checks are in aws-node-checks.ts.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeAccessEntryCommand,
  type EKSClient,
  ListAssociatedAccessPoliciesCommand,
} from '@aws-sdk/client-eks';
import {
  DescribeRuleCommand,
  type EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { type CheckResult, fail, pass, skip } from './check.ts';
import type { RbacManifest } from './rbac-manifest.ts';
import type { AwsDeployment, ExpectedRule } from './serverless-template.ts';

/** The SDK clients the AWS checks call, one per service. */
export interface AwsClients {
  eventBridge: EventBridgeClient;
  eks: EKSClient;
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  iam: IAMClient;
}

const notFound = (error: unknown, ...names: string[]) => names.includes((error as Error)?.name);

/** `serverless deploy` with the stage, region and the params given to the doctor. */
export function deployCommand(deployment: AwsDeployment): string {
  return `npx serverless deploy --stage ${deployment.stage} --region ${deployment.region} --param clusterName=${deployment.clusterName}`;
}

/** JSON with sorted keys, so two patterns compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** One rule: exists, ENABLED, the template's pattern, the function among its targets. */
export async function ruleCheck(
  client: EventBridgeClient,
  deployment: AwsDeployment,
  rule: ExpectedRule,
): Promise<CheckResult> {
  const name = `EventBridge rule ${rule.name}`;
  if (!rule.enabled) return skip(name, `switched off (${rule.switchParam}=false)`);
  const deployed = await client.send(new DescribeRuleCommand({ Name: rule.name })).catch((error: unknown) => {
    if (notFound(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  });
  if (!deployed) return fail(name, 'not found on the default event bus', deployCommand(deployment));
  if (deployed.State !== 'ENABLED')
    return fail(name, `state ${deployed.State}`, `aws events enable-rule --name ${rule.name}`);
  const pattern = JSON.parse(deployed.EventPattern ?? '{}') as unknown;
  if (canonical(pattern) !== canonical(rule.pattern)) {
    return fail(
      name,
      `pattern ${JSON.stringify(pattern)} differs from serverless.yml's ${JSON.stringify(rule.pattern)}`,
      `${deployCommand(deployment)} (with the same --param values as the last deployment)`,
    );
  }
  const targets = await client.send(new ListTargetsByRuleCommand({ Rule: rule.name }));
  const arns = (targets.Targets ?? []).map((target) => target.Arn ?? '');
  if (!arns.some((arn) => arn.endsWith(`:function:${deployment.functionName}`))) {
    return fail(
      name,
      `does not target the function ${deployment.functionName} (targets: ${arns.join(', ') || 'none'})`,
      deployCommand(deployment),
    );
  }
  return pass(name, `ENABLED, pattern as in serverless.yml, targets ${deployment.functionName}`);
}

/** The function role's ARN (IAM GetRole), or undefined with a failed check when it does not exist. */
export async function functionRole(
  client: IAMClient,
  deployment: AwsDeployment,
): Promise<{ result: CheckResult; arn?: string }> {
  const name = `IAM role ${deployment.roleName}`;
  const role = await client
    .send(new GetRoleCommand({ RoleName: deployment.roleName }))
    .catch((error: unknown) => {
      if (notFound(error, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
      throw error;
    });
  const arn = role?.Role?.Arn;
  if (!arn) return { result: fail(name, 'not found', deployCommand(deployment)) };
  return { result: pass(name, arn), arn };
}

/** Who the cluster takes the function's role for: the access entry's username and groups. */
export interface MappedIdentity {
  user: string;
  groups: string[];
}

/**
 * The role's EKS access entry: present, of type STANDARD, in a group the manifest's binding binds, with
 * no access policy associated (those grant more than the ClusterRole). Skipped when the stack does not
 * create one (`createEksAccessEntry=false`: CONFIG_MAP mode or a kubeconfig).
 */
export async function accessEntryCheck(
  client: EKSClient,
  deployment: AwsDeployment,
  roleArn: string,
  manifest: RbacManifest,
): Promise<{ result: CheckResult; identity?: MappedIdentity }> {
  const name = `EKS access entry of the function's role on ${deployment.clusterName}`;
  if (!deployment.accessEntryGroups)
    return {
      result: skip(name, 'createEksAccessEntry=false: the role is mapped in aws-auth or a kubeconfig'),
    };
  const target = { clusterName: deployment.clusterName, principalArn: roleArn };
  const described = await client.send(new DescribeAccessEntryCommand(target)).catch((error: unknown) => {
    if (notFound(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  });
  const entry = described?.accessEntry;
  const groupsFlag = `--kubernetes-groups ${manifest.groups.join(' ')}`;
  if (!entry) {
    const fix = `${deployCommand(deployment)}, or aws eks create-access-entry --cluster-name ${deployment.clusterName} --principal-arn ${roleArn} ${groupsFlag}`;
    return { result: fail(name, `none for ${roleArn}`, fix) };
  }
  const groups = entry.kubernetesGroups ?? [];
  const identity = { user: entry.username ?? roleArn, groups };
  if (!groups.some((group) => manifest.groups.includes(group))) {
    const detail = `maps the role to groups [${groups.join(', ')}], none of which infra/kubernetes/rbac.yaml binds (${manifest.groups.join(', ')})`;
    const fix = `aws eks update-access-entry --cluster-name ${deployment.clusterName} --principal-arn ${roleArn} ${groupsFlag}`;
    return { result: fail(name, detail, fix), identity };
  }
  const policies = await client.send(new ListAssociatedAccessPoliciesCommand(target));
  const associated = (policies.associatedAccessPolicies ?? []).map((policy) => policy.policyArn ?? '');
  if (associated.length > 0) {
    const fix = `aws eks disassociate-access-policy --cluster-name ${deployment.clusterName} --principal-arn ${roleArn} --policy-arn ${associated[0]}`;
    return {
      result: fail(name, `access policies grant more than the ClusterRole: ${associated.join(', ')}`, fix),
      identity,
    };
  }
  return {
    result: pass(name, `${entry.type ?? 'STANDARD'}, groups [${groups.join(', ')}], no access policy`),
    identity,
  };
}

/**
 * What `serverless package` (and `deploy`, `deploy function`) checks before it builds anything, so that a
 * stack the function would refuse at cold start, or CloudFormation would refuse halfway through a
 * deployment, is never packaged (infra/aws/deployment-check.cjs runs it as an osls plugin):
 *
 * - the function's environment, as rendered from the params, against the same schema the function
 *   validates at cold start (src/config.ts), each problem named by its param and its variable;
 * - the params that are not settings of the function (DEPLOY_PARAMS), and the required ones;
 * - the names the stage and region put into the stack, against AWS's length limits.
 *
 * Values CloudFormation resolves at deployment (`{{resolve:...}}` dynamic references, intrinsic
 * functions) cannot be checked here; the function checks them at cold start.
 */
import { ConfigError, documentedSettings, loadConfig } from '../../src/config.ts';

/** A param of serverless.yml that is not a setting of the function (those are documented in src/config.ts). */
export interface DeployParam {
  name: string;
  /** What the value must be, in words (docs and messages). */
  expects: string;
  description: string;
  /** Why the value is wrong, or undefined when it is right. `params` holds every resolved param. */
  problem?: (value: string, params: Readonly<Record<string, string>>) => string | undefined;
}

/** What a deployment must name, with how to pass it: serverless.yml gives these an empty default. */
export const REQUIRED_PARAMS: Readonly<Record<string, string>> = {
  clusterName: 'the EKS cluster whose nodes this stack drains (one stack per cluster and region)',
};

/** What a param that sets a setting also does to the stack (infra/README.md's params table). */
export const STACK_EFFECTS: Readonly<Record<string, string>> = {
  clusterName: 'Also the scope of `eks:DescribeCluster` and the cluster of the access entry.',
  kubeconfigSource:
    'An `ssm:` or `secretsmanager:` reference (name or ARN) is granted `ssm:GetParameter` or `secretsmanager:GetSecretValue` on exactly that one.',
  slackUrl: 'An `ssm:` or `secretsmanager:` reference is granted read permission on exactly that one.',
  webhookUrl: 'An `ssm:` or `secretsmanager:` reference is granted read permission on exactly that one.',
};

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const SWITCH = "'true' or 'false'";
const isSwitch = (value: string) =>
  value === 'true' || value === 'false' ? undefined : `expected ${SWITCH}`;

/** Each item of a comma-separated list matches `pattern`; `max` items at most. */
function listOf(pattern: RegExp, what: string, max = Number.POSITIVE_INFINITY) {
  return (value: string) => {
    const items = list(value);
    const bad = items.filter((item) => !pattern.test(item));
    if (bad.length > 0)
      return `${bad.map((item) => JSON.stringify(item)).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not ${what}`;
    if (items.length > max) return `at most ${max} allowed, got ${items.length}`;
    return undefined;
  };
}

const ARN = (service: string, resource: string) =>
  new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}$`);
const KMS_KEY = ARN('kms', 'key/[A-Za-z0-9-]+');
const SNS_TOPIC = ARN('sns', '[A-Za-z0-9_-]{1,256}(\\.fifo)?');
const SUBNET = /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;
const LIFECYCLE_HOOK = /^[A-Za-z0-9_/-]{1,255}$/;
// Lambda accepts at most 16 subnets and 5 security groups in a VPC configuration.
const MAX_SUBNETS = 16;
const MAX_SECURITY_GROUPS = 5;

const requiredWithVpc = (name: string) => (value: string, params: Readonly<Record<string, string>>) =>
  params.enableVpc === 'true' && list(value).length === 0
    ? `enableVpc=true needs ${name} (comma-separated ids)`
    : undefined;

/** The params of serverless.yml that configure the stack rather than the function, in the order of its `params.default`. */
export const DEPLOY_PARAMS: readonly DeployParam[] = [
  {
    name: 'createEksAccessEntry',
    expects: SWITCH,
    description:
      "Grant the function's role the Kubernetes group `spot-drainer` with an EKS access entry. `false` for clusters in `CONFIG_MAP` authentication mode (map the role in `aws-auth`) or non-EKS clusters reached through a kubeconfig.",
    problem: isSwitch,
  },
  {
    name: 'kubeconfigKmsKeyArn',
    expects: 'KMS key ARNs, comma-separated',
    description:
      'Customer managed key(s) of the referenced parameters and secrets (`kubeconfigSource`, `slackUrl`, `webhookUrl`): `kms:Decrypt` through SSM / Secrets Manager only. Empty for the AWS managed keys.',
    problem: listOf(KMS_KEY, 'a KMS key ARN'),
  },
  {
    name: 'asgNamePrefix',
    expects: 'the start of Auto Scaling group names',
    description:
      'Scope of the lifecycle-action permissions and of the lifecycle rule: groups whose name starts with this (EKS managed node groups are named `eks-<nodegroup>-<uuid>`). Empty: every group in the account and region.',
    problem: (value) => (value.length > 255 ? 'longer than an Auto Scaling group name (255)' : undefined),
  },
  {
    name: 'lifecycleHookName',
    expects: 'lifecycle hook names, comma-separated',
    description:
      "The terminate lifecycle hook(s) the function completes: the rule matches only these hook names, never EKS managed node groups' own hooks or anybody else's.",
    problem: (value) =>
      list(value).length === 0
        ? 'name the terminate lifecycle hook(s) spot-drainer completes'
        : listOf(LIFECYCLE_HOOK, 'a lifecycle hook name')(value),
  },
  ...(
    [
      ['enableSpotInterruptionWarning', 'EC2 Spot Instance Interruption Warning'],
      ['enableRebalanceRecommendation', 'EC2 Instance Rebalance Recommendation'],
      ['enableInstanceStateChange', 'EC2 Instance State-change Notification'],
      ['enableAsgTerminateLifecycle', 'EC2 Instance-terminate Lifecycle Action'],
      ['enableHealthScheduledChange', 'AWS Health scheduled change of EC2'],
      ['enableCapacityReservationInterruption', 'EC2 Capacity Reservation Instance Interruption Warning'],
    ] as const
  ).map(([name, kind]) => ({
    name,
    expects: SWITCH,
    description: `The EventBridge rule for ${kind}; \`false\`: no rule and no invoke permission in the stack.`,
    problem: isSwitch,
  })),
  {
    name: 'reservedConcurrency',
    expects: 'a whole number, or empty',
    description: 'Reserved concurrency of the function. Empty: unreserved.',
    problem: (value) => (value === '' || /^\d+$/.test(value) ? undefined : 'expected a whole number'),
  },
  {
    name: 'enableVpc',
    expects: SWITCH,
    description:
      "Run the function in the cluster's VPC (private EKS API endpoint), with `subnetIds` and `securityGroupIds`; attaches `AWSLambdaVPCAccessExecutionRole`.",
    problem: isSwitch,
  },
  {
    name: 'securityGroupIds',
    expects: `security group ids, comma-separated (at most ${MAX_SECURITY_GROUPS})`,
    description: 'Security groups of the function in the VPC (`enableVpc=true`).',
    problem: (value, params) =>
      requiredWithVpc('securityGroupIds')(value, params) ??
      listOf(SECURITY_GROUP, 'a security group id', MAX_SECURITY_GROUPS)(value),
  },
  {
    name: 'subnetIds',
    expects: `subnet ids, comma-separated (at most ${MAX_SUBNETS})`,
    description:
      'Subnets of the function in the VPC (`enableVpc=true`); they must reach the EKS endpoint and the AWS APIs.',
    problem: (value, params) =>
      requiredWithVpc('subnetIds')(value, params) ?? listOf(SUBNET, 'a subnet id', MAX_SUBNETS)(value),
  },
  {
    name: 'alarmTopicArn',
    expects: 'an SNS topic ARN, or empty',
    description:
      'SNS topic the dead-letter and missed-deadline alarms notify. Empty: the alarms exist but notify nobody.',
    problem: (value) => (value === '' || SNS_TOPIC.test(value) ? undefined : 'expected an SNS topic ARN'),
  },
];

/** Length limits of the names a stack gives its resources, by resource type and name property. */
export const NAME_LIMITS: Readonly<Record<string, { property: string; max: number }>> = {
  'AWS::Events::Rule': { property: 'Name', max: 64 },
  'AWS::Lambda::Function': { property: 'FunctionName', max: 64 },
  'AWS::IAM::Role': { property: 'RoleName', max: 64 },
  'AWS::IAM::Policy': { property: 'PolicyName', max: 128 },
  'AWS::SQS::Queue': { property: 'QueueName', max: 80 },
  'AWS::SNS::Topic': { property: 'TopicName', max: 256 },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', max: 255 },
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', max: 255 },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', max: 512 },
};

/** One named resource of the stack: its logical id, type and name (a string or a CloudFormation function). */
export interface NamedResource {
  logicalId: string;
  type: string;
  name: unknown;
}

/** What the check reads, as osls has resolved it. */
export interface Deployment {
  stage: string;
  region: string;
  /** Every param, resolved as `${param:...}` sees it (`--param`, `params.<stage>`, `params.default`). */
  params: Readonly<Record<string, string>>;
  /** The function's environment variables. */
  environment: Readonly<Record<string, unknown>>;
  /** The resources whose names the stack sets. */
  resources: readonly NamedResource[];
}

/**
 * Every problem of a deployment, one line each, naming the param to change (empty when there is none).
 * Never throws for bad input: the caller decides how to fail.
 */
export function deploymentProblems(deployment: Deployment): string[] {
  return [
    ...requiredProblems(deployment),
    ...settingProblems(deployment),
    ...paramProblems(deployment),
    ...nameProblems(deployment),
  ];
}

function requiredProblems({ params }: Deployment): string[] {
  return Object.entries(REQUIRED_PARAMS)
    .filter(([name]) => (params[name] ?? '').trim() === '')
    .map(
      ([name, what]) =>
        `${name} is required: ${what}. Pass it with \`--param ${name}=<value>\`, or set it under \`params.<stage>\` in serverless.yml.`,
    );
}

/**
 * The text the function will read, or undefined for a value CloudFormation resolves at deployment (a
 * `{{resolve:...}}` dynamic reference, an intrinsic function), which only the function can check.
 */
function checkableText(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && !value.includes('{{resolve:') ? value : undefined;
}

function settingProblems({ environment }: Deployment): string[] {
  const checkable: Record<string, string> = {};
  for (const [variable, value] of Object.entries(environment)) {
    const text = checkableText(value);
    if (text !== undefined) checkable[variable] = text;
  }
  try {
    loadConfig(checkable);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const params = new Map(documentedSettings().map((setting) => [setting.variable, setting.serverless]));
    // `SPOT_DRAINER_DRY_RUN: expected ...` becomes `dryRun (SPOT_DRAINER_DRY_RUN): expected ...`.
    return error.issues.map((issue) => {
      const param = [params.get(issue.variable) ?? []].flat()[0];
      if (!param || !issue.message.startsWith(issue.variable)) return issue.message;
      return `${param} (${issue.variable})${issue.message.slice(issue.variable.length)}`;
    });
  }
}

function paramProblems({ params }: Deployment): string[] {
  return DEPLOY_PARAMS.flatMap((param) => {
    const value = (params[param.name] ?? '').trim();
    const problem = param.problem?.(value, params);
    return problem ? [`${param.name}: ${problem}, got ${JSON.stringify(value)}`] : [];
  });
}

/** A name as the stack will have it (an account id has 12 digits); undefined when it depends on something else. */
function evaluateName(name: unknown, region: string): string | undefined {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': '123456789012',
    'AWS::Partition': partition,
    'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
  };
  if (typeof name === 'string') return name;
  if (typeof name !== 'object' || name === null) return undefined;
  const record = name as Record<string, unknown>;
  if (typeof record.Ref === 'string') return pseudo[record.Ref];
  const sub = record['Fn::Sub'];
  if (typeof sub === 'string') {
    const text = sub.replace(/\$\{([^}]+)\}/g, (whole, key: string) => pseudo[key] ?? whole);
    return text.includes('${') ? undefined : text;
  }
  const join = record['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map((part: unknown) => evaluateName(part, region));
    return parts.every((part) => part !== undefined) ? parts.join(join[0]) : undefined;
  }
  return undefined;
}

function nameProblems({ stage, region, resources }: Deployment): string[] {
  const problems: string[] = [];
  let longestStage = Number.POSITIVE_INFINITY;
  for (const resource of resources) {
    const limit = NAME_LIMITS[resource.type];
    const name = evaluateName(resource.name, region);
    if (!limit || name === undefined || name.length <= limit.max) continue;
    problems.push(
      `${resource.type} ${resource.logicalId}: the name "${name}" is ${name.length} characters long, AWS allows ${limit.max}`,
    );
    if (name.includes(stage)) longestStage = Math.min(longestStage, limit.max - (name.length - stage.length));
  }
  if (problems.length > 0 && Number.isFinite(longestStage)) {
    problems.unshift(
      `stage "${stage}" (${stage.length} characters) makes names longer than AWS allows: use a stage name of at most ${Math.max(longestStage, 0)} characters`,
    );
  }
  return problems;
}

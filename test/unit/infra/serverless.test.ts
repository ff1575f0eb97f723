// Packages serverless.yml with osls + serverless-esbuild (offline, no AWS credentials) and checks the
// generated CloudFormation template: one EventBridge rule per event kind with the right pattern, the
// failure path (retries, dead-letter queue), the EKS access entry, the runtime, and least-privilege IAM.
//
// Packaging runs the real bundler and takes a while. Skip it ONLY on purpose:
//   SPOT_DRAINER_SKIP_PACKAGE_TESTS=1 npx vitest run --project unit test/unit/infra
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_NAMESPACE } from '../../../src/telemetry/powertools.ts';
import { awsDocuments, metricsOfDocuments } from '../telemetry/emitted-metrics.ts';
import {
  dashboardBody,
  insightsQuery,
  searchesIn,
  searchProblems,
  widgetExpressions,
} from './cloudwatch-references.ts';
import { cfnLint, checkov, skipValidators } from './validators.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const skip = process.env.SPOT_DRAINER_SKIP_PACKAGE_TESTS === '1';
if (skip) {
  console.warn('serverless packaging tests SKIPPED because SPOT_DRAINER_SKIP_PACKAGE_TESTS=1');
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked loosely on purpose
type Json = Record<string, any>;
interface Template {
  Resources: Record<string, { Type: string; Properties: Json; Condition?: string; DependsOn?: unknown }>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, Json>;
}

const workDirs: string[] = [];

/** Every optional feature on: what the validators must pass besides the defaults. */
const ALL_FEATURES: Record<string, string> = {
  enableVpc: 'true',
  securityGroupIds: 'sg-0123456789abcdef0',
  subnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  kubeconfigSource: 'secretsmanager:spot-drainer/kubeconfig',
  slackUrl: 'ssm:/spot-drainer/slack-url',
  webhookUrl:
    'secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:spot-drainer/webhook-AbC123',
  kubeconfigKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/0b7a3e3e-1111-4222-8333-444455556666',
  reservedConcurrency: '50',
  alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:platform-alerts',
  managedTag: 'spot-drainer.io/managed=true',
  asgNamePrefix: 'eks-spot-',
};

/** `serverless package` into a temp dir; returns the template, its path and the artifact bytes. */
async function packageService(params: Record<string, string> = {}, stage = 'test') {
  const out = mkdtempSync(join(tmpdir(), 'spot-drainer-sls-'));
  workDirs.push(out);
  const args = [
    join(root, 'node_modules/osls/bin/serverless.js'),
    'package',
    '--stage',
    stage,
    '--region',
    'us-east-1',
    '--package',
    out,
    ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
  ];
  // Packaging makes no AWS call; make sure nothing could wait on instance metadata either.
  const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1' };
  await run(process.execPath, args, { cwd: root, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
  const templatePath = join(out, 'cloudformation-template-update-stack.json');
  const template = JSON.parse(readFileSync(templatePath, 'utf8'));
  const artifact = readFileSync(join(out, 'spot-drainer.zip'));
  return { template: template as Template, templatePath, artifact };
}

/** The output of a `serverless package` that must fail; undefined when it succeeded. */
async function packagingFailure(params: Record<string, string>, stage = 'test') {
  return packageService(params, stage).then(
    () => undefined,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout}\n${error.stderr}`,
  );
}

/** Minimal EventBridge pattern matching: arrays of exact values or `{ prefix }`, nested objects. */
function matches(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      return expected.some((value: unknown) =>
        typeof value === 'object' && value !== null && 'prefix' in value
          ? typeof actual === 'string' && actual.startsWith(String(value.prefix))
          : value === actual,
      );
    }
    return typeof actual === 'object' && actual !== null && matches(expected, actual);
  });
}

const ruleIds = {
  spotInterruptionWarning: 'SpotInterruptionWarningRule',
  rebalanceRecommendation: 'RebalanceRecommendationRule',
  instanceStateChange: 'InstanceStateChangeRule',
  asgTerminateLifecycle: 'AsgTerminateLifecycleRule',
  healthScheduledChange: 'HealthScheduledChangeRule',
  capacityReservationInterruption: 'CapacityReservationInterruptionRule',
} as const;

// One sample per kind (shapes as in /work/shared/events/aws), plus events that must not match.
const samples: Record<keyof typeof ruleIds, Json> = {
  spotInterruptionWarning: {
    source: 'aws.ec2',
    'detail-type': 'EC2 Spot Instance Interruption Warning',
    detail: { 'instance-id': 'i-0b662ef9931388ba0', 'instance-action': 'terminate' },
  },
  rebalanceRecommendation: {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance Rebalance Recommendation',
    detail: { 'instance-id': 'i-0b662ef9931388ba0' },
  },
  instanceStateChange: {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    detail: { 'instance-id': 'i-0b662ef9931388ba0', state: 'shutting-down' },
  },
  asgTerminateLifecycle: {
    source: 'aws.autoscaling',
    'detail-type': 'EC2 Instance-terminate Lifecycle Action',
    detail: {
      EC2InstanceId: 'i-0a1b2c3d4e5f60718',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      LifecycleHookName: 'spot-drainer-terminate',
      AutoScalingGroupName: 'eks-spot-pool-a-2ec5b4f2',
    },
  },
  healthScheduledChange: {
    source: 'aws.health',
    'detail-type': 'AWS Health Event',
    detail: {
      service: 'EC2',
      eventTypeCategory: 'scheduledChange',
      eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
    },
  },
  capacityReservationInterruption: {
    source: 'aws.ec2',
    'detail-type': 'EC2 Capacity Reservation Instance Interruption Warning',
    detail: { 'instance-id': 'i-0d2e3f405162738a9', 'instance-action': 'terminate' },
  },
};
const unrelated: Json[] = [
  {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    detail: { state: 'running' },
  },
  {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    detail: { state: 'pending' },
  },
  {
    source: 'aws.health',
    'detail-type': 'AWS Health Event',
    detail: { service: 'EC2', eventTypeCategory: 'issue' },
  },
  {
    source: 'aws.health',
    'detail-type': 'AWS Health Event',
    detail: { service: 'RDS', eventTypeCategory: 'scheduledChange' },
  },
  { source: 'aws.autoscaling', 'detail-type': 'EC2 Instance-launch Lifecycle Action', detail: {} },
  // An EKS managed node group's own hook, and a hook of another team on the same groups: not ours.
  {
    source: 'aws.autoscaling',
    'detail-type': 'EC2 Instance-terminate Lifecycle Action',
    detail: {
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      LifecycleHookName: 'Terminate-LC-Hook',
      AutoScalingGroupName: 'eks-spot-pool-a-2ec5b4f2',
    },
  },
  {
    source: 'aws.autoscaling',
    'detail-type': 'EC2 Instance-terminate Lifecycle Action',
    detail: {
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      LifecycleHookName: 'backup-before-terminate',
      AutoScalingGroupName: 'eks-spot-pool-a-2ec5b4f2',
    },
  },
  // Our hook name on a group outside asgNamePrefix (the function may not complete it there).
  {
    source: 'aws.autoscaling',
    'detail-type': 'EC2 Instance-terminate Lifecycle Action',
    detail: {
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      LifecycleHookName: 'spot-drainer-terminate',
      AutoScalingGroupName: 'batch-workers',
    },
  },
];

// Actions AWS accepts only with Resource '*' (no resource-level permissions). Anything else with
// Resource '*' fails the test.
//   ec2:DescribeInstances              - EC2 Describe* actions support neither resource ARNs nor conditions
//   autoscaling:DescribeLifecycleHooks - Auto Scaling Describe* actions support no resource-level permission
const UNSCOPABLE_ACTIONS = new Set(['ec2:DescribeInstances', 'autoscaling:DescribeLifecycleHooks']);
// AWS managed policies the role may carry, and when.
const VPC_POLICY = /:iam::aws:policy\/service-role\/AWSLambdaVPCAccessExecutionRole$/;

function statementsOf(template: Template): { source: string; statement: Json }[] {
  const out: { source: string; statement: Json }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::IAM::Role') {
      for (const policy of r.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) out.push({ source: id, statement });
      }
    }
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      for (const statement of r.Properties.PolicyDocument.Statement) out.push({ source: id, statement });
    }
  }
  return out;
}
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe.skipIf(skip)('serverless.yml (osls package --stage test --region us-east-1)', () => {
  let template: Template;
  let artifact: Buffer;
  let variant: Template; // rule and access entry off, VPC, secret references, reserved concurrency on
  let templatePath: string;
  let allFeaturesPath: string;

  beforeAll(async () => {
    // One at a time: serverless-esbuild builds in the service directory.
    const packaged = await packageService();
    const allFeatures = await packageService(ALL_FEATURES);
    const packagedVariant = await packageService({
      enableHealthScheduledChange: 'false',
      createEksAccessEntry: 'false',
      enableVpc: 'true',
      securityGroupIds: 'sg-0123456789abcdef0',
      subnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
      kubeconfigSource: 'ssm:/spot-drainer/kubeconfig',
      slackUrl: 'secretsmanager:spot-drainer/slack',
      webhookUrl: 'ssm:spot-drainer-webhook',
      kubeconfigKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/0b7a3e3e-1111-4222-8333-444455556666',
      reservedConcurrency: '20',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:platform-alerts',
      lifecycleHookName: 'spot-drainer-terminate,drain-before-terminate',
      createDashboard: 'false',
    });
    ({ template, templatePath, artifact } = packaged);
    allFeaturesPath = allFeatures.templatePath;
    variant = packagedVariant.template;
  }, 600_000);

  afterAll(() => {
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  });

  const resourcesOfType = (t: Template, type: string) =>
    Object.entries(t.Resources).filter(([, r]) => r.Type === type);

  it('defines the drainer function: Node.js 22, arm64, 512 MB, 15 min, ESM bundle', () => {
    const fn = template.Resources.DrainerLambdaFunction!;
    expect(fn.Type).toBe('AWS::Lambda::Function');
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 900,
      Handler: 'functions/aws/handler.handler',
    });
    // the zip holds the bundled ESM handler, marked as ESM by a package.json beside it, and its source
    // map (names are stored uncompressed)
    const names = artifact.toString('latin1');
    expect(names).toContain('functions/aws/handler.js');
    expect(names).toContain('functions/aws/handler.js.map');
    expect(names).toContain('functions/aws/package.json');
    expect(names).not.toContain('.mjs');
    expect(names).not.toContain('node_modules/');
  });

  it('sets the settings the function reads, optional ones empty (unset) by default', () => {
    const vars = template.Resources.DrainerLambdaFunction!.Properties.Environment.Variables;
    expect(vars).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'spot-drainer',
      POWERTOOLS_METRICS_NAMESPACE: 'SpotDrainer',
      LOG_LEVEL: 'INFO',
      CLUSTER: 'spot-drainer-test',
      SPOT_DRAINER_CLUSTER_NAME: 'spot-drainer-test',
      SPOT_DRAINER_DRY_RUN: 'false',
      SPOT_DRAINER_DEADLINE_POLICY: 'respect-pdb',
      SPOT_DRAINER_EVICT_DAEMONSET_PODS: 'false',
      SPOT_DRAINER_DELETE_EMPTYDIR_DATA: 'true',
      SPOT_DRAINER_EVICTION_CONCURRENCY: '50',
      SPOT_DRAINER_EXCLUDE_FROM_LOAD_BALANCERS: 'true',
      SPOT_DRAINER_REBALANCE_ACTION: 'cordon',
    });
    for (const optional of [
      'SPOT_DRAINER_MANAGED_TAG',
      'SPOT_DRAINER_KUBECONFIG_SOURCE',
      'SLACK_URL',
      'SLACK_CHANNEL',
      'SPOT_DRAINER_WEBHOOK_URL',
      'SPOT_DRAINER_WEBHOOK_TEMPLATE',
    ]) {
      // Plain strings, not conditions: `serverless invoke local` cannot resolve Fn::If, and the
      // function reads an empty setting as unset.
      expect(vars[optional], optional).toBe('');
    }
    const variantVars = variant.Resources.DrainerLambdaFunction!.Properties.Environment.Variables;
    expect(variantVars.SPOT_DRAINER_KUBECONFIG_SOURCE).toBe('ssm:/spot-drainer/kubeconfig');
    expect(variantVars.SLACK_URL).toBe('secretsmanager:spot-drainer/slack');
    // Optional parts are rendered at package time: no condition over a package-time value remains.
    expect(template.Conditions ?? {}).toEqual({});
    expect(variant.Conditions ?? {}).toEqual({});
  });

  it('has one EventBridge rule per event kind, each with the exact pattern', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule');
    expect(rules.map(([id]) => id).sort()).toEqual(Object.values(ruleIds).sort());
    const pattern = (id: string) => template.Resources[id]!.Properties.EventPattern;
    expect(pattern(ruleIds.spotInterruptionWarning)).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Spot Instance Interruption Warning'],
    });
    expect(pattern(ruleIds.rebalanceRecommendation)).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance Rebalance Recommendation'],
    });
    const stateChange = pattern(ruleIds.instanceStateChange);
    expect(stateChange.source).toEqual(['aws.ec2']);
    expect(stateChange['detail-type']).toEqual(['EC2 Instance State-change Notification']);
    expect([...stateChange.detail.state].sort()).toEqual([
      'shutting-down',
      'stopped',
      'stopping',
      'terminated',
    ]);
    expect(Object.keys(stateChange.detail)).toEqual(['state']);
    expect(pattern(ruleIds.asgTerminateLifecycle)).toEqual({
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
      detail: {
        LifecycleHookName: ['spot-drainer-terminate'],
        LifecycleTransition: ['autoscaling:EC2_INSTANCE_TERMINATING'],
        AutoScalingGroupName: [{ prefix: 'eks-spot-' }],
      },
    });
    expect(pattern(ruleIds.healthScheduledChange)).toEqual({
      source: ['aws.health'],
      'detail-type': ['AWS Health Event'],
      detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
    });
    const capacity = pattern(ruleIds.capacityReservationInterruption);
    expect(capacity.source).toEqual(['aws.ec2']);
    expect([...capacity['detail-type']].sort()).toEqual([
      'EC2 Capacity Reservation Instance Interruption Warning',
      'EC2 Interruptible Capacity Reservation Instance Interruption Warning',
    ]);
  });

  it('routes each sample event to exactly its rule, and unrelated events to none', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule');
    for (const [kind, event] of Object.entries(samples)) {
      const matched = rules.filter(([, r]) => matches(r.Properties.EventPattern, event)).map(([id]) => id);
      expect(matched, kind).toEqual([ruleIds[kind as keyof typeof ruleIds]]);
    }
    const alternateSpelling = {
      ...samples.capacityReservationInterruption,
      'detail-type': 'EC2 Interruptible Capacity Reservation Instance Interruption Warning',
    };
    expect(rules.filter(([, r]) => matches(r.Properties.EventPattern, alternateSpelling))).toHaveLength(1);
    for (const event of unrelated) {
      expect(
        rules.filter(([, r]) => matches(r.Properties.EventPattern, event)),
        JSON.stringify(event),
      ).toEqual([]);
    }
  });

  it('targets the function from every rule, with a retry policy and the dead-letter queue', () => {
    for (const id of Object.values(ruleIds)) {
      const rule = template.Resources[id]!.Properties;
      expect(rule.State).toBe('ENABLED');
      expect(rule.Name).toMatch(/^spot-drainer-test-/);
      expect(rule.Targets).toHaveLength(1);
      const [target] = rule.Targets;
      expect(target.Arn).toEqual({ 'Fn::GetAtt': ['DrainerLambdaFunction', 'Arn'] });
      expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] });
    }
  });

  it('lets EventBridge invoke the function only from these rules', () => {
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission');
    expect(permissions).toHaveLength(Object.keys(ruleIds).length);
    const sources = permissions.map(([, p]) => {
      expect(p.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        // the same reference as the EventInvokeConfig's, so linters see the on-failure destination
        FunctionName: { Ref: 'DrainerLambdaFunction' },
      });
      return p.Properties.SourceArn['Fn::GetAtt'][0];
    });
    expect(sources.sort()).toEqual(Object.values(ruleIds).sort());
  });

  it('retries failed invocations twice within 5 minutes, then sends them to the dead-letter queue', () => {
    const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
    expect(configs).toHaveLength(1);
    const [, config] = configs[0]!;
    expect(config.Properties).toMatchObject({
      FunctionName: { Ref: 'DrainerLambdaFunction' },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 300,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] } } },
    });
    const queue = template.Resources.FailedEventsQueue!;
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties).toMatchObject({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
    // EventBridge may write dead letters of this stack's rules only
    const policy = template.Resources.FailedEventsQueuePolicy!.Properties.PolicyDocument.Statement;
    const allow = policy.find((s: Json) => s.Effect === 'Allow');
    expect(allow.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(allow.Action).toBe('sqs:SendMessage');
    expect(allow.Condition.ArnLike['aws:SourceArn']['Fn::Sub']).toMatch(/:rule\/spot-drainer-test-\*$/);
    // and someone hears about it
    const alarm = template.Resources.FailedEventsAlarm!.Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [],
      OKActions: [],
    });
    expect(variant.Resources.FailedEventsAlarm!.Properties).toMatchObject({
      AlarmActions: ['arn:aws:sns:us-east-1:123456789012:platform-alerts'],
      OKActions: ['arn:aws:sns:us-east-1:123456789012:platform-alerts'],
    });
  });

  it('alarms on missed deadlines of the cluster, from the metric the function writes', async () => {
    const alarm = template.Resources.DeadlinesMissedAlarm!.Properties;
    const env = template.Resources.DrainerLambdaFunction!.Properties.Environment.Variables;
    expect(alarm.Metrics).toHaveLength(1);
    const [query] = alarm.Metrics;
    expect(query).toMatchObject({ Period: 300, ReturnData: true });
    const { metric, namespace, where } = insightsQuery(query.Expression);
    // the namespace and dimensions the function writes its DeadlinesMissed metric with, as deployed
    expect(namespace).toBe(env.POWERTOOLS_METRICS_NAMESPACE);
    expect(namespace).toBe(DEFAULT_METRICS_NAMESPACE);
    const written = metricsOfDocuments(await awsDocuments(undefined, namespace)).filter(
      (m) => m.name === metric,
    );
    expect(written.length, `${metric} is written`).toBeGreaterThan(0);
    for (const dimension of Object.keys(where)) {
      for (const form of written) expect(form.dimensions, dimension).toContain(dimension);
    }
    // the function's cluster dimension is SPOT_DRAINER_CLUSTER_NAME
    expect(where).toEqual({ cluster: env.SPOT_DRAINER_CLUSTER_NAME });
    expect(alarm).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [],
      OKActions: [],
    });
    expect(variant.Resources.DeadlinesMissedAlarm!.Properties).toMatchObject({
      AlarmActions: ['arn:aws:sns:us-east-1:123456789012:platform-alerts'],
      OKActions: ['arn:aws:sns:us-east-1:123456789012:platform-alerts'],
    });
  });

  it('has a dashboard of metrics the function writes by default, none with createDashboard=false', async () => {
    const dashboard = template.Resources.Dashboard!;
    expect(dashboard.Type).toBe('AWS::CloudWatch::Dashboard');
    const namespace =
      template.Resources.DrainerLambdaFunction!.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE;
    const written = metricsOfDocuments(await awsDocuments(undefined, namespace));
    const searches = widgetExpressions(dashboardBody(dashboard)).flatMap((e) => searchesIn(e.expression));
    expect(searches.length).toBeGreaterThan(0);
    for (const search of searches) {
      expect(searchProblems(search, namespace, written)).toEqual([]);
      expect(search.filters.cluster).toBe('spot-drainer-test');
    }
    expect(template.Outputs?.DashboardUrl).toBeDefined();
    expect(resourcesOfType(variant, 'AWS::CloudWatch::Dashboard')).toEqual([]);
    expect(variant.Outputs?.DashboardUrl).toBeUndefined();
  });

  it('hands drains that outlive an invocation to its continuation queue, which invokes the same function', () => {
    const fn = template.Resources.DrainerLambdaFunction!.Properties;
    expect(fn.Environment.Variables.SPOT_DRAINER_CONTINUATION_QUEUE_URL).toEqual({
      Ref: 'ContinuationQueue',
    });
    expect(fn.Environment.Variables.SPOT_DRAINER_CONTINUATION_DELAY_SECONDS).toBe('10');
    // A continuation that fails for good goes to the dead-letter queue with its reason, after as many
    // deliveries as the redrive allows (the function and the queue read one param).
    expect(fn.Environment.Variables.SPOT_DRAINER_DEAD_LETTER_QUEUE_URL).toEqual({ Ref: 'FailedEventsQueue' });
    expect(fn.Environment.Variables.SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES).toBe('3');
    const queue = template.Resources.ContinuationQueue!;
    expect(queue.Type).toBe('AWS::SQS::Queue');
    // Hidden while an invocation runs (the function timeout), then received again; dead-lettered after 3.
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThan(fn.Timeout);
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] },
      },
    });
    expect(Number(queue.Properties.RedrivePolicy.maxReceiveCount)).toBe(
      Number(fn.Environment.Variables.SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES),
    );
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['ContinuationQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['DrainerLambdaFunction', 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // The mapping receives and deletes with the function's role, on this queue only.
    const receive = statementsOf(template).filter(({ statement }) =>
      list(statement.Action).includes('sqs:ReceiveMessage'),
    );
    expect(receive).toHaveLength(1);
    expect(list(receive[0]!.statement.Action)).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
    );
    expect(list(receive[0]!.statement.Resource)).toEqual([{ 'Fn::GetAtt': ['ContinuationQueue', 'Arn'] }]);
    const policy = template.Resources.ContinuationQueuePolicy!.Properties.PolicyDocument.Statement;
    expect(policy).toEqual([expect.objectContaining({ Sid: 'DenyInsecureTransport', Effect: 'Deny' })]);
  });

  it('maps the function role to the Kubernetes group spot-drainer with an EKS access entry', () => {
    const entry = template.Resources.DrainerEksAccessEntry!;
    expect(entry.Type).toBe('AWS::EKS::AccessEntry');
    expect(entry.Properties).toEqual({
      ClusterName: 'spot-drainer-test',
      PrincipalArn: { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
      KubernetesGroups: ['spot-drainer'],
      Type: 'STANDARD',
    });
  });

  it('removes a switched-off rule with its permission, and the access entry when disabled', () => {
    expect(variant.Resources.HealthScheduledChangeRule).toBeUndefined();
    expect(variant.Resources.HealthScheduledChangePermission).toBeUndefined();
    expect(variant.Resources.DrainerEksAccessEntry).toBeUndefined();
    const rules = resourcesOfType(variant, 'AWS::Events::Rule').map(([id]) => id);
    expect(rules.sort()).toEqual(
      Object.values(ruleIds)
        .filter((id) => id !== ruleIds.healthScheduledChange)
        .sort(),
    );
    expect(resourcesOfType(variant, 'AWS::Lambda::Permission')).toHaveLength(rules.length);
  });

  it('runs in the VPC only when enabled', () => {
    expect(template.Resources.DrainerLambdaFunction!.Properties.VpcConfig).toBeUndefined();
    expect(template.Resources.IamRoleLambdaExecution!.Properties.ManagedPolicyArns).toBeUndefined();
    const fn = variant.Resources.DrainerLambdaFunction!.Properties;
    expect(fn.VpcConfig).toEqual({
      SecurityGroupIds: { 'Fn::Split': [',', 'sg-0123456789abcdef0'] },
      SubnetIds: { 'Fn::Split': [',', 'subnet-0123456789abcdef0,subnet-0fedcba9876543210'] },
    });
    expect(fn.ReservedConcurrentExecutions).toBe(20);
    expect(template.Resources.DrainerLambdaFunction!.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('rejects a switch value other than true/false instead of guessing', async () => {
    const failure = await packagingFailure({ enableSpotInterruptionWarning: 'yes' });
    expect(failure, 'packaging must fail').toBeDefined();
    expect(failure).toContain(`enableSpotInterruptionWarning: expected 'true' or 'false', got "yes"`);
  }, 120_000);

  for (const [name, get] of [
    ['default', () => template],
    ['VPC + secret references', () => variant],
  ] as const) {
    it(`grants least privilege (${name})`, () => {
      const t = get();
      const statements = statementsOf(t);
      expect(statements.length).toBeGreaterThan(0);
      for (const { source, statement } of statements) {
        const where = `${source}: ${JSON.stringify(statement)}`;
        expect(statement.Effect, where).toBe('Allow');
        expect(statement.NotAction, where).toBeUndefined();
        expect(statement.NotResource, where).toBeUndefined();
        const actions = list<string>(statement.Action);
        for (const action of actions) {
          expect(action, where).not.toBe('*');
          expect(action, where).not.toMatch(/:\*$/);
          expect(action, where).not.toContain('*');
        }
        const resources = list<unknown>(statement.Resource);
        if (resources.includes('*')) {
          for (const action of actions) {
            expect(UNSCOPABLE_ACTIONS.has(action), `${action} on Resource '*' (${source})`).toBe(true);
          }
        }
      }
      // managed policies: only the VPC execution policy, only with a VPC
      const managed = list<Json>(t.Resources.IamRoleLambdaExecution!.Properties.ManagedPolicyArns);
      const inVpc = t.Resources.DrainerLambdaFunction!.Properties.VpcConfig !== undefined;
      expect(managed).toHaveLength(inVpc ? 1 : 0);
      for (const arn of managed) expect(arn['Fn::Sub'], name).toMatch(VPC_POLICY);
    });
  }

  it('scopes cluster, lifecycle, parameter and key permissions to named resources', () => {
    const find = (t: Template, action: string) =>
      statementsOf(t).filter(({ statement }) => list(statement.Action).includes(action));
    const [describeCluster] = find(template, 'eks:DescribeCluster');
    expect(describeCluster!.statement.Resource['Fn::Sub']).toMatch(/:cluster\/spot-drainer-test$/);
    const [lifecycle] = find(template, 'autoscaling:CompleteLifecycleAction');
    expect(list(lifecycle!.statement.Action)).toContain('autoscaling:RecordLifecycleActionHeartbeat');
    expect(lifecycle!.statement.Resource['Fn::Sub']).toMatch(/:autoScalingGroupName\/eks-spot-\*$/);
    // SendMessage on the dead-letter queue (on-failure destination, and the function's own dead letters)
    // and the continuation queue, nowhere else
    const sendTo = find(template, 'sqs:SendMessage').flatMap(({ statement }) => list(statement.Resource));
    expect(new Set(sendTo.map((resource) => JSON.stringify(resource)))).toEqual(
      new Set([
        JSON.stringify({ 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] }),
        JSON.stringify({ 'Fn::GetAtt': ['ContinuationQueue', 'Arn'] }),
      ]),
    );
    // The function's own grant on the dead-letter queue, whatever osls adds for the destination.
    const deadLetters = find(template, 'sqs:SendMessage').filter(
      ({ statement }) => statement.Sid === 'DeadLetterContinuations',
    );
    expect(deadLetters.map(({ statement }) => statement.Resource)).toEqual([
      { 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] },
    ]);
    // no secret reference by default: no read permission at all
    expect(template.Resources.SecretReferencesPolicy).toBeUndefined();
    for (const action of ['ssm:GetParameter', 'secretsmanager:GetSecretValue', 'kms:Decrypt']) {
      expect(find(template, action), action).toEqual([]);
    }
    // with references: exactly each referenced parameter and secret, the key through those services
    const [ssm] = find(variant, 'ssm:GetParameter');
    expect(list(ssm!.statement.Resource)).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/spot-drainer/kubeconfig`,
      },
      // a name without a leading '/' still gets exactly one '/' after `parameter`
      {
        'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/spot-drainer-webhook`,
      },
    ]);
    const [secret] = find(variant, 'secretsmanager:GetSecretValue');
    expect(list(secret!.statement.Resource)).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:spot-drainer/slack-??????`,
      },
    ]);
    const [kms] = find(variant, 'kms:Decrypt');
    expect(list(kms!.statement.Resource)).toEqual([
      'arn:aws:kms:us-east-1:123456789012:key/0b7a3e3e-1111-4222-8333-444455556666',
    ]);
    expect(kms!.statement.Condition.StringEquals['kms:ViaService']).toEqual([
      { 'Fn::Sub': `ssm.\${AWS::Region}.amazonaws.com` },
      { 'Fn::Sub': `secretsmanager.\${AWS::Region}.amazonaws.com` },
    ]);
    // the lifecycle rule follows lifecycleHookName (a list) and asgNamePrefix
    expect(variant.Resources.AsgTerminateLifecycleRule!.Properties.EventPattern.detail).toEqual({
      LifecycleHookName: ['spot-drainer-terminate', 'drain-before-terminate'],
      LifecycleTransition: ['autoscaling:EC2_INSTANCE_TERMINATING'],
      AutoScalingGroupName: [{ prefix: 'eks-spot-' }],
    });
    // the handler reads the hook's timeouts
    const [describeHooks] = find(template, 'autoscaling:DescribeLifecycleHooks');
    expect(describeHooks!.statement.Resource).toBe('*');
    // no CloudWatch metrics permission: metrics go out as EMF log lines
    expect(find(template, 'cloudwatch:PutMetricData')).toEqual([]);
  });

  // cfn-lint (with the cfn-lint-serverless rules) and checkov over the packaged templates. A finding is
  // fixed, or suppressed in the resource's Metadata with the reason (serverless.yml).
  describe.skipIf(skipValidators)('template validators (default params and all features)', () => {
    it('cfn-lint + cfn-lint-serverless: no error, no warning', async () => {
      const { code, output } = await cfnLint([templatePath, allFeaturesPath]);
      expect(output.trim(), `cfn-lint findings:\n${output}`).toBe('');
      expect(code).toBe(0);
    }, 120_000);

    it('checkov: both templates parse, no failed check', async () => {
      const report = await checkov('cloudformation', { files: [templatePath, allFeaturesPath] });
      expect(report.parsingErrors, report.output).toEqual([]);
      expect(report.failures, report.output).toEqual([]);
      expect(report.passed).toBeGreaterThan(40);
    }, 120_000);
  });
});

// infra/aws/deployment-check.cjs: packaging refuses, before building anything, a deployment the function
// would refuse at cold start or CloudFormation would refuse, naming the param (rules:
// deployment-check.test.ts).
describe.skipIf(skip)('serverless package refuses a deployment that would fail', () => {
  afterAll(() => {
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('names every setting the function would refuse, with its param and variable', async () => {
    const failure = await packagingFailure({
      dryRun: 'maybe',
      evictionConcurrency: '-3',
      rebalanceAction: 'drian',
      enableVpc: 'true',
    });
    expect(failure, 'packaging must fail').toBeDefined();
    expect(failure).toContain('dryRun (SPOT_DRAINER_DRY_RUN): expected true or false');
    expect(failure).toContain(
      'evictionConcurrency (SPOT_DRAINER_EVICTION_CONCURRENCY): expected an integer from 1 to 500, got "-3"',
    );
    expect(failure).toContain('rebalanceAction (SPOT_DRAINER_REBALANCE_ACTION): expected cordon or drain');
    expect(failure).toContain('subnetIds: enableVpc=true needs subnetIds');
    expect(failure).toContain('securityGroupIds: enableVpc=true needs securityGroupIds');
    expect(failure).not.toContain('Cannot resolve variable');
  }, 120_000);

  it('says which required param is missing and how to pass it, once', async () => {
    const failure = await packagingFailure({}, 'prod');
    expect(failure, 'packaging must fail').toBeDefined();
    expect(failure).toContain('clusterName is required');
    expect(failure).toContain('--param clusterName=<value>');
    expect(failure!.match(/clusterName/g)).toHaveLength(2);
    expect(failure).not.toContain('Cannot resolve variable');
  }, 120_000);

  it('refuses a stage name that makes an EventBridge rule name longer than 64 characters', async () => {
    const failure = await packagingFailure({ clusterName: 'shop' }, 'production-eu-west');
    expect(failure, 'packaging must fail').toBeDefined();
    expect(failure).toContain('use a stage name of at most 17 characters');
    expect(failure).toMatch(
      /AWS::Events::Rule CapacityReservationInterruptionRule: .* is 65 characters long/,
    );
  }, 120_000);
});

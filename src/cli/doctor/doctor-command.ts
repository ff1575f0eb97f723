/**
 * `spot-drainer doctor --cloud aws|azure [...]`: read-only checks of a real deployment, each pass, fail
 * (with the fix) or skip; a table by default, `--json` for CI; exit 1 when a check fails. The cloud's
 * checks run with the cloud SDKs' default credentials; the Kubernetes checks with the kubeconfig's
 * identity, which reads the ClusterRole and binding and impersonates the drainer's identity (or uses
 * `--drainer-context`) to ask what it may do.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { EventGridManagementClient } from '@azure/arm-eventgrid';
import { FeatureClient } from '@azure/arm-features';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { UsageError } from '../input.ts';
import type { CommandOutput } from '../parse-command.ts';
import {
  type AwsClients,
  accessEntryCheck,
  functionRole,
  type MappedIdentity,
  ruleCheck,
} from './aws-checks.ts';
import { clusterGroups, lifecycleHookCheck, managedTagCheck } from './aws-node-checks.ts';
import {
  type AzureClients,
  type ClusterFacts,
  clusterFacts,
  eventGridChecks,
  featureChecks,
  functionApp,
  roleAssignmentCheck,
  scaleSetChecks,
} from './azure-checks.ts';
import { readAzureDeployment } from './bicep-template.ts';
import { type CheckResult, exitCode, resultTable, runCheck, skip } from './check.ts';
import { type DrainerIdentity, kubernetesChecks } from './kubernetes-run.ts';
import { type RbacManifest, readRbacManifest, type Subject } from './rbac-manifest.ts';
import { readAwsDeployment } from './serverless-template.ts';

/** The flags of `spot-drainer doctor`. */
export interface DoctorOptions {
  cloud: 'aws' | 'azure';
  /** `--param name=value`, as `serverless deploy` (AWS) or `az deployment sub create --parameters` (Azure) take them. */
  params: Record<string, string>;
  json: boolean;
  kubeconfig?: string;
  context?: string;
  drainerContext?: string;
  /** AWS: the stage and region of the stack. */
  stage?: string;
  region?: string;
  /** Azure: the subscription and the clusters, `<resource group>/<name>`. */
  subscription?: string;
  clusters?: string[];
}

/** Clients to use instead of the ones built from the default credentials (tests pass stand-ins). */
export interface DoctorClients {
  aws?: AwsClients;
  azure?: AzureClients;
}

/** Clients for one region with the SDK's default credentials (and AWS_ENDPOINT_URL_* where set). */
export function awsClients(region: string): AwsClients {
  return {
    eventBridge: new EventBridgeClient({ region }),
    eks: new EKSClient({ region }),
    autoScaling: new AutoScalingClient({ region }),
    ec2: new EC2Client({ region }),
    iam: new IAMClient({ region }),
  };
}

/** ARM clients of one subscription; `options` reach every client's pipeline (e.g. an httpClient). */
export function azureClients(
  credential: TokenCredential,
  subscriptionId: string,
  options: Record<string, unknown> = {},
): AzureClients {
  return {
    subscriptionId,
    features: new FeatureClient(credential, subscriptionId, options),
    compute: new ComputeManagementClient(credential, subscriptionId, options),
    eventGrid: new EventGridManagementClient(credential, subscriptionId, options),
    authorization: new AuthorizationManagementClient(credential, subscriptionId, options),
    resources: new ResourceManagementClient(credential, subscriptionId, options),
    aks: new ContainerServiceClient(credential, subscriptionId, options),
  };
}

/** The cloud's checks, and who the cluster takes the drainer for. */
interface CloudRun {
  results: CheckResult[];
  identity?: DrainerIdentity;
  subjects: Subject[];
}

async function awsRun(options: DoctorOptions, manifest: RbacManifest, given?: AwsClients): Promise<CloudRun> {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!options.stage || !region)
    throw new UsageError('doctor --cloud aws: pass --stage and --region (or AWS_REGION)');
  const deployment = await readAwsDeployment(options.stage, region, options.params);
  const clients = given ?? awsClients(region);
  const rules = deployment.rules.map((rule) =>
    runCheck(
      `EventBridge rule ${rule.name}`,
      () => ruleCheck(clients.eventBridge, deployment, rule),
      'events:DescribeRule, events:ListTargetsByRule',
    ),
  );
  let mapped: MappedIdentity | undefined;
  const access = runCheck(
    `EKS access of the function's role`,
    async () => {
      const role = await functionRole(clients.iam, deployment);
      if (!role.arn) return role.result;
      const entry = await accessEntryCheck(clients.eks, deployment, role.arn, manifest);
      mapped = entry.identity;
      return [role.result, entry.result];
    },
    'iam:GetRole, eks:DescribeAccessEntry, eks:ListAssociatedAccessPolicies',
  );
  const hooks = runCheck(
    'terminate lifecycle hooks',
    () => hookChecks(clients, deployment),
    'autoscaling:DescribeAutoScalingGroups, autoscaling:DescribeLifecycleHooks',
  );
  const tag = runCheck(
    'managed tag',
    () => managedTagCheck(clients.ec2, deployment),
    'ec2:DescribeInstances',
  );
  const results = (await Promise.all([...rules, access, hooks, tag])).flat();
  const identity = mapped ?? { user: 'spot-drainer', groups: manifest.groups };
  return {
    results,
    identity: {
      ...identity,
      describe: mapped
        ? `the access entry's user ${identity.user} in [${identity.groups.join(', ')}]`
        : `group ${manifest.groups.join(', ')}`,
    },
    subjects: manifest.subjects,
  };
}

async function hookChecks(clients: AwsClients, deployment: Awaited<ReturnType<typeof readAwsDeployment>>) {
  const rule = deployment.rules.find(
    (candidate) => candidate.pattern.source?.toString() === 'aws.autoscaling',
  );
  if (rule && !rule.enabled) return skip('terminate lifecycle hooks', `${rule.switchParam}=false`);
  const groups = await clusterGroups(clients.autoScaling, deployment);
  if (groups.length === 0) {
    return skip(
      'terminate lifecycle hooks',
      `no Auto Scaling group of ${deployment.clusterName} named ${deployment.asgNamePrefix || ''}* (Karpenter or Fargate: nothing to hook)`,
    );
  }
  return Promise.all(
    groups.map((group) =>
      lifecycleHookCheck(clients.autoScaling, deployment, group.AutoScalingGroupName ?? ''),
    ),
  );
}

async function azureRun(
  options: DoctorOptions,
  manifest: RbacManifest,
  given?: AzureClients,
): Promise<CloudRun> {
  const subscription = options.subscription ?? process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscription || !options.clusters?.length) {
    throw new UsageError(
      'doctor --cloud azure: pass --subscription (or AZURE_SUBSCRIPTION_ID) and --cluster <resource group>/<name>',
    );
  }
  const bad = options.clusters.find((ref) => !/^[^/]+\/[^/]+$/.test(ref));
  if (bad) throw new UsageError(`--cluster ${bad}: expected <resource group>/<name>`);
  const deployment = readAzureDeployment(options.params);
  const clients = given ?? azureClients(new DefaultAzureCredential(), subscription);
  const clusters: ClusterFacts[] = await Promise.all(
    options.clusters.map((ref) => clusterFacts(clients.aks, ref)),
  );
  const groups = clusters.map((cluster) => cluster.nodeResourceGroup);
  const app = await functionApp(clients.resources, deployment);
  const results = [app.result];
  const checks = [
    runCheck(
      'preview features',
      () => featureChecks(clients.features, deployment),
      'Reader on the subscription',
    ),
    runCheck(
      'scheduled events opt-in',
      () => scaleSetChecks(clients.compute, groups),
      'Reader on the node resource groups',
    ),
  ];
  const { appId, principalId } = app;
  if (appId)
    checks.push(
      runCheck(
        'Event Grid',
        () => eventGridChecks(clients, deployment, appId, groups),
        `Reader on ${deployment.resourceGroupName}`,
      ),
    );
  if (principalId)
    for (const cluster of clusters)
      checks.push(
        runCheck(
          `role assignments on ${cluster.name}`,
          () => roleAssignmentCheck(clients.authorization, cluster, principalId, deployment),
          'Reader on the clusters',
        ),
      );
  results.push(...(await Promise.all(checks)).flat());
  const kubernetesRbac = clusters.some((cluster) => !cluster.azureRbac);
  const user: Subject[] =
    principalId && kubernetesRbac
      ? [{ kind: 'User', name: principalId, apiGroup: 'rbac.authorization.k8s.io' }]
      : [];
  return {
    results,
    ...(principalId
      ? { identity: { user: principalId, groups: [], describe: `the function identity ${principalId}` } }
      : {}),
    subjects: [...manifest.subjects, ...user],
  };
}

/** Runs `doctor`: the cloud's checks, then the Kubernetes ones; exit 0 when none failed, 1 otherwise. */
export async function doctorCommand(
  options: DoctorOptions,
  given: DoctorClients = {},
): Promise<CommandOutput> {
  const manifest = readRbacManifest();
  const cloud =
    options.cloud === 'aws'
      ? await awsRun(options, manifest, given.aws)
      : await azureRun(options, manifest, given.azure);
  const kubernetes = await kubernetesChecks(options, manifest, cloud.identity, cloud.subjects);
  const results = [...cloud.results, ...kubernetes];
  const code = exitCode(results);
  if (options.json) {
    const failed = results.filter((result) => result.status === 'fail').length;
    return {
      code,
      stdout: JSON.stringify({ cloud: options.cloud, ok: code === 0, failed, checks: results }, null, 2),
    };
  }
  return { code, stdout: resultTable(results) };
}

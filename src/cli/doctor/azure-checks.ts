/**
 * The doctor's Azure checks, all read-only ARM calls: the preview feature registrations Scheduled Events
 * through Event Grid needs, each spot scale set of the clusters' node resource groups opted in, the
 * system topics and event subscriptions of modules/events.bicep delivering to the function, and the
 * identity's role assignments on each cluster (Cluster User, plus exactly the custom role's data actions
 * with Azure RBAC for Kubernetes authorization; nothing else).
 * https://learn.microsoft.com/azure/virtual-machines/flexible-virtual-machine-scale-sets-scheduled-events
 */
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { ContainerServiceClient } from '@azure/arm-containerservice';
import type { EventGridManagementClient } from '@azure/arm-eventgrid';
import type { FeatureClient } from '@azure/arm-features';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { AzureDeployment } from './bicep-template.ts';
import { type CheckResult, fail, pass, skip } from './check.ts';

/** The ARM clients of one subscription. */
export interface AzureClients {
  subscriptionId: string;
  features: FeatureClient;
  compute: ComputeManagementClient;
  eventGrid: EventGridManagementClient;
  authorization: AuthorizationManagementClient;
  resources: ResourceManagementClient;
  aks: ContainerServiceClient;
}

/** The preview features Scheduled Events through Event Grid needs, once per subscription (infra/README.md). */
export const SCHEDULED_EVENTS_FEATURES = [
  ['Microsoft.Compute', 'SendScheduledEventsPolicy'],
  ['Microsoft.Maintenance', 'ScheduledEventsActivity'],
] as const;

/** Azure Kubernetes Service Cluster User Role (modules/aks-access.bicep). */
export const CLUSTER_USER_ROLE = '4abbcc35-e782-43d8-92c5-2d3f1bd2253f';

/** What the checks need to know of one AKS cluster. */
export interface ClusterFacts {
  id: string;
  name: string;
  nodeResourceGroup: string;
  /** Azure RBAC for Kubernetes authorization is on. */
  azureRbac: boolean;
}

const lastSegment = (id: string) => id.split('/').pop() ?? id;

/** The SDKs put `/` before an id or scope they take whole; without this ARM would see `//subscriptions/…`. */
const unrooted = (id: string) => id.replace(/^\/+/, '');

/** The cluster `<resourceGroup>/<name>`: its id, node resource group and authorization mode. */
export async function clusterFacts(client: ContainerServiceClient, ref: string): Promise<ClusterFacts> {
  const [group = '', name = ''] = ref.split('/');
  const cluster = await client.managedClusters.get(group, name);
  return {
    id: cluster.id ?? '',
    name,
    nodeResourceGroup: cluster.nodeResourceGroup ?? '',
    azureRbac: cluster.aadProfile?.enableAzureRbac === true,
  };
}

/** Each preview feature is Registered (skipped when the scheduled-events subscription is off). */
export async function featureChecks(
  client: FeatureClient,
  deployment: AzureDeployment,
): Promise<CheckResult[]> {
  const on = deployment.params.enableScheduledEvents !== 'false';
  return Promise.all(
    SCHEDULED_EVENTS_FEATURES.map(async ([namespace, feature]) => {
      const name = `feature ${namespace}/${feature}`;
      if (!on) return skip(name, 'enableScheduledEvents=false');
      const state = (await client.features.get(namespace, feature)).properties?.state ?? 'NotRegistered';
      if (state === 'Registered') return pass(name, 'Registered');
      return fail(
        name,
        `${state}: no scheduled event (Preempt) reaches Event Grid; spot-drainer is reactive only`,
        `az feature register --namespace ${namespace} --name ${feature}, then az provider register --namespace ${namespace}`,
      );
    }),
  );
}

/** Every spot scale set of the node resource groups publishes its scheduled events to Event Grid. */
export async function scaleSetChecks(
  client: ComputeManagementClient,
  nodeResourceGroups: readonly string[],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const group of nodeResourceGroups) {
    for await (const scaleSet of client.virtualMachineScaleSets.list(group)) {
      if (scaleSet.virtualMachineProfile?.priority !== 'Spot') continue;
      const name = `scheduled events opt-in of ${scaleSet.name}`;
      const targets = scaleSet.scheduledEventsPolicy?.scheduledEventsAdditionalPublishingTargets;
      if (targets?.eventGridAndResourceGraph?.enable === true) {
        results.push(pass(name, 'eventGridAndResourceGraph.enable = true'));
        continue;
      }
      const body = `{"properties":{"scheduledEventsPolicy":{"scheduledEventsAdditionalPublishingTargets":{"eventGridAndResourceGraph":{"enable":true}}}}}`;
      results.push(
        fail(
          name,
          'not opted in: its Preempt warnings never reach the function (AKS may have reset it after a node pool operation)',
          `az rest --method patch --url "https://management.azure.com${scaleSet.id}?api-version=2025-04-01" --body '${body}'`,
        ),
      );
    }
  }
  if (results.length === 0)
    return [skip('scheduled events opt-in', `no spot scale set in ${nodeResourceGroups.join(', ')}`)];
  return results;
}

const isNotFound = (error: unknown) => (error as { statusCode?: number })?.statusCode === 404;

/** One event subscription: Succeeded, delivering to `<function app>/functions/<functionName>`, scoped to the node resource groups. */
async function subscriptionCheck(
  client: EventGridManagementClient,
  context: { group: string; topic: string; functionId: string; nodeResourceGroups: readonly string[] },
  subscription: string,
): Promise<CheckResult> {
  const name = `event subscription ${context.topic}/${subscription}`;
  const found = await client.systemTopicEventSubscriptions
    .get(context.group, context.topic, subscription)
    .catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
  const redeploy =
    'az deployment sub create ... --template-file infra/azure/main.bicep (step 4 of infra/README.md)';
  if (!found) return fail(name, 'not found', redeploy);
  if (found.provisioningState !== 'Succeeded')
    return fail(name, `provisioning state ${found.provisioningState}`, redeploy);
  const destination = found.destination as { endpointType?: string; resourceId?: string } | undefined;
  if (
    destination?.endpointType !== 'AzureFunction' ||
    destination.resourceId?.toLowerCase() !== context.functionId.toLowerCase()
  ) {
    return fail(
      name,
      `delivers to ${destination?.endpointType} ${destination?.resourceId ?? ''}, not ${context.functionId}`,
      redeploy,
    );
  }
  const subjects = (found.filter?.advancedFilters ?? [])
    .filter((filter) => filter.key === 'subject' && filter.operatorType === 'StringContains')
    .flatMap((filter) =>
      ((filter as { values?: string[] }).values ?? []).map((value) => value.toLowerCase()),
    );
  const unfiltered = context.nodeResourceGroups.filter(
    (group) => !subjects.includes(`/resourcegroups/${group.toLowerCase()}/`),
  );
  if (unfiltered.length > 0) {
    return fail(
      name,
      `its subject filter does not include node resource group ${unfiltered.join(', ')}: their events are not delivered`,
      `add the cluster to aksClusters and ${redeploy}`,
    );
  }
  return pass(name, `Succeeded, delivers to ${lastSegment(context.functionId)}`);
}

/** The system topics of events.bicep on the subscription, and each enabled event subscription of theirs. */
export async function eventGridChecks(
  clients: Pick<AzureClients, 'eventGrid' | 'subscriptionId'>,
  deployment: AzureDeployment,
  functionAppId: string,
  nodeResourceGroups: readonly string[],
): Promise<CheckResult[]> {
  const group = deployment.resourceGroupName;
  const functionId = `${functionAppId}/functions/${deployment.functionName}`;
  const results: CheckResult[] = [];
  for (const topic of deployment.topics) {
    const enabled = topic.subscriptions.filter((subscription) => subscription.enabled);
    const name = `system topic ${topic.name}`;
    if (enabled.length === 0) {
      results.push(
        skip(name, `switched off (${topic.subscriptions.map((s) => `${s.switchParam}=false`).join(', ')})`),
      );
      continue;
    }
    const found = await clients.eventGrid.systemTopics.get(group, topic.name).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    const source = `/subscriptions/${clients.subscriptionId}`;
    if (!found) {
      results.push(
        fail(
          name,
          `not found in ${group}`,
          'az deployment sub create ... --template-file infra/azure/main.bicep',
        ),
      );
      continue;
    }
    if (found.topicType !== topic.topicType || found.source?.toLowerCase() !== source.toLowerCase()) {
      results.push(
        fail(
          name,
          `type ${found.topicType} on ${found.source}, not ${topic.topicType} on ${source}`,
          'delete it and deploy infra/azure/main.bicep again',
        ),
      );
      continue;
    }
    results.push(pass(name, `${topic.topicType} on the subscription`));
    for (const subscription of topic.subscriptions) {
      if (!subscription.enabled)
        results.push(
          skip(`event subscription ${topic.name}/${subscription.name}`, `${subscription.switchParam}=false`),
        );
      else
        results.push(
          await subscriptionCheck(
            clients.eventGrid,
            { group, topic: topic.name, functionId, nodeResourceGroups },
            subscription.name,
          ),
        );
    }
  }
  return results;
}

/**
 * The identity's role assignments on one cluster: Cluster User Role, and with Azure RBAC for Kubernetes
 * authorization one role whose data actions are exactly `aksRbacDataActions`; anything else is more than
 * the drainer needs.
 */
export async function roleAssignmentCheck(
  client: AuthorizationManagementClient,
  cluster: ClusterFacts,
  principalId: string,
  deployment: AzureDeployment,
): Promise<CheckResult> {
  const name = `role assignments of the function identity on ${cluster.name}`;
  const roles: string[] = [];
  for await (const assignment of client.roleAssignments.listForScope(unrooted(cluster.id), {
    filter: `assignedTo('${principalId}')`,
  }))
    if (assignment.principalId === principalId && assignment.roleDefinitionId)
      roles.push(assignment.roleDefinitionId);
  const redeploy = 'deploy infra/azure/main.bicep again (modules/aks-access.bicep)';
  if (!roles.some((role) => lastSegment(role) === CLUSTER_USER_ROLE))
    return fail(
      name,
      'no Azure Kubernetes Service Cluster User Role: the function cannot read the API server address',
      redeploy,
    );
  const others = roles.filter((role) => lastSegment(role) !== CLUSTER_USER_ROLE);
  const want = [...deployment.aksRbacDataActions].sort().join(',');
  const exact: string[] = [];
  const extra: string[] = [];
  for (const role of others) {
    const definition = await client.roleDefinitions.getById(unrooted(role));
    const permissions = definition.permissions ?? [];
    const data = permissions
      .flatMap((permission) => permission.dataActions ?? [])
      .sort()
      .join(',');
    const actions = permissions.flatMap((permission) => permission.actions ?? []);
    (cluster.azureRbac && data === want && actions.length === 0 ? exact : extra).push(
      definition.roleName ?? role,
    );
  }
  const removal = `az role assignment delete --assignee ${principalId} --scope ${cluster.id} --role <role>`;
  if (extra.length > 0) return fail(name, `more than the drainer needs: ${extra.join(', ')}`, removal);
  if (cluster.azureRbac && exact.length === 0)
    return fail(
      name,
      'Azure RBAC for Kubernetes is on, but no role grants the data actions of aksRbacDataActions',
      `${redeploy} with aksAuthorization=azure-rbac`,
    );
  const how = cluster.azureRbac
    ? `Cluster User and ${exact.join(', ')} (the data actions of aksRbacDataActions)`
    : 'Cluster User only (Kubernetes RBAC decides)';
  return pass(name, how);
}

/** The function app and its identity, found by the names modules/app.bicep gives them in the resource group. */
export async function functionApp(
  client: ResourceManagementClient,
  deployment: AzureDeployment,
): Promise<{ appId?: string; principalId?: string; result: CheckResult }> {
  const name = `function app in ${deployment.resourceGroupName}`;
  const found: { app: string[]; identity: string[] } = { app: [], identity: [] };
  for await (const resource of client.resources.listByResourceGroup(deployment.resourceGroupName)) {
    const type = resource.type?.toLowerCase();
    if (type === 'microsoft.web/sites' && resource.name?.startsWith(deployment.functionAppPrefix))
      found.app.push(resource.id ?? '');
    if (
      type === 'microsoft.managedidentity/userassignedidentities' &&
      resource.name?.startsWith(deployment.identityPrefix)
    )
      found.identity.push(resource.id ?? '');
  }
  const [appId] = found.app;
  const [identityId] = found.identity;
  if (found.app.length !== 1 || !appId || !identityId) {
    const detail = `${found.app.length} function app(s) named ${deployment.functionAppPrefix}* and ${found.identity.length} identity(ies) named ${deployment.identityPrefix}*`;
    return {
      result: fail(
        name,
        detail,
        'pass --param resourceGroupName=<rg> --param namePrefix=<prefix> as deployed',
      ),
    };
  }
  const identity = await client.resources.getById(unrooted(identityId), '2023-01-31');
  const principalId = (identity.properties as { principalId?: string } | undefined)?.principalId;
  if (!principalId)
    return {
      result: fail(
        name,
        `identity ${lastSegment(identityId)} has no principal id`,
        'deploy infra/azure/main.bicep again',
      ),
    };
  return {
    appId,
    principalId,
    result: pass(
      name,
      `${lastSegment(appId)}, identity ${lastSegment(identityId)} (object id ${principalId})`,
    ),
  };
}

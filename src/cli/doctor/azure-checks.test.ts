/**
 * The Azure checks through the real ARM SDK clients, answered by a stand-in HTTP pipeline: an
 * httpClient that replies to each GET with ARM-shaped JSON (as the REST API reference shows it), 404
 * with an ARM error for anything it does not know.
 */
import type { TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_USER_ROLE,
  clusterFacts,
  eventGridChecks,
  featureChecks,
  functionApp,
  roleAssignmentCheck,
  scaleSetChecks,
} from './azure-checks.ts';
import { readAzureDeployment } from './bicep-template.ts';
import { azureClients } from './doctor-command.ts';

const sub = '00000000-0000-4000-8000-000000000001';
const rg = 'rg-spot-drainer';
const nrg = 'MC_rg-shop_aks-shop_westeurope';
const principalId = '11111111-2222-4333-8444-555555555555';
const appId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/func-spotdrain-abcd1234`;
const clusterId = `/subscriptions/${sub}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters/aks-shop`;
const customRole = `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/99999999-0000-4000-8000-000000000009`;

type Routes = Record<string, unknown>;

/** An httpClient answering `GET <path>` from `routes` (path without the query), 404 otherwise. */
function standIn(routes: Routes): HttpClient & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    async sendRequest(request: PipelineRequest) {
      const path = decodeURIComponent(new URL(request.url).pathname);
      seen.push(`${request.method} ${path}`);
      const found = Object.entries(routes).find(([route]) => route.toLowerCase() === path.toLowerCase());
      const body = found ? found[1] : { error: { code: 'NotFound', message: `${path} not found` } };
      return {
        request,
        status: found ? 200 : 404,
        headers: createHttpHeaders({ 'content-type': 'application/json' }),
        bodyAsText: JSON.stringify(body),
      };
    },
  };
}

const credential: TokenCredential = {
  getToken: async () => ({ token: 'stand-in', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

const clientsFor = (routes: Routes) => {
  const httpClient = standIn(routes);
  return { clients: azureClients(credential, sub, { httpClient }), httpClient };
};

const deployment = readAzureDeployment({});

const feature = (namespace: string, name: string, state: string) => ({
  [`/subscriptions/${sub}/providers/Microsoft.Features/providers/${namespace}/features/${name}`]: {
    name: `${namespace}/${name}`,
    properties: { state },
  },
});

describe('preview feature registrations', () => {
  it('pass when both are Registered, fail naming the one that is not', async () => {
    const registered = clientsFor({
      ...feature('Microsoft.Compute', 'SendScheduledEventsPolicy', 'Registered'),
      ...feature('Microsoft.Maintenance', 'ScheduledEventsActivity', 'Registered'),
    });
    const ok = await featureChecks(registered.clients.features, deployment);
    expect(ok.map((result) => result.status)).toEqual(['pass', 'pass']);

    const pending = clientsFor({
      ...feature('Microsoft.Compute', 'SendScheduledEventsPolicy', 'Registered'),
      ...feature('Microsoft.Maintenance', 'ScheduledEventsActivity', 'Registering'),
    });
    const [, maintenance] = await featureChecks(pending.clients.features, deployment);
    expect(maintenance).toMatchObject({
      status: 'fail',
      check: 'feature Microsoft.Maintenance/ScheduledEventsActivity',
    });
    expect(maintenance?.fix).toContain(
      'az feature register --namespace Microsoft.Maintenance --name ScheduledEventsActivity',
    );
  });
});

const scaleSet = (name: string, priority: string, enable?: boolean) => ({
  id: `/subscriptions/${sub}/resourceGroups/${nrg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
  name,
  location: 'westeurope',
  properties: {
    virtualMachineProfile: { priority },
    ...(enable === undefined
      ? {}
      : {
          scheduledEventsPolicy: {
            scheduledEventsAdditionalPublishingTargets: { eventGridAndResourceGraph: { enable } },
          },
        }),
  },
});

describe('the scheduled events opt-in of spot scale sets', () => {
  it('passes an opted-in spot scale set, fails one that is not, ignores regular ones', async () => {
    const { clients } = clientsFor({
      [`/subscriptions/${sub}/resourceGroups/${nrg}/providers/Microsoft.Compute/virtualMachineScaleSets`]: {
        value: [
          scaleSet('aks-spot1-vmss', 'Spot', true),
          scaleSet('aks-spot2-vmss', 'Spot'),
          scaleSet('aks-system-vmss', 'Regular'),
        ],
      },
    });
    const results = await scaleSetChecks(clients.compute, [nrg]);
    expect(results.map((result) => [result.check, result.status])).toEqual([
      ['scheduled events opt-in of aks-spot1-vmss', 'pass'],
      ['scheduled events opt-in of aks-spot2-vmss', 'fail'],
    ]);
    expect(results[1]?.fix).toContain('virtualMachineScaleSets/aks-spot2-vmss?api-version=2025-04-01');
  });
});

const topicsPath = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.EventGrid/systemTopics`;

/** The topics and subscriptions events.bicep deploys, as ARM returns them. */
function eventGridRoutes(functionResource = `${appId}/functions/spotDrainer`): Routes {
  const routes: Routes = {};
  for (const topic of deployment.topics) {
    routes[`${topicsPath}/${topic.name}`] = {
      name: topic.name,
      location: 'global',
      properties: {
        source: `/subscriptions/${sub}`,
        topicType: topic.topicType,
        provisioningState: 'Succeeded',
      },
    };
    for (const subscription of topic.subscriptions)
      routes[`${topicsPath}/${topic.name}/eventSubscriptions/${subscription.name}`] = {
        name: subscription.name,
        properties: {
          provisioningState: 'Succeeded',
          destination: {
            endpointType: 'AzureFunction',
            properties: { resourceId: functionResource, maxEventsPerBatch: 1 },
          },
          filter: {
            advancedFilters: [
              { operatorType: 'StringContains', key: 'subject', values: [`/resourceGroups/${nrg}/`] },
            ],
          },
        },
      };
  }
  return routes;
}

describe('Event Grid system topics and subscriptions', () => {
  it('pass when every topic and subscription of events.bicep delivers to the function', async () => {
    const { clients } = clientsFor(eventGridRoutes());
    const results = await eventGridChecks(clients, deployment, appId, [nrg]);
    expect(results.length).toBe(
      deployment.topics.length + deployment.topics.flatMap((t) => t.subscriptions).length,
    );
    expect(results.filter((result) => result.status !== 'pass')).toEqual([]);
  });

  it('fail a subscription that delivers elsewhere, one missing, and one not scoped to a node resource group', async () => {
    const routes = eventGridRoutes(`${appId}-old/functions/spotDrainer`);
    delete routes[`${topicsPath}/evgt-spotdrain-subscription/eventSubscriptions/simulate-eviction`];
    const { clients } = clientsFor(routes);
    const results = await eventGridChecks(clients, deployment, appId, [nrg, 'MC_other']);
    const failed = results.filter((result) => result.status === 'fail');
    expect(failed.map((result) => result.check)).toContain(
      'event subscription evgt-spotdrain-subscription/simulate-eviction',
    );
    expect(failed.find((result) => result.check.endsWith('scheduled-events'))?.detail).toContain(
      '-old/functions/spotDrainer',
    );

    const scoped = clientsFor(eventGridRoutes());
    const unscoped = await eventGridChecks(scoped.clients, deployment, appId, [nrg, 'MC_other']);
    expect(unscoped.find((result) => result.check.endsWith('resource-annotated'))?.detail).toContain(
      'MC_other',
    );
  });

  it('skips the subscriptions switched off and does not ask for them', async () => {
    const off = readAzureDeployment({ enableSimulateEviction: 'false' });
    const { clients, httpClient } = clientsFor(eventGridRoutes());
    const results = await eventGridChecks(clients, off, appId, [nrg]);
    expect(
      results.find((result) => result.check === 'system topic evgt-spotdrain-subscription')?.status,
    ).toBe('skip');
    expect(httpClient.seen.some((request) => request.includes('simulate-eviction'))).toBe(false);
  });
});

const assignments = (roles: string[]) => ({
  [`${clusterId}/providers/Microsoft.Authorization/roleAssignments`]: {
    value: roles.map((role, index) => ({
      id: `${clusterId}/providers/Microsoft.Authorization/roleAssignments/${index}`,
      properties: { roleDefinitionId: role, principalId, scope: clusterId },
    })),
  },
});
const clusterUser = `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${CLUSTER_USER_ROLE}`;
const roleDefinition = (dataActions: string[]) => ({
  [customRole]: {
    id: customRole,
    properties: { roleName: 'spot-drainer AKS', permissions: [{ actions: [], dataActions }] },
  },
});

describe('role assignments on the cluster', () => {
  const kubernetesRbac = { id: clusterId, name: 'aks-shop', nodeResourceGroup: nrg, azureRbac: false };
  const azureRbac = { ...kubernetesRbac, azureRbac: true };

  it('pass Cluster User alone with Kubernetes RBAC, and with the exact custom role with Azure RBAC', async () => {
    const alone = clientsFor(assignments([clusterUser]));
    expect(
      (await roleAssignmentCheck(alone.clients.authorization, kubernetesRbac, principalId, deployment))
        .status,
    ).toBe('pass');
    const custom = clientsFor({
      ...assignments([clusterUser, customRole]),
      ...roleDefinition(deployment.aksRbacDataActions),
    });
    expect(
      (await roleAssignmentCheck(custom.clients.authorization, azureRbac, principalId, deployment)).status,
    ).toBe('pass');
  });

  it('fail without Cluster User, with a role beyond the needs, and with Azure RBAC but no data actions', async () => {
    const none = clientsFor(assignments([]));
    expect(
      (await roleAssignmentCheck(none.clients.authorization, kubernetesRbac, principalId, deployment)).status,
    ).toBe('fail');
    const broad = clientsFor({
      ...assignments([clusterUser, customRole]),
      ...roleDefinition([
        ...deployment.aksRbacDataActions,
        'Microsoft.ContainerService/managedClusters/secrets/read',
      ]),
    });
    const extra = await roleAssignmentCheck(broad.clients.authorization, azureRbac, principalId, deployment);
    expect(extra).toMatchObject({ status: 'fail', detail: 'more than the drainer needs: spot-drainer AKS' });
    const missing = clientsFor(assignments([clusterUser]));
    expect(
      (await roleAssignmentCheck(missing.clients.authorization, azureRbac, principalId, deployment)).status,
    ).toBe('fail');
  });
});

describe('the function app, its identity and the cluster', () => {
  const resourcesPath = `/subscriptions/${sub}/resourceGroups/${rg}/resources`;
  const identityId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-spotdrain-func-abcd1234`;

  it('finds them by the names app.bicep gives them, and reads the cluster', async () => {
    const { clients } = clientsFor({
      [resourcesPath]: {
        value: [
          { id: appId, name: 'func-spotdrain-abcd1234', type: 'Microsoft.Web/sites' },
          {
            id: identityId,
            name: 'id-spotdrain-func-abcd1234',
            type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
          },
        ],
      },
      [identityId]: { id: identityId, properties: { principalId } },
      [clusterId]: {
        id: clusterId,
        location: 'westeurope',
        properties: { nodeResourceGroup: nrg, aadProfile: { enableAzureRBAC: true } },
      },
    });
    const found = await functionApp(clients.resources, deployment);
    expect(found).toMatchObject({ appId, principalId, result: { status: 'pass' } });
    expect(await clusterFacts(clients.aks, 'rg-shop/aks-shop')).toEqual({
      id: clusterId,
      name: 'aks-shop',
      nodeResourceGroup: nrg,
      azureRbac: true,
    });
  });

  it('fails when the resource group holds no function app of that prefix', async () => {
    const { clients } = clientsFor({ [resourcesPath]: { value: [] } });
    const found = await functionApp(clients.resources, deployment);
    expect(found.result.status).toBe('fail');
    expect(found.appId).toBeUndefined();
  });
});

// Structural checks of infra/azure (Bicep). No Bicep compiler can be installed from the npm registry
// (the npm wrappers download the CLI from elsewhere at run time), so these tests read the source with
// ./bicep-source.ts and check what a reviewer would: scopes, module wiring, topics and filters,
// retries and dead-lettering, least-privilege role assignments, the storage hardening and settings.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allResources,
  type BicepFile,
  type BicepObject,
  type BicepResource,
  type BicepValue,
  isExpr,
  parseBicep,
} from './bicep-source.ts';

const root = resolve(import.meta.dirname, '../../..');
const azureDir = join(root, 'infra/azure');
const read = (relative: string) => readFileSync(join(azureDir, relative), 'utf8');
const load = (relative: string) => parseBicep(read(relative));

const main = load('main.bicep');
const moduleFiles = new Map<string, BicepFile>(
  main.modules.map((m) => [m.path, parseBicep(readFileSync(join(azureDir, m.path), 'utf8'))]),
);
const app = moduleFiles.get('modules/app.bicep')!;
const events = moduleFiles.get('modules/events.bicep')!;
const everyFile: [string, BicepFile][] = [['main.bicep', main], ...moduleFiles];

// API versions this template pins, each checked against the Azure resource reference.
const KNOWN_API_VERSIONS = new Set([
  'Microsoft.Resources/resourceGroups@2022-09-01',
  'Microsoft.Authorization/roleDefinitions@2022-04-01',
  'Microsoft.Authorization/roleAssignments@2022-04-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31',
  'Microsoft.Storage/storageAccounts@2023-05-01',
  'Microsoft.OperationalInsights/workspaces@2023-09-01',
  'Microsoft.Insights/components@2020-02-02',
  'Microsoft.Insights/metricAlerts@2018-03-01',
  'Microsoft.Web/serverfarms@2024-04-01',
  'Microsoft.Web/sites@2024-04-01',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01',
  'Microsoft.EventGrid/systemTopics@2022-06-15',
  'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15',
  'Microsoft.ContainerService/managedClusters@2024-09-01',
  'Microsoft.KeyVault/vaults@2023-07-01',
]);

// Built-in roles the identities may hold, each on a named resource.
const ALLOWED_BUILT_IN_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner (function host, its own storage account)',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor (Event Grid, dead-letter container)',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher (Application Insights)',
  '4abbcc35-e782-43d8-92c5-2d3f1bd2253f': 'Azure Kubernetes Service Cluster User Role (each cluster)',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User (the kubeconfig secret)',
};
const FORBIDDEN_ROLES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42d9-a3f2-6ba7da0ddd7e': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b': 'Azure Kubernetes Service RBAC Cluster Admin',
  '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8': 'Azure Kubernetes Service Cluster Admin Role',
  'ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8': 'Azure Kubernetes Service Contributor Role',
};

const obj = (value: unknown): BicepObject => {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isExpr(value)) {
    throw new Error(`expected an object literal, got ${JSON.stringify(value)}`);
  }
  return value as BicepObject;
};
const text = (value: unknown): string => (isExpr(value) ? value.expr : JSON.stringify(value));
const props = (r: BicepResource) => obj(r.body.properties);
const byType = (file: BicepFile, type: string) => allResources(file).filter((r) => r.type === type);
const varValue = (file: BicepFile, name: string): BicepValue => {
  const value = file.vars.get(name);
  if (value === undefined) throw new Error(`var ${name} not found`);
  return value;
};

describe('infra/azure: files and wiring', () => {
  it('deploys at subscription scope, with resource-group modules', () => {
    expect(main.targetScope).toBe('subscription');
    for (const [path, file] of moduleFiles) {
      expect(file.targetScope, path).toBe('resourceGroup');
    }
  });

  it('passes every required module parameter and no unknown one', () => {
    for (const m of main.modules) {
      const file = moduleFiles.get(m.path);
      expect(file, m.path).toBeDefined();
      const passed = Object.keys(obj(m.body.params));
      const declared = [...file!.params.keys()];
      for (const name of passed) expect(declared, `${m.symbol} passes unknown param ${name}`).toContain(name);
      for (const p of file!.params.values()) {
        if (p.default === undefined) expect(passed, `${m.symbol} misses param ${p.name}`).toContain(p.name);
      }
    }
  });

  it('places each module explicitly: the app and events in the resource group, access modules at the target', () => {
    const scopes = Object.fromEntries(main.modules.map((m) => [m.symbol, text(m.body.scope)]));
    expect(scopes.app).toBe('rg');
    expect(scopes.events).toBe('rg');
    expect(scopes.aksAccess).toMatch(
      /^resourceGroup\(c\.\?subscriptionId \?\? subscription\(\)\.subscriptionId, c\.resourceGroup\)$/,
    );
    expect(scopes.kubeconfigAccess).toBe('resourceGroup(kubeconfigKeyVaultResourceGroup)');
  });

  it('pins API versions that exist', () => {
    for (const [path, file] of everyFile) {
      for (const r of allResources(file)) {
        if (r.parentSymbol) continue; // child resources inherit the parent's version
        expect(KNOWN_API_VERSIONS, `${path}: ${r.type}@${r.apiVersion}`).toContain(
          `${r.type}@${r.apiVersion}`,
        );
      }
    }
  });

  it('has an example parameter file that only sets declared parameters', () => {
    const params = load('main.bicepparam');
    expect(params.using).toBe('./main.bicep');
    for (const name of params.params.keys()) expect([...main.params.keys()], name).toContain(name);
    for (const p of main.params.values()) {
      if (p.default === undefined) expect([...params.params.keys()], `required ${p.name}`).toContain(p.name);
    }
  });

  it('ships host.json for the Functions v4 host with the extension bundle (Event Grid trigger)', () => {
    const hostPath = join(root, 'functions/azure/host.json');
    expect(existsSync(hostPath)).toBe(true);
    const host = JSON.parse(readFileSync(hostPath, 'utf8'));
    expect(host.version).toBe('2.0');
    expect(host.extensionBundle.id).toBe('Microsoft.Azure.Functions.ExtensionBundle');
    expect(host.extensionBundle.version).toMatch(/^\[4\./);
  });
});

describe('infra/azure: Event Grid', () => {
  const topics = byType(events, 'Microsoft.EventGrid/systemTopics');
  const subscriptionLists: Record<string, string> = {
    'Microsoft.ResourceNotifications.HealthResources': 'allHealthSubscriptions',
    'Microsoft.ResourceNotifications.MaintenanceResources': 'allMaintenanceSubscriptions',
    'Microsoft.Resources.Subscriptions': 'allResourceActionSubscriptions',
  };
  const subscriptionsOf = (list: string) => (varValue(events, list) as BicepValue[]).map(obj);
  const filterOf = (list: string, name: string) => {
    const s = subscriptionsOf(list).find((x) => x.name === name);
    if (!s) throw new Error(`event subscription ${name} not found in ${list}`);
    return obj(s.filter);
  };
  const advanced = (filter: BicepObject) =>
    (filter.advancedFilters as BicepValue[]).map((f) => (isExpr(f) ? obj(varValue(events, f.expr)) : obj(f)));

  it('creates one system topic per source type, on this subscription, with the dead-letter identity', () => {
    expect(topics.map((t) => props(t).topicType).sort()).toEqual(Object.keys(subscriptionLists).sort());
    for (const t of topics) {
      expect(t.body.location).toBe('global');
      expect(text(props(t).source)).toBe('subscription().id');
      expect(text(t.body.identity)).toBe('topicIdentity');
    }
    expect(obj(varValue(events, 'topicIdentity')).type).toBe('UserAssigned');
  });

  it('subscribes each topic with its own filtered list, delivered with retries and dead-lettering', () => {
    const subs = byType(events, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(subs).toHaveLength(3);
    for (const t of topics) {
      const list = subscriptionLists[props(t).topicType as string]!;
      const sub = subs.find((s) => text(s.body.parent) === t.symbol);
      expect(sub, `subscriptions of ${t.symbol}`).toBeDefined();
      expect(sub!.loop).toBe(`for s in ${list.replace(/^all(.)/, (_, c: string) => c.toLowerCase())}`);
      expect(text(sub!.body.properties)).toBe('union(delivery, { filter: s.filter })');
      expect(events.vars.get(list.replace(/^all(.)/, (_, c: string) => c.toLowerCase()))).toEqual({
        expr: `filter(${list}, s => s.enabled)`,
      });
    }
  });

  it('delivers to the spotDrainer Azure Function, one event at a time', () => {
    const delivery = obj(varValue(events, 'delivery'));
    const destination = obj(delivery.destination);
    expect(destination.endpointType).toBe('AzureFunction');
    expect(text(obj(destination.properties).resourceId)).toBe(
      `'\${functionAppId}/functions/\${functionName}'`,
    );
    expect(obj(destination.properties).maxEventsPerBatch).toBe(1);
    expect(events.params.get('functionName')?.default).toBe('spotDrainer');
    expect(delivery.eventDeliverySchema).toBe('EventGridSchema');
  });

  it('retries with a bounded number of attempts and TTL, then dead-letters to the blob container', () => {
    const delivery = obj(varValue(events, 'delivery'));
    const retry = obj(delivery.retryPolicy);
    expect(text(retry.maxDeliveryAttempts)).toBe('maxDeliveryAttempts');
    expect(text(retry.eventTimeToLiveInMinutes)).toBe('eventTimeToLiveInMinutes');
    expect(main.params.get('maxDeliveryAttempts')?.default).toBe(10);
    expect(main.params.get('eventTimeToLiveInMinutes')?.default).toBe(30);

    const deadLetter = obj(delivery.deadLetterWithResourceIdentity);
    expect(obj(deadLetter.identity)).toEqual({
      type: 'UserAssigned',
      userAssignedIdentity: { expr: 'eventGridIdentityId' },
    });
    const destination = obj(deadLetter.deadLetterDestination);
    expect(destination.endpointType).toBe('StorageBlob');
    expect(obj(destination.properties)).toEqual({
      resourceId: { expr: 'storageAccountId' },
      blobContainerName: { expr: 'deadLetterContainerName' },
    });
    const events_ = main.modules.find((m) => m.symbol === 'events')!;
    expect(text(obj(events_.body.params).deadLetterContainerName)).toBe(
      'app.outputs.deadLetterContainerName',
    );
    expect(app.vars.get('deadLetterContainerName')).toBe('deadletter');
  });

  it('filters Resource Health annotations to the three VM take-downs', () => {
    const filter = filterOf('allHealthSubscriptions', 'resource-annotated');
    expect(filter.includedEventTypes).toEqual([
      'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated',
    ]);
    const annotation = advanced(filter).find((f) => f.key === 'data.resourceInfo.properties.annotationName');
    expect(annotation?.operatorType).toBe('StringIn');
    expect([...((annotation?.values ?? []) as string[])].sort()).toEqual([
      'VirtualMachineDeallocationInitiated',
      'VirtualMachinePreempted',
      'VirtualMachineStopInitiatedByControlPlane',
    ]);
  });

  it('filters availability changes to Unavailable', () => {
    const filter = filterOf('allHealthSubscriptions', 'availability-unavailable');
    expect(filter.includedEventTypes).toEqual([
      'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
    ]);
    const state = advanced(filter).find((f) => f.key === 'data.resourceInfo.properties.availabilityState');
    expect(state).toMatchObject({ operatorType: 'StringIn', values: ['Unavailable'] });
  });

  it('filters scheduled events to Preempt, Terminate, Redeploy, Reboot and Freeze', () => {
    const filter = filterOf('allMaintenanceSubscriptions', 'scheduled-events');
    expect(filter.includedEventTypes).toEqual([
      'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted',
    ]);
    const type = advanced(filter).find((f) => f.key === 'data.resourceInfo.properties.EventType');
    expect(type?.operatorType).toBe('StringIn');
    expect([...((type?.values ?? []) as string[])].sort()).toEqual([
      'Freeze',
      'Preempt',
      'Reboot',
      'Redeploy',
      'Terminate',
    ]);
  });

  it('filters Resource Manager actions to simulateEviction', () => {
    const filter = filterOf('allResourceActionSubscriptions', 'simulate-eviction');
    expect(filter.includedEventTypes).toEqual(['Microsoft.Resources.ResourceActionSuccess']);
    const operation = advanced(filter).find((f) => f.key === 'data.operationName');
    expect(operation).toMatchObject({ operatorType: 'StringEndsWith', values: ['simulateEviction/action'] });
  });

  it("only delivers events about the clusters' node resource groups, within the 25 filter values", () => {
    const nodeFilter = obj(varValue(events, 'nodeResourceGroupFilter'));
    expect(nodeFilter).toMatchObject({ operatorType: 'StringContains', key: 'subject' });
    const maxGroups = Number(
      events.params
        .get('nodeResourceGroups')!
        .decorators.find((d) => d.startsWith('@maxLength'))!
        .match(/\d+/)![0],
    );
    for (const list of Object.values(subscriptionLists)) {
      for (const s of subscriptionsOf(list)) {
        const filters = advanced(obj(s.filter));
        expect(filters, `${s.name} filters on node resource groups`).toContainEqual(nodeFilter);
        const fixedValues = filters
          .filter((f) => f !== nodeFilter && f.key !== 'subject')
          .reduce((n, f) => n + (f.values as BicepValue[]).length, 0);
        expect(fixedValues + maxGroups, `${s.name}: filter values`).toBeLessThanOrEqual(25);
      }
    }
  });

  it('alerts on dead-lettered and dropped events of every topic', () => {
    expect(varValue(events, 'alertedMetrics')).toEqual(['DeadLetteredCount', 'DroppedEventCount']);
    const alerts = byType(events, 'Microsoft.Insights/metricAlerts');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.loop).toBe('for pair in alerts');
    const topicNames = (varValue(events, 'allAlertedTopics') as BicepValue[]).map((t) => text(obj(t).name));
    expect(topicNames.sort()).toEqual(['healthTopicName', 'maintenanceTopicName', 'resourceActionTopicName']);
  });

  it('can hold the event subscriptions back until the function code exists', () => {
    const m = main.modules.find((x) => x.symbol === 'events')!;
    expect(m.condition).toBe('deployEventSubscriptions');
  });
});

describe('infra/azure: least privilege', () => {
  const assignments = everyFile.flatMap(([path, file]) =>
    byType(file, 'Microsoft.Authorization/roleAssignments').map((r) => ({ path, file, r })),
  );

  it('makes no role assignment in the subscription-scope file (that would be subscription-wide)', () => {
    expect(byType(main, 'Microsoft.Authorization/roleAssignments')).toEqual([]);
  });

  it('scopes every role assignment to a named resource of its module', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(5);
    for (const { path, file, r } of assignments) {
      const scope = text(r.body.scope);
      const target = scope.split('::')[0]!;
      const targetResource = allResources(file).find((x) => x.symbol === target);
      expect(
        targetResource,
        `${path} ${r.symbol}: scope ${scope} must be a resource declared in the file`,
      ).toBeDefined();
      expect(scope).not.toMatch(/subscription\(\)|resourceGroup\(\)|tenant\(\)/);
      expect(text(props(r).principalType)).toContain('ServicePrincipal');
    }
  });

  it('assigns only allow-listed built-in roles, never Owner, Contributor or admin roles', () => {
    const roleIdOf = (file: BicepFile, expression: string): string | undefined => {
      const literal = /'([0-9a-f-]{36})'/.exec(expression)?.[1];
      if (literal) return literal;
      const member = /roles\.(\w+)/.exec(expression)?.[1];
      if (member) return obj(varValue(file, 'roles'))[member] as string;
      const variable = /subscriptionResourceId\([^,]+,\s*(\w+)\)/.exec(expression)?.[1];
      if (variable) return varValue(file, variable) as string;
      return undefined;
    };
    for (const { path, file, r } of assignments) {
      const expression = text(props(r).roleDefinitionId);
      if (expression === 'drainerRoleDefinitionId') continue; // the custom role, checked below
      const id = roleIdOf(file, expression);
      expect(id, `${path} ${r.symbol}: ${expression}`).toBeDefined();
      expect(FORBIDDEN_ROLES[id!], `${path} ${r.symbol}`).toBeUndefined();
      expect(Object.keys(ALLOWED_BUILT_IN_ROLES), `${path} ${r.symbol}: role ${id}`).toContain(id);
    }
  });

  it('gives the custom AKS role exact data actions, no wildcard, assignable only on the clusters', () => {
    const role = byType(main, 'Microsoft.Authorization/roleDefinitions')[0]!;
    expect(role.condition).toBe("aksAuthorization == 'azure-rbac'");
    const permissions = (props(role).permissions as BicepValue[]).map(obj);
    for (const p of permissions) {
      expect(p.actions).toEqual([]);
      expect(text(p.dataActions)).toBe('aksRbacDataActions');
    }
    const dataActions = main.params.get('aksRbacDataActions')!.default as string[];
    expect(dataActions.length).toBeGreaterThan(0);
    for (const action of dataActions) {
      expect(action).not.toContain('*');
      expect(action).toMatch(/^Microsoft\.ContainerService\/managedClusters\//);
    }
    expect(text(props(role).assignableScopes)).toMatch(
      /for c in aksClusters: resourceId\(.*'Microsoft\.ContainerService\/managedClusters', c\.name\)/,
    );
    expect(main.params.get('aksAuthorization')?.default).toBe('kubernetes-rbac');
  });

  it('grants Key Vault access on the one kubeconfig secret, and only when one is configured', () => {
    const kv = moduleFiles.get('modules/keyvault-secret-access.bicep')!;
    const [assignment] = byType(kv, 'Microsoft.Authorization/roleAssignments');
    expect(text(assignment!.body.scope)).toBe('vault::secret');
    expect(main.modules.find((m) => m.symbol === 'kubeconfigAccess')!.condition).toBe(
      'useKeyVaultKubeconfig',
    );
  });

  it('gives Event Grid write access to the dead-letter container only', () => {
    const r = byType(app, 'Microsoft.Authorization/roleAssignments').find((x) =>
      text(props(x).principalId).includes('eventGridIdentity'),
    )!;
    expect(text(r.body.scope)).toBe('storage::blobService::deadLetterContainer');
  });
});

describe('infra/azure: Function App', () => {
  const storage = byType(app, 'Microsoft.Storage/storageAccounts')[0]!;
  const site = byType(app, 'Microsoft.Web/sites')[0]!;
  const plan = byType(app, 'Microsoft.Web/serverfarms')[0]!;

  it('hardens the storage account: no shared key, https only, TLS 1.2, no public blobs', () => {
    expect(props(storage)).toMatchObject({
      allowSharedKeyAccess: false,
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      allowBlobPublicAccess: false,
      defaultToOAuthAuthentication: true,
    });
  });

  it('runs Linux, Node.js 22, Functions v4 on Flex Consumption or Elastic Premium', () => {
    expect(main.params.get('planSku')?.default).toBe('FC1');
    expect(text(main.params.get('planSku')!.decorators.find((d) => d.startsWith('@allowed')))).toMatch(
      /'FC1'[\s\S]*'EP1'/,
    );
    expect(obj(varValue(app, 'flexSku'))).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(obj(varValue(app, 'premiumSku'))).toEqual({ name: 'EP1', tier: 'ElasticPremium' });
    expect(obj(props(plan)).reserved).toBe(true);
    expect(site.body.kind).toBe('functionapp,linux');
    expect(obj(obj(varValue(app, 'flexConfig')).runtime)).toEqual({ name: 'node', version: '22' });
    expect(text(obj(props(site).siteConfig).linuxFxVersion)).toBe("isFlex ? null : 'Node|22'");
    expect(obj(varValue(app, 'premiumOnlySettings')).FUNCTIONS_EXTENSION_VERSION).toBe('~4');
    expect(props(site).httpsOnly).toBe(true);
  });

  it('supports VNet integration for private clusters', () => {
    expect(text(props(site).virtualNetworkSubnetId)).toBe('empty(subnetId) ? null : subnetId');
    expect(main.params.get('subnetId')?.default).toBe('');
  });

  it('runs as the user-assigned identity, also for storage, package and telemetry', () => {
    expect(obj(site.body.identity).type).toBe('UserAssigned');
    const host = obj(varValue(app, 'hostSettings'));
    expect(text(host.AZURE_CLIENT_ID)).toBe('functionIdentity.properties.clientId');
    expect(host.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(host).not.toHaveProperty('AzureWebJobsStorage');
    const auth = obj(obj(obj(varValue(app, 'flexConfig')).deployment).storage);
    expect(obj(auth.authentication).type).toBe('UserAssignedIdentity');
    expect(text(obj(varValue(app, 'premiumOnlySettings')).WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID)).toBe(
      'functionIdentity.id',
    );
    const appInsights = byType(app, 'Microsoft.Insights/components')[0]!;
    expect(props(appInsights).DisableLocalAuth).toBe(true);
  });

  it('sets every setting the function reads', () => {
    const required = obj(varValue(main, 'requiredSettings'));
    for (const name of [
      'SPOT_DRAINER_DRY_RUN',
      'SPOT_DRAINER_DEADLINE_POLICY',
      'SPOT_DRAINER_EVICT_DAEMONSET_PODS',
      'SPOT_DRAINER_DELETE_EMPTYDIR_DATA',
      'SPOT_DRAINER_EVICTION_CONCURRENCY',
      'SPOT_DRAINER_EXCLUDE_FROM_LOAD_BALANCERS',
      'SPOT_DRAINER_MAINTENANCE_ACTION',
      'SPOT_DRAINER_AKS_CLUSTERS',
      'LOG_LEVEL',
    ]) {
      expect(required, name).toHaveProperty(name);
    }
    const optional = [
      ['clusterSetting', 'CLUSTER'],
      ['kubeconfigSetting', 'SPOT_DRAINER_KUBECONFIG_SOURCE'],
      ['slackUrlSetting', 'SLACK_URL'],
      ['slackChannelSetting', 'SLACK_CHANNEL'],
      ['webhookUrlSetting', 'SPOT_DRAINER_WEBHOOK_URL'],
      ['webhookTemplateSetting', 'SPOT_DRAINER_WEBHOOK_TEMPLATE'],
    ];
    // Merged into the function's settings as such: the arguments of the union, not a substring of it.
    expect(text(varValue(main, 'functionSettings'))).toBe(
      `union(${['requiredSettings', ...optional.map(([variable]) => variable)].join(', ')})`,
    );
    for (const [variable, setting] of optional) {
      expect(text(varValue(main, variable!)), setting).toMatch(new RegExp(`\\{ ${setting}: .+ \\}`));
    }
    expect(text(varValue(main, 'kubeconfigSetting'))).toContain(`'keyvault:\${kubeconfigSecretUrl}'`);
    // booleans are 'true'/'false', not ARM's 'True'
    expect(text(required.SPOT_DRAINER_DRY_RUN)).toBe("dryRun ? 'true' : 'false'");
    expect(text(required.SPOT_DRAINER_AKS_CLUSTERS)).toBe('string(aksClustersSetting)');
    expect(text(varValue(main, 'aksClustersSetting'))).toMatch(
      /toObject\(aksClusters, c => c\.nodeResourceGroup,/,
    );
    // secrets are secure parameters all the way down
    for (const name of ['slackUrl', 'webhookUrl']) {
      expect(main.params.get(name)!.decorators, name).toContain('@secure()');
    }
    expect(app.params.get('functionSettings')!.decorators).toContain('@secure()');
  });

  it('keeps a deployment container and a dead-letter container in the storage account', () => {
    const containers = allResources(app).filter((r) => r.type === 'containers');
    expect(containers.map((c) => text(c.body.name)).sort()).toEqual([
      'deadLetterContainerName',
      'deploymentContainerName',
    ]);
    for (const c of containers) expect(obj(c.body.properties).publicAccess).toBe('None');
  });

  it('points the dead-letter module wiring at real outputs of the app module', () => {
    expect(main.modules.find((m) => m.symbol === 'app')?.path).toBe('modules/app.bicep');
    const references = main.modules.flatMap((m) =>
      Object.values(obj(m.body.params)).flatMap((value) =>
        [...text(value).matchAll(/app\.outputs\.(\w+)/g)].map(([, output]) => ({ module: m.symbol, output })),
      ),
    );
    // The wiring the events module needs is there (so the loop below has something to check) ...
    expect(references.filter((r) => r.module === 'events').map((r) => r.output)).toEqual(
      expect.arrayContaining([
        'functionAppId',
        'storageAccountId',
        'deadLetterContainerName',
        'eventGridIdentityId',
      ]),
    );
    // ... and every output referenced is one the app module declares.
    for (const { module, output } of references) {
      expect([...app.outputs.keys()], `${module}: app.outputs.${output}`).toContain(output);
    }
  });
});

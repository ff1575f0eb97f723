// Structural checks of infra/azure (Bicep). No Bicep compiler can be installed from the npm registry
// (the npm wrappers download the CLI from elsewhere at run time), so these tests read the source with
// ./bicep-source.ts and check what a reviewer would: scopes, module wiring, topics and filters,
// retries and dead-lettering, least-privilege role assignments, the storage hardening and settings.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import publishedAksDataActions from '../../fixtures/azure/containerservice-data-actions.json' with {
  type: 'json',
};
// The one place this test reads the parsers' event types from (the registry may move).
import { listHandledEventTypes } from '../../fixtures/events/registry.ts';
import { type ArmPackage, armPackage, type Shape, shapeOf, unknownProperties } from './arm-models.ts';
import {
  allResources,
  type BicepFile,
  type BicepObject,
  type BicepResource,
  type BicepValue,
  isExpr,
  parseBicep,
} from './bicep-source.ts';
import { checkov, skipValidators } from './validators.ts';

const root = resolve(import.meta.dirname, '../../..');
/** Event types the Azure parsers accept (Event Grid / CloudEvents: any source). */
const azureEventTypes = () =>
  listHandledEventTypes()
    .filter((t) => !t.source.startsWith('aws.'))
    .map((t) => t.type);
const PUBLISHED_AKS_DATA_ACTIONS = publishedAksDataActions.dataActions;
// biome-ignore lint/suspicious/noExplicitAny: YAML documents are read loosely
type Json = Record<string, any>;
const azureDir = join(root, 'infra/azure');
const read = (relative: string) => readFileSync(join(azureDir, relative), 'utf8');
const load = (relative: string) => parseBicep(read(relative));

const main = load('main.bicep');
const moduleFiles = new Map<string, BicepFile>(
  main.modules.map((m) => [m.path, parseBicep(readFileSync(join(azureDir, m.path), 'utf8'))]),
);
// Modules of modules (paths relative to the module that uses them).
for (const [path, file] of [...moduleFiles]) {
  for (const m of file.modules) {
    const nested = join(dirname(path), m.path);
    moduleFiles.set(nested, parseBicep(readFileSync(join(azureDir, nested), 'utf8')));
  }
}
const app = moduleFiles.get('modules/app.bicep')!;
const events = moduleFiles.get('modules/events.bicep')!;
const everyFile: [string, BicepFile][] = [['main.bicep', main], ...moduleFiles];

// Built-in roles the identities may hold, each on a named resource.
const ALLOWED_BUILT_IN_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner (function host, its own storage account)',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor (Event Grid, dead-letter container)',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher (Application Insights)',
  '4abbcc35-e782-43d8-92c5-2d3f1bd2253f': 'Azure Kubernetes Service Cluster User Role (each cluster)',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User (the kubeconfig secret)',
  '19e7f393-937e-4f77-808e-94535e297925': 'Storage Queue Data Reader (the continuation queue)',
  'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a':
    'Storage Queue Data Message Sender (continuation and poison queues: continuations, the function dead letters, the host poison messages)',
  '8a0f0c08-91a1-4084-bc3d-661d67233fed': 'Storage Queue Data Message Processor (the continuation queue)',
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
    return obj(s.eventFilter);
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
      expect(text(sub!.body.properties)).toBe("union(delivery, { 'filter': s.eventFilter })");
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
    // every event type of the topic: both documented spellings of ScheduledEventEmitted get through
    expect(filter.includedEventTypes).toBeUndefined();
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
        const filters = advanced(obj(s.eventFilter));
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

  // The event types Event Grid publishes on each system topic type, as far as the parsers are concerned
  // (Azure documents the scheduled event under two names).
  const TOPIC_EVENT_TYPES: Record<string, string[]> = {
    'Microsoft.ResourceNotifications.HealthResources': [
      'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated',
      'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
    ],
    'Microsoft.ResourceNotifications.MaintenanceResources': [
      'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted',
      'microsoft.maintenance/scheduledevents/write',
    ],
    'Microsoft.Resources.Subscriptions': ['Microsoft.Resources.ResourceActionSuccess'],
  };
  /** Event types (lowercase: Event Grid compares case-insensitively) a subscription lets through. */
  const deliveredTypes = () => {
    const delivered = new Set<string>();
    for (const [topicType, list] of Object.entries(subscriptionLists)) {
      for (const s of subscriptionsOf(list)) {
        const included = obj(s.eventFilter).includedEventTypes as string[] | undefined;
        for (const type of included ?? TOPIC_EVENT_TYPES[topicType]!) delivered.add(type.toLowerCase());
      }
    }
    return delivered;
  };

  it('filters out no event type a parser accepts, and subscribes to none that no parser handles', () => {
    const parsed = azureEventTypes().map((t) => t.toLowerCase());
    expect(parsed.length).toBeGreaterThan(0);
    const delivered = deliveredTypes();
    for (const type of parsed) expect([...delivered], `${type} reaches the function`).toContain(type);
    for (const type of delivered) expect(parsed, `${type} has a parser`).toContain(type);
    for (const [topicType, types] of Object.entries(TOPIC_EVENT_TYPES)) {
      for (const type of types) expect(parsed, `${topicType}: ${type}`).toContain(type.toLowerCase());
    }
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
      // ARM rejects a custom role naming a data action the resource provider does not publish
      expect(PUBLISHED_AKS_DATA_ACTIONS, action).toContain(action);
    }
    // Assignable in subscriptions (Azure's recommendation; custom roles are limited per tenant), and
    // assigned on the clusters only (aks-access.bicep, checked above).
    expect(text(props(role).assignableScopes)).toBe('union([subscription().id], clusterSubscriptionScopes)');
    expect(text(varValue(main, 'clusterSubscriptionScopes'))).toBe(
      `[for c in aksClusters: '/subscriptions/\${c.?subscriptionId ?? subscription().subscriptionId}']`,
    );
    expect(main.params.get('aksAuthorization')?.default).toBe('kubernetes-rbac');
  });

  // The requests the drainer makes (infra/kubernetes/rbac.yaml grants exactly these), and the data action
  // the AKS authorization webhook checks for each under Azure RBAC for Kubernetes authorization: verbs
  // get/list/watch -> read, create/update/patch -> write, delete/deletecollection -> delete; a
  // subresource other than pods/exec is checked as its parent resource.
  const requests: [request: string, group: string, resource: string, verb: string, dataAction: string][] = [
    ['GET /api/v1/nodes/{name}', '', 'nodes', 'get', 'nodes/read'],
    ['GET /api/v1/nodes (resolve by provider id)', '', 'nodes', 'list', 'nodes/read'],
    ['PATCH /api/v1/nodes/{name} (cordon, taint, label, annotate)', '', 'nodes', 'patch', 'nodes/write'],
    ['GET /api/v1/nodes?watch=1&fieldSelector=metadata.name={name}', '', 'nodes', 'watch', 'nodes/read'],
    ['GET /api/v1/namespaces/{ns}/pods/{name}', '', 'pods', 'get', 'pods/read'],
    ['GET /api/v1/pods?fieldSelector=spec.nodeName={node}', '', 'pods', 'list', 'pods/read'],
    ['GET /api/v1/pods?watch=1&fieldSelector=spec.nodeName={node}', '', 'pods', 'watch', 'pods/read'],
    ['POST /api/v1/namespaces/{ns}/pods/{name}/eviction', '', 'pods/eviction', 'create', 'pods/write'],
    [
      'DELETE /api/v1/namespaces/{ns}/pods/{name} (cleanup, force-delete)',
      '',
      'pods',
      'delete',
      'pods/delete',
    ],
    [
      'GET /apis/policy/v1/namespaces/{ns}/poddisruptionbudgets (name those refusing an eviction)',
      'policy',
      'poddisruptionbudgets',
      'list',
      'policy/poddisruptionbudgets/read',
    ],
    ['POST /api/v1/namespaces/{ns}/events', '', 'events', 'create', 'events/write'],
    ['PATCH /api/v1/namespaces/{ns}/events/{name}', '', 'events', 'patch', 'events/write'],
    [
      'POST /apis/events.k8s.io/v1/namespaces/{ns}/events',
      'events.k8s.io',
      'events',
      'create',
      'events.k8s.io/events/write',
    ],
    [
      'PATCH /apis/events.k8s.io/v1/namespaces/{ns}/events/{name}',
      'events.k8s.io',
      'events',
      'patch',
      'events.k8s.io/events/write',
    ],
  ];
  const VERB_ACTION: Record<string, string> = {
    get: 'read',
    list: 'read',
    watch: 'read',
    create: 'write',
    update: 'write',
    patch: 'write',
    delete: 'delete',
    deletecollection: 'delete',
  };
  /** The data action AKS checks for a Kubernetes request. */
  const dataActionOf = (group: string, resource: string, verb: string) => {
    const [parent, subresource] = resource.split('/');
    if (parent === 'pods' && subresource === 'exec')
      return 'Microsoft.ContainerService/managedClusters/pods/exec/action';
    return `Microsoft.ContainerService/managedClusters/${group ? `${group}/` : ''}${parent}/${VERB_ACTION[verb]}`;
  };

  it.each(requests)(
    '%s is checked as %s/%s %s → %s, which the role grants',
    (_, group, resource, verb, action) => {
      const expected = `Microsoft.ContainerService/managedClusters/${action}`;
      expect(dataActionOf(group, resource, verb)).toBe(expected);
      expect(main.params.get('aksRbacDataActions')!.default as string[]).toContain(expected);
    },
  );

  it('covers every rule of the ClusterRole with that table, and grants nothing the table does not need', () => {
    const role = (loadAll(readFileSync(join(root, 'infra/kubernetes/rbac.yaml'), 'utf8')) as Json[]).find(
      (d) => d?.kind === 'ClusterRole',
    )!;
    const granted = new Set<string>();
    for (const rule of role.rules as Json[]) {
      for (const group of rule.apiGroups as string[]) {
        for (const resource of rule.resources as string[]) {
          for (const verb of rule.verbs as string[]) {
            expect(
              requests.some((r) => r[1] === group && r[2] === resource && r[3] === verb),
              `rbac.yaml grants ${group || 'core'} ${resource} ${verb}: add the request to the table`,
            ).toBe(true);
            granted.add(dataActionOf(group, resource, verb));
          }
        }
      }
    }
    expect([...(main.params.get('aksRbacDataActions')!.default as string[])].sort()).toEqual(
      [...granted].sort(),
    );
  });

  it('grants Key Vault access on the one kubeconfig secret, and only when one is configured', () => {
    const kv = moduleFiles.get('modules/keyvault-secret-access.bicep')!;
    const [assignment] = byType(kv, 'Microsoft.Authorization/roleAssignments');
    expect(text(assignment!.body.scope)).toBe('vault::secret');
    expect(main.modules.find((m) => m.symbol === 'kubeconfigAccess')!.condition).toBe(
      'useKeyVaultKubeconfig',
    );
  });

  it('gives the function the continuation queue roles on its two queues only, never the account', () => {
    const queueRoles = byType(app, 'Microsoft.Authorization/roleAssignments')
      .filter((r) => text(r.body.scope).startsWith('storage::queueService::'))
      .map(
        (r) =>
          `${text(r.body.scope).split('::')[2]} ${/roles\.(\w+)/.exec(text(props(r).roleDefinitionId))?.[1]}`,
      );
    expect(queueRoles.sort()).toEqual([
      'continuationPoisonQueue storageQueueDataMessageSender',
      'continuationQueue storageQueueDataMessageProcessor',
      'continuationQueue storageQueueDataMessageSender',
      'continuationQueue storageQueueDataReader',
    ]);
    for (const r of byType(app, 'Microsoft.Authorization/roleAssignments')) {
      expect(text(props(r).roleDefinitionId), r.symbol).not.toMatch(/storageQueueData\w*Contributor/);
    }
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
      ['webhookHeadersSetting', 'SPOT_DRAINER_WEBHOOK_HEADERS'],
      ['webhookProxySetting', 'SPOT_DRAINER_WEBHOOK_PROXY'],
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
    // The JSON built from strings, evaluated for two clusters as ARM would, reads back as the map
    // the function expects.
    const entry = text(varValue(main, 'aksClusterEntries')).match(
      /^\[\s*for c in aksClusters: '(.*)'\s*\]$/s,
    )![1]!;
    const clusters = [
      { resourceGroup: 'rg-shop', name: 'aks-shop', nodeResourceGroup: 'MC_rg-shop_aks-shop_westeurope' },
      { resourceGroup: 'rg-b', name: 'aks-b', nodeResourceGroup: 'mc-b', subscriptionId: 'sub-b' },
    ];
    const rendered = clusters.map((c) =>
      entry.replace(
        /\$\{c\.(\??)(\w+)( \?\? subscription\(\)\.subscriptionId)?\}/g,
        (_, __, key: string, fallback?: string) =>
          String((c as Record<string, string>)[key] ?? (fallback ? 'sub-deploy' : '')),
      ),
    );
    expect(text(varValue(main, 'aksClustersSetting'))).toBe(`json('{\${join(aksClusterEntries, ',')}}')`);
    expect(JSON.parse(`{${rendered.join(',')}}`)).toEqual({
      'MC_rg-shop_aks-shop_westeurope': {
        subscriptionId: 'sub-deploy',
        resourceGroup: 'rg-shop',
        name: 'aks-shop',
      },
      'mc-b': { subscriptionId: 'sub-b', resourceGroup: 'rg-b', name: 'aks-b' },
    });
    // secrets are secure parameters all the way down
    for (const name of ['slackUrl', 'webhookUrl']) {
      expect(main.params.get(name)!.decorators, name).toContain('@secure()');
    }
    expect(app.params.get('functionSettings')!.decorators).toContain('@secure()');
  });

  it('creates the continuation queue and its poison queue, and connects the queue trigger with the identity', () => {
    const queues = allResources(app).filter((r) => r.type === 'queues');
    expect(queues.map((q) => text(q.body.name)).sort()).toEqual([
      `'\${continuationQueueName}-poison'`,
      'continuationQueueName',
    ]);
    // The name the function's queue trigger listens on (functions/azure/handler.ts).
    const handler = readFileSync(join(root, 'functions/azure/handler.ts'), 'utf8');
    const name = varValue(app, 'continuationQueueName') as string;
    expect(handler).toContain(`CONTINUATION_QUEUE_NAME = '${name}'`);
    expect(handler).toContain("connection: 'ContinuationQueue'");
    const host = obj(varValue(app, 'hostSettings'));
    expect(host.ContinuationQueue__credential).toBe('managedidentity');
    expect(text(host.ContinuationQueue__clientId)).toBe('functionIdentity.properties.clientId');
    expect(text(host.ContinuationQueue__queueServiceUri)).toBe('storage.properties.primaryEndpoints.queue');
    expect(text(host.SPOT_DRAINER_CONTINUATION_QUEUE_URL)).toBe(
      `'\${storage.properties.primaryEndpoints.queue}\${continuationQueueName}'`,
    );
    expect(host).not.toHaveProperty('ContinuationQueue');
    // The function's own dead letters go to the poison queue, with its reason.
    expect(text(host.SPOT_DRAINER_DEAD_LETTER_QUEUE_URL)).toBe(
      `'\${storage.properties.primaryEndpoints.queue}\${continuationQueueName}-poison'`,
    );
    // Poison after a bounded number of failures, messages base64-encoded as the sender writes them.
    const hostJson = JSON.parse(readFileSync(join(root, 'functions/azure/host.json'), 'utf8'));
    expect(hostJson.extensions.queues).toMatchObject({
      maxDequeueCount: 3,
      messageEncoding: 'base64',
      batchSize: 1,
    });
    // The host and the function count to the same number of deliveries, from one parameter.
    const settings = obj(varValue(main, 'requiredSettings'));
    expect(text(settings.AzureFunctionsJobHost__extensions__queues__maxDequeueCount)).toBe(
      'string(continuationMaxDeliveries)',
    );
    expect(text(settings.SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES)).toBe('string(continuationMaxDeliveries)');
    expect(main.params.get('continuationMaxDeliveries')?.default).toBe(
      hostJson.extensions.queues.maxDequeueCount,
    );
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

describe('infra/azure: Scheduled Events opt-in (proactive Preempt)', () => {
  const optIn = moduleFiles.get('modules/scheduled-events-opt-in.bicep')!;
  const apply = moduleFiles.get('modules/scheduled-events-opt-in-apply.bicep')!;

  it('opts each listed scale set in, from its own resource group', () => {
    const m = main.modules.find((x) => x.symbol === 'scheduledEventsOptIn')!;
    expect(m.loop).toBe('for (id, i) in scheduledEventsScaleSetIds');
    expect(text(m.body.scope)).toBe("resourceGroup(split(id, '/')[2], split(id, '/')[4])");
    expect(text(obj(m.body.params).scaleSetName)).toBe("split(id, '/')[8]");
    expect(main.params.get('scheduledEventsScaleSetIds')?.default).toEqual([]);
  });

  it('writes the scale set back with its current model and eventGridAndResourceGraph.enable = true', () => {
    const [existing] = byType(optIn, 'Microsoft.Compute/virtualMachineScaleSets');
    expect(existing!.existing).toBe(true);
    const passed = obj(optIn.modules[0]!.body.params);
    expect(text(passed.properties)).toBe('scaleSet.properties');
    expect(text(passed.identity)).toBe('scaleSet.?identity ?? {}');
    const [scaleSet] = byType(apply, 'Microsoft.Compute/virtualMachineScaleSets');
    expect(scaleSet!.existing).toBe(false);
    // the policy needs Compute API 2025-04-01 or later
    expect(scaleSet!.apiVersion! >= '2025-04-01').toBe(true);
    expect(existing!.apiVersion).toBe(scaleSet!.apiVersion);
    expect(text(scaleSet!.body.properties)).toBe('union(properties, optIn)');
    expect(varValue(apply, 'optIn')).toEqual({
      scheduledEventsPolicy: {
        scheduledEventsAdditionalPublishingTargets: { eventGridAndResourceGraph: { enable: true } },
      },
    });
  });
});

describe.skipIf(skipValidators)('infra/azure: checkov', () => {
  it('parses every Bicep file and finds no failed check (suppressions carry their reason)', async () => {
    const report = await checkov('bicep', { directory: azureDir });
    expect(report.parsingErrors, report.output).toEqual([]);
    expect(report.failures, report.output).toEqual([]);
    expect(report.passed).toBeGreaterThan(10);
    // a suppression without a reason is not one
    for (const [path] of everyFile) {
      for (const line of read(path).split('\n')) {
        const skip = line.match(/checkov:skip=(\w+)(?::(.*))?/);
        if (skip) expect(skip[2]?.trim().length ?? 0, `${path}: ${line.trim()}`).toBeGreaterThan(20);
      }
    }
  }, 180_000);
});

// Each resource type this repository declares, and the published model that describes it: the
// @azure/arm-* package (pinned in package.json) whose mappers are that provider's API, and the model.
// The declared API version must be one the package speaks; the properties written in Bicep must be
// properties of that model (ARM ignores or rejects unknown ones, and a typo is silent otherwise).
// `base`: a model whose properties the resource also has, where the package's mapper leaves its base
// class out.
const MODELS: Record<string, { pkg: string; model?: string; base?: string; why?: string }> = {
  'Microsoft.Resources/resourceGroups': { pkg: '@azure/arm-resources', model: 'ResourceGroup' },
  'Microsoft.Authorization/roleDefinitions': { pkg: '@azure/arm-authorization', model: 'RoleDefinition' },
  'Microsoft.Authorization/roleAssignments': {
    pkg: '@azure/arm-authorization',
    model: 'RoleAssignmentCreateParameters',
  },
  'Microsoft.ManagedIdentity/userAssignedIdentities': { pkg: '@azure/arm-msi', model: 'Identity' },
  'Microsoft.Storage/storageAccounts': { pkg: '@azure/arm-storage', model: 'StorageAccountCreateParameters' },
  'Microsoft.Storage/storageAccounts/blobServices': {
    pkg: '@azure/arm-storage',
    model: 'BlobServiceProperties',
  },
  'Microsoft.Storage/storageAccounts/blobServices/containers': {
    pkg: '@azure/arm-storage',
    model: 'BlobContainer',
  },
  'Microsoft.Storage/storageAccounts/queueServices': {
    pkg: '@azure/arm-storage',
    model: 'QueueServiceProperties',
  },
  'Microsoft.Storage/storageAccounts/queueServices/queues': {
    pkg: '@azure/arm-storage',
    model: 'StorageQueue',
  },
  'Microsoft.OperationalInsights/workspaces': { pkg: '@azure/arm-operationalinsights', model: 'Workspace' },
  'Microsoft.Insights/components': {
    pkg: '@azure/arm-appinsights',
    why: 'no @azure/arm-* package models components at 2020-02-02 (arm-appinsights 4.0.0 stops at 2018-05-01-preview, without WorkspaceResourceId and DisableLocalAuth); checked by name only',
  },
  'Microsoft.Insights/metricAlerts': { pkg: '@azure/arm-monitor', model: 'MetricAlertResource' },
  'Microsoft.Insights/scheduledQueryRules': {
    pkg: '@azure/arm-monitor',
    why: 'arm-monitor 7.0.0 models only the legacy 2018-04-16 API of log alerts, and 8.0.0 ships no mappers to read; checked by name only, and its properties in monitoring.test.ts',
  },
  // arm-appinsights 4.0.0 generated Workbook without its TrackedResource base (location, tags), which
  // the 2021-08-01 API has and requires (location).
  'Microsoft.Insights/workbooks': {
    pkg: '@azure/arm-appinsights',
    model: 'Workbook',
    base: 'TrackedResource',
  },
  'Microsoft.Web/serverfarms': { pkg: '@azure/arm-appservice', model: 'AppServicePlan' },
  'Microsoft.Web/sites': { pkg: '@azure/arm-appservice', model: 'Site' },
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': {
    pkg: '@azure/arm-appservice',
    model: 'CsmPublishingCredentialsPoliciesEntity',
  },
  'Microsoft.EventGrid/systemTopics': { pkg: '@azure/arm-eventgrid', model: 'SystemTopic' },
  'Microsoft.EventGrid/systemTopics/eventSubscriptions': {
    pkg: '@azure/arm-eventgrid',
    model: 'EventSubscription',
  },
  'Microsoft.Compute/virtualMachineScaleSets': { pkg: '@azure/arm-compute', model: 'VirtualMachineScaleSet' },
  // Referenced as `existing` only (name and id): the API version is checked, no property is written.
  'Microsoft.ContainerService/managedClusters': { pkg: '@azure/arm-containerservice' },
  'Microsoft.KeyVault/vaults': { pkg: '@azure/arm-keyvault' },
  'Microsoft.KeyVault/vaults/secrets': { pkg: '@azure/arm-keyvault' },
};
// API versions declared without a model to check them against, and why.
const UNMODELLED_API_VERSIONS: Record<string, string> = {
  'Microsoft.Insights/components@2020-02-02': MODELS['Microsoft.Insights/components']!.why!,
  'Microsoft.Insights/scheduledQueryRules@2023-12-01': MODELS['Microsoft.Insights/scheduledQueryRules']!.why!,
};
// Bicep keywords of a resource body that are not ARM properties.
const BICEP_KEYWORDS = new Set(['name', 'parent', 'scope', 'dependsOn']);

/** Full type and API version of every resource (child resources inherit from their parent). */
function declaredResources() {
  const out: { path: string; symbol: string; type: string; apiVersion: string; resource: BicepResource }[] =
    [];
  for (const [path, file] of everyFile) {
    const walk = (resources: BicepResource[], parent?: { type: string; apiVersion: string }) => {
      for (const r of resources) {
        const type = parent ? `${parent.type}/${r.type}` : r.type;
        const apiVersion = r.apiVersion ?? parent!.apiVersion;
        out.push({ path, symbol: r.symbol, type, apiVersion, resource: r });
        walk(r.body.__resources ?? [], { type, apiVersion });
      }
    };
    walk(file.resources);
  }
  return out;
}

describe("infra/azure: API versions and properties against the providers' published models", () => {
  const resources = declaredResources();
  const modelOf = async (type: string): Promise<{ pkg: ArmPackage; shape?: Shape }> => {
    const entry = MODELS[type];
    if (!entry) throw new Error(`no published model listed for ${type}: add it to MODELS`);
    const pkg = await armPackage(entry.pkg);
    if (!entry.model) return { pkg };
    const shape = shapeOf(pkg, entry.model);
    if (!entry.base) return { pkg, shape };
    const properties = new Map([...shapeOf(pkg, entry.base).properties!, ...shape.properties!]);
    return { pkg, shape: { ...shape, properties } };
  };
  /** The model of `type` at `path` (e.g. properties.filter). */
  const shapeAt = async (type: string, path: string[]) => {
    let shape = (await modelOf(type)).shape!;
    for (const part of path) shape = shape.properties!.get(part.toLowerCase())!;
    expect(shape, `${type}: ${path.join('.')}`).toBeDefined();
    return shape;
  };

  it.each(resources.map((r) => [`${r.path} ${r.symbol}`, r] as const))(
    '%s: API version published by the provider',
    async (_, r) => {
      const key = `${r.type}@${r.apiVersion}`;
      const { pkg } = await modelOf(r.type);
      if (UNMODELLED_API_VERSIONS[key]) return;
      expect([...pkg.apiVersions], `${key} (${pkg.name}@${pkg.version})`).toContain(r.apiVersion);
    },
  );

  it.each(resources.filter((r) => !r.resource.existing).map((r) => [`${r.path} ${r.symbol}`, r] as const))(
    '%s: every property written is in the model',
    async (_, r) => {
      const { shape } = await modelOf(r.type);
      if (!shape) {
        expect(UNMODELLED_API_VERSIONS[`${r.type}@${r.apiVersion}`], `${r.type}: no model`).toBeDefined();
        return;
      }
      const body = Object.fromEntries(
        Object.entries(r.resource.body).filter(([k]) => !BICEP_KEYWORDS.has(k)),
      );
      expect(unknownProperties(shape, body), `${r.path} ${r.symbol} (${r.type}@${r.apiVersion})`).toEqual([]);
    },
  );

  it('checks the objects kept in variables against the part of the model they fill', async () => {
    const cases: [BicepFile, string, string, string[]][] = [
      [events, 'delivery', 'Microsoft.EventGrid/systemTopics/eventSubscriptions', ['properties']],
      [events, 'topicIdentity', 'Microsoft.EventGrid/systemTopics', ['identity']],
      [app, 'flexConfig', 'Microsoft.Web/sites', ['properties', 'functionAppConfig']],
      [app, 'flexSku', 'Microsoft.Web/serverfarms', ['sku']],
      [app, 'premiumSku', 'Microsoft.Web/serverfarms', ['sku']],
      [
        moduleFiles.get('modules/scheduled-events-opt-in-apply.bicep')!,
        'optIn',
        'Microsoft.Compute/virtualMachineScaleSets',
        ['properties'],
      ],
    ];
    for (const [file, name, type, path] of cases) {
      expect(unknownProperties(await shapeAt(type, path), varValue(file, name)), `var ${name}`).toEqual([]);
    }
    // each event subscription's filter
    for (const list of [
      'allHealthSubscriptions',
      'allMaintenanceSubscriptions',
      'allResourceActionSubscriptions',
    ]) {
      for (const s of (varValue(events, list) as BicepValue[]).map(obj)) {
        const filter = obj(s.eventFilter);
        const resolved = {
          ...filter,
          advancedFilters: (filter.advancedFilters as BicepValue[]).map((f) =>
            isExpr(f) ? varValue(events, f.expr) : f,
          ),
        };
        const shape = await shapeAt('Microsoft.EventGrid/systemTopics/eventSubscriptions', [
          'properties',
          'filter',
        ]);
        expect(unknownProperties(shape, resolved), `${s.name} filter`).toEqual([]);
      }
    }
  });

  it('catches a misspelt property (the check itself works)', async () => {
    const shape = (await modelOf('Microsoft.Storage/storageAccounts')).shape!;
    expect(
      unknownProperties(shape, { properties: { allowSharedKeyAccess: false, minimumTLSVersion: 'TLS1_2' } }),
    ).toEqual([]);
    expect(unknownProperties(shape, { properties: { allowSharedKeysAccess: false } })).toEqual([
      'properties.allowSharedKeysAccess',
    ]);
    const vmss = (await modelOf('Microsoft.Compute/virtualMachineScaleSets')).shape!;
    expect(
      unknownProperties(vmss, {
        properties: {
          scheduledEventsPolicy: {
            scheduledEventsAdditionalPublishingTargets: { eventGrid: { enable: true } },
          },
        },
      }),
    ).toEqual(['properties.scheduledEventsPolicy.scheduledEventsAdditionalPublishingTargets.eventGrid']);
  });
});

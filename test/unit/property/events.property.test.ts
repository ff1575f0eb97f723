/**
 * Property-based tests of everything an event can reach: the parsers (parseEvent, parseEvents) over more
 * than ten thousand generated and mutated events per run, and the whole AWS and Azure handlers over a
 * fake cluster whose nodes include near misses of every machine the events name.
 *
 * Events start from the sample fixtures and are retargeted (other instances, subscriptions, resource
 * groups, scale sets) and mutated: fields dropped, added or retyped, strings changed, huge, unicode, null,
 * arrays. Properties: parsing never throws, gives interruptions, ignored or invalid (with a reason), any
 * interruption names a machine whose id is in the event, with valid dates; the handlers write no node
 * (no patch, eviction, deletion or Event) unless its provider id is exactly that of a machine the event
 * names, of this cluster.
 */
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import type { TokenCredential } from '@azure/core-auth';
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import type { Interruption } from '../../../src/events/interruption.ts';
import type { ParseContext, ParseResult } from '../../../src/events/parser.ts';
import type { KubeClient, KubeCore } from '../../../src/kube/client.ts';
import { silentLogger } from '../../../src/logging.ts';
import { aksNodeName } from '../../../src/providers/azure/resource-id.ts';
import { parseEvent, parseEvents } from '../../fixtures/events/registry.ts';
import { recordFigures } from '../../integration/faults/figures.ts';
import { handleAwsEvent, handleAzureEvents } from '../../integration/pipelines.ts';

// ---------------------------------------------------------------------------------------------------
// The fake cluster the handlers reach (through the client cache, which every handler goes through)
// ---------------------------------------------------------------------------------------------------

interface Write {
  call: string;
  node: string;
}

const world = {
  nodes: new Map<string, V1Node>(),
  pods: new Map<string, V1Pod & { node: string }>(),
  /** Where each pod ran, also after it was evicted (Events about it come afterwards). */
  podHome: new Map<string, string>(),
  writes: [] as Write[],
  calls: 0,
};

const notFound = () => Object.assign(new Error('not found'), { code: 404, body: '{"message":"not found"}' });

const fakeCore: KubeCore = {
  async readNode({ name }) {
    world.calls++;
    const node = world.nodes.get(name);
    if (!node) throw notFound();
    return structuredClone(node);
  },
  async listNode() {
    world.calls++;
    return { items: [...world.nodes.values()].map((node) => structuredClone(node)), metadata: {} };
  },
  async patchNode({ name }) {
    world.calls++;
    world.writes.push({ call: 'patchNode', node: name });
    const node = world.nodes.get(name);
    if (!node) throw notFound();
    node.spec = { ...node.spec, unschedulable: true };
    return structuredClone(node);
  },
  async listPodForAllNamespaces({ fieldSelector }) {
    world.calls++;
    const onNode = /^spec\.nodeName=(.*)$/.exec(fieldSelector ?? '')?.[1];
    const named = /metadata\.name=([^,]+)/.exec(fieldSelector ?? '')?.[1];
    const items = [...world.pods.values()].filter(
      (pod) =>
        (onNode === undefined || pod.node === onNode) &&
        (named === undefined || pod.metadata?.name === named),
    );
    return { items: items.map(({ node: _node, ...pod }) => structuredClone(pod)) };
  },
  async readNamespacedPod({ name }) {
    world.calls++;
    const pod = world.pods.get(name);
    if (!pod) throw notFound();
    const { node: _node, ...rest } = pod;
    return structuredClone(rest);
  },
  async createNamespacedPodEviction({ name }) {
    world.calls++;
    const pod = world.pods.get(name);
    if (!pod) throw notFound();
    world.writes.push({ call: 'eviction', node: pod.node });
    world.pods.delete(name);
    return {};
  },
  async deleteNamespacedPod({ name }) {
    world.calls++;
    const pod = world.pods.get(name);
    if (!pod) throw notFound();
    world.writes.push({ call: 'delete', node: pod.node });
    world.pods.delete(name);
    return pod;
  },
  async createNamespacedEvent({ body }) {
    world.calls++;
    const involved = (body as CoreV1Event).involvedObject;
    const node = involved.kind === 'Node' ? involved.name : world.podHome.get(involved.name ?? '');
    world.writes.push({ call: 'event', node: node ?? `pod ${involved.name}` });
    return body as CoreV1Event;
  },
};

const fakeKube: KubeClient = {
  core: fakeCore,
  server: 'https://fake.cluster.invalid',
  request: async () => {
    throw new Error('not used');
  },
  requestCount: () => world.calls,
  close: async () => {},
};

const mocked = vi.hoisted(() => ({ kube: undefined as KubeClient | undefined }));
mocked.kube = fakeKube;

vi.mock('../../../src/kube/client-cache.ts', () => ({
  cachedKubeClient: async () => mocked.kube,
  closeCachedKubeClients: async () => {},
}));

function readyNode(name: string, providerID: string): V1Node {
  return {
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', annotations: {}, labels: {} },
    spec: { providerID },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function populate(nodes: V1Node[]) {
  world.nodes.clear();
  world.pods.clear();
  world.podHome.clear();
  world.writes = [];
  for (const node of nodes) {
    const name = node.metadata!.name!;
    world.nodes.set(name, structuredClone(node));
    for (const index of [1, 2]) {
      const pod = `${name}-pod-${index}`;
      world.podHome.set(pod, name);
      world.pods.set(pod, {
        node: name,
        metadata: { name: pod, namespace: 'app', uid: `uid-${pod}`, resourceVersion: '1' },
        spec: { nodeName: name, containers: [{ name: 'c' }], terminationGracePeriodSeconds: 1 },
        status: { phase: 'Running' },
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Ids: this cluster's machines, their near misses, and other clusters'
// ---------------------------------------------------------------------------------------------------

const CLUSTER = 'prod';
const ZONE = 'us-east-1a';
const OURS = ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2', 'i-0aaaaaaaaaaaaaaa3'];
const FOREIGN = ['i-0fffffffffffffff1']; // EC2 says: cluster "other"
const UNKNOWN = ['i-0eeeeeeeeeeeeeee1', 'i-0eeeeeeeeeeeeeee2', 'i-0ccccccccccccccc1']; // EC2 does not know them
const HINT_TRAP = 'ip-10-0-0-2.ec2.internal'; // OURS[1]'s DNS name, held by another machine's node
const AWS_NODES = [
  readyNode('ip-10-0-0-1.ec2.internal', `aws:///${ZONE}/${OURS[0]}`),
  readyNode('node-of-ours-2', `aws:///${ZONE}/${OURS[1]}`),
  readyNode(HINT_TRAP, `aws:///${ZONE}/i-0bbbbbbbbbbbbbbb2`),
  readyNode('ip-10-0-0-3.ec2.internal', `aws:///${ZONE}/${OURS[2]}`),
  readyNode('wrong-zone', `aws:///us-east-1b/${OURS[0]}`),
  readyNode('prefix', `aws:///${ZONE}/${OURS[2]!.slice(0, -1)}`),
  readyNode('longer', `aws:///${ZONE}/i-0aaaaaaaaaaaaaaa10`),
  readyNode('upper', `aws:///${ZONE}/${OURS[0]!.toUpperCase()}`),
  readyNode('no-slashes', `aws://${ZONE}/${OURS[0]}`),
  readyNode('foreign', `aws:///${ZONE}/${FOREIGN[0]}`),
  readyNode('unknown-one', `aws:///us-east-1c/${UNKNOWN[0]}`),
  readyNode('unknown-twice-a', `aws:///us-east-1a/${UNKNOWN[1]}`),
  readyNode('unknown-twice-b', `aws:///us-east-1b/${UNKNOWN[1]}`),
  // No node has UNKNOWN[2]; this one's id only starts with it.
  readyNode('only-longer', `aws:///${ZONE}/${UNKNOWN[2]}0`),
];
const AWS_IDS = [
  ...OURS,
  ...FOREIGN,
  ...UNKNOWN,
  'i-0bbbbbbbbbbbbbbb2',
  'i-0aaaaaaaaaaaaaaa10',
  'i-0123456789abcdef0',
];

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000aa';
const OTHER_SUBSCRIPTION = '00000000-0000-0000-0000-0000000000bb';
const GROUP = 'MC_rg-spot_aks-spot_eastus';
const OTHER_GROUP = 'MC_rg-other_aks-other_eastus';
const VMSS = 'aks-spot1-12345678-vmss';
const VMSS_2 = 'aks-spot1-12345678-vmss2';
const STANDALONE = 'aks-flex1-55667788-vms3';
const vmssId = (sub: string, group: string, vmss: string, instance: number | string) =>
  `azure:///subscriptions/${sub}/resourceGroups/${group.toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${instance}`;
const AZURE_NODES = [
  readyNode(aksNodeName(VMSS, 3), vmssId(SUBSCRIPTION, GROUP, VMSS, 3)),
  readyNode(aksNodeName(VMSS, 7), vmssId(SUBSCRIPTION, GROUP, VMSS, 7)),
  readyNode('aks-node-twelve', vmssId(SUBSCRIPTION, GROUP, VMSS, 12)),
  readyNode(aksNodeName(VMSS, 12), vmssId(SUBSCRIPTION, GROUP, VMSS, 99)),
  readyNode(aksNodeName(VMSS, 70), vmssId(SUBSCRIPTION, GROUP, VMSS, 70)),
  readyNode(aksNodeName(VMSS_2, 7), vmssId(SUBSCRIPTION, GROUP, VMSS_2, 7)),
  readyNode('other-subscription-7', vmssId(OTHER_SUBSCRIPTION, GROUP, VMSS, 7)),
  readyNode('other-group-7', vmssId(SUBSCRIPTION, OTHER_GROUP, VMSS, 7)),
  readyNode(
    STANDALONE,
    `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP.toLowerCase()}/providers/Microsoft.Compute/virtualMachines/${STANDALONE}`,
  ),
];

const guid = fc.uuid().map((id) => id.toLowerCase());
const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const foreignInstanceId = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...AWS_IDS) },
  { weight: 1, arbitrary: hex(17).map((h) => `i-${h}`) },
  { weight: 1, arbitrary: hex(8).map((h) => `i-${h}`) },
);

/** Values of the wrong kind, in sizes and alphabets events do not come in. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(''),
  fc.constant('   '),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.nat({ max: 4 }).map((k) => 'A'.repeat(16_384 * (k + 1))),
  fc.nat({ max: 2 }).map((k) => '🙂\u0000\u202e'.repeat(8_192 * (k + 1))),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(
    '2026-02-30T25:61:61Z',
    'Fri, 31 Feb 2026 99:99:99 GMT',
    '0',
    '-1',
    '1e309',
    'NaN',
    'Infinity',
  ),
  foreignInstanceId,
  guid.map((id) => `/subscriptions/${id}/resourceGroups/x/providers/Microsoft.Compute/virtualMachines/y`),
);

const weirdKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'detail',
    'data',
    'id',
    'type',
    'specversion',
  ),
);

// ---------------------------------------------------------------------------------------------------
// Fixtures, retargeting and mutation
// ---------------------------------------------------------------------------------------------------

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'events');
const fixtureTexts = (cloud: 'aws' | 'azure') =>
  readdirSync(join(FIXTURES, cloud))
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file: `${cloud}/${file}`, text: readFileSync(join(FIXTURES, cloud, file), 'utf8') }));
const AWS_FIXTURES = fixtureTexts('aws');
const AZURE_FIXTURES = fixtureTexts('azure');
const ALL_FIXTURES = [...AWS_FIXTURES, ...AZURE_FIXTURES];

const SAMPLE_INSTANCE = /i-[0-9a-f]{8}(?:[0-9a-f]{9})?(?![0-9a-z])/g;

/** The AWS sample with each of its instance ids replaced by one of `targets`. */
function retargetAws(text: string, targets: string[]): unknown {
  const seen = new Map<string, string>();
  return JSON.parse(
    text.replace(SAMPLE_INSTANCE, (id) => {
      if (!seen.has(id)) seen.set(id, targets[seen.size % targets.length]!);
      return seen.get(id)!;
    }),
  );
}

interface AzureTarget {
  subscription: string;
  group: string;
  vmss: string;
  instance: string;
}

/** The Azure sample moved to another subscription, resource group, scale set and instance. */
function retargetAzure(text: string, target: AzureTarget): unknown {
  // Inside a JSON string, whatever the target parts are made of.
  const inJson = (part: string) => JSON.stringify(part).slice(1, -1);
  const { subscription, group, vmss, instance } = {
    subscription: inJson(target.subscription),
    group: inJson(target.group),
    vmss: inJson(target.vmss),
    instance: inJson(target.instance),
  };
  return JSON.parse(
    text
      .replaceAll('9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64', () => subscription)
      .replace(/MC_rg-shop_aks-shop_westeurope/gi, () => group)
      .replace(/aks-spot\d-\d+-vmss_\d+/gi, () => `${vmss}_${instance}`)
      .replace(/aks-spot\d-\d+-vmss/gi, () => vmss)
      .replace(
        /(virtualMachineScaleSets\/[^/"]+\/virtualMachines\/)\d+/gi,
        (_match, head: string) => head + instance,
      ),
  );
}

const azureTarget: fc.Arbitrary<AzureTarget> = fc.record({
  subscription: fc.oneof(
    { weight: 4, arbitrary: fc.constant(SUBSCRIPTION) },
    { weight: 1, arbitrary: fc.constantFrom(OTHER_SUBSCRIPTION, SUBSCRIPTION.toUpperCase()) },
    { weight: 1, arbitrary: guid },
  ),
  group: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(GROUP, GROUP.toLowerCase()) },
    { weight: 1, arbitrary: fc.constant(OTHER_GROUP) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  ),
  vmss: fc.oneof(
    { weight: 3, arbitrary: fc.constant(VMSS) },
    { weight: 1, arbitrary: fc.constantFrom(VMSS_2, VMSS.toUpperCase(), 'aks-spot1-1234567-vmss') },
  ),
  instance: fc.constantFrom('3', '7', '12', '3', '7', '12', '70', '007', '99', '1234567890123456789'),
});

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(prefix);
  if (depth > 10 || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value))
    value.forEach((item, index) => {
      pathsOf(item, [...prefix, index], out, depth + 1);
    });
  else
    for (const key of Object.keys(value))
      pathsOf((value as Record<string, unknown>)[key], [...prefix, key], out, depth + 1);
  return out;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> | undefined {
  let current = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    current = current?.[key] as Record<string | number, unknown>;
    if (current === null || typeof current !== 'object') return undefined;
  }
  return current;
}

/** Sets an own property, also for keys such as "__proto__" (as JSON.parse would). */
function define(target: object, key: string | number, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

type StringChange = 'upper' | 'lower' | 'prefix' | 'suffix' | 'truncate' | 'pad' | 'double' | 'id';

function changeString(text: string, how: StringChange, extra: string, id: string): string {
  switch (how) {
    case 'upper':
      return text.toUpperCase();
    case 'lower':
      return text.toLowerCase();
    case 'prefix':
      return extra + text;
    case 'suffix':
      return text + extra;
    case 'truncate':
      return text.slice(0, Math.floor(text.length / 2));
    case 'pad':
      return ` ${text}\n`;
    case 'double':
      return text + text;
    case 'id':
      return id;
  }
}

interface Mutation {
  pick: number;
  op: 'drop' | 'replace' | 'add' | 'string' | 'wrap' | 'stringify';
  value: unknown;
  key: string;
  change: StringChange;
  extra: string;
  id: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('drop', 'replace', 'add', 'string', 'string', 'wrap', 'stringify'),
  value: weird,
  key: weirdKey,
  change: fc.constantFrom('upper', 'lower', 'prefix', 'suffix', 'truncate', 'pad', 'double', 'id'),
  extra: fc.string({ unit: 'grapheme', maxLength: 6 }),
  id: fc.oneof(
    foreignInstanceId,
    guid,
    fc.constantFrom(VMSS_2, OTHER_GROUP, `${VMSS}_70`, '/subscriptions//resourceGroups/'),
  ),
});

function mutate(event: unknown, mutations: Mutation[]): unknown {
  let root = structuredClone(event);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.pick % paths.length]!;
    if (path.length === 0) {
      if (m.op === 'replace') root = m.value;
      else if (m.op === 'wrap') root = [root];
      continue;
    }
    const parent = parentOf(root, path);
    if (!parent) continue;
    const key = path.at(-1)!;
    const current = parent[key];
    switch (m.op) {
      case 'drop':
        if (Array.isArray(parent)) {
          // By hand: splice would consult a "constructor" key a mutation may have added to the array.
          for (let index = Number(key); index < parent.length - 1; index++) parent[index] = parent[index + 1];
          parent.length = Math.max(0, parent.length - 1);
        } else delete parent[key];
        break;
      case 'replace':
        define(parent, key, m.value);
        break;
      case 'add':
        if (current !== null && typeof current === 'object' && !Array.isArray(current))
          define(current, m.key, m.value);
        else if (Array.isArray(current)) current.push(m.value);
        else define(parent, m.key, m.value);
        break;
      case 'string':
        if (typeof current === 'string') define(parent, key, changeString(current, m.change, m.extra, m.id));
        break;
      case 'wrap':
        define(parent, key, [current]);
        break;
      case 'stringify':
        define(
          parent,
          key,
          typeof current === 'string' ? Number(current) : (JSON.stringify(current) ?? 'undefined'),
        );
        break;
    }
  }
  return root;
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
const awsTargets = fc.array(foreignInstanceId, { minLength: 1, maxLength: 3 });

/** A sample event of the given cloud, retargeted, and (most of the time) mutated. */
const cloudEvent = (fixtures: typeof ALL_FIXTURES, unmutated = 1, mutated = 4) =>
  fc
    .tuple(
      fc.constantFrom(...fixtures),
      awsTargets,
      azureTarget,
      fc.oneof(
        { weight: unmutated, arbitrary: fc.constant([] as Mutation[]) },
        { weight: mutated, arbitrary: mutations },
      ),
    )
    .map(([fixture, aws, azure, changes]) =>
      mutate(
        fixture.file.startsWith('aws/') ? retargetAws(fixture.text, aws) : retargetAzure(fixture.text, azure),
        changes,
      ),
    );

const KNOWN_TYPES: [string, string][] = [
  ['aws.ec2', 'EC2 Spot Instance Interruption Warning'],
  ['aws.ec2', 'EC2 Instance Rebalance Recommendation'],
  ['aws.ec2', 'EC2 Instance State-change Notification'],
  ['aws.autoscaling', 'EC2 Instance-terminate Lifecycle Action'],
  ['aws.health', 'AWS Health Event'],
];

/** Envelopes of the kinds we handle around arbitrary payloads. */
const envelopeAroundAnything = fc.oneof(
  fc
    .tuple(fc.constantFrom(...KNOWN_TYPES), fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 1 }))
    .map(([[source, type], detail, time]) => ({ id: 'x', source, 'detail-type': type, time, detail })),
  fc
    .tuple(
      fc.constantFrom(
        'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted',
        'microsoft.maintenance/scheduledevents/write',
        'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated',
        'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
        'Microsoft.Resources.ResourceActionSuccess',
      ),
      fc.jsonValue({ maxDepth: 4 }),
      fc.boolean(),
    )
    .map(([type, data, cloudEvents]) =>
      cloudEvents
        ? {
            specversion: '1.0',
            id: 'x',
            source: '/subscriptions/x',
            type,
            time: '2026-11-20T10:00:00Z',
            data,
          }
        : { id: 'x', eventType: type, eventTime: '2026-11-20T10:00:00Z', subject: '/x', data },
    ),
);

const anyInput: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 4 }),
  weird,
);

const parseContext: fc.Arbitrary<ParseContext> = fc.record({
  now: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
  options: fc.record({
    rebalanceAction: fc.constantFrom('cordon' as const, 'drain' as const),
    maintenanceAction: fc.constantFrom('cordon' as const, 'drain' as const, 'ignore' as const),
    lifecycleHookTimeoutSeconds: fc.integer({ min: 30, max: 7200 }),
  }),
});

// ---------------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------------

/** Every string in the event (keys too), lower case, one per line: where an id may legitimately come from. */
function stringsOf(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') out.push(value.toLowerCase());
  else if (value !== null && typeof value === 'object' && depth < 20) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key.toLowerCase());
      stringsOf(item, out, depth + 1);
    }
  }
  return out;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const AZURE_VM =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/(?:virtualmachinescalesets\/([^/]+)\/virtualmachines\/(\d+)|virtualmachines\/([^/]+))$/;

/**
 * Whether `text` has `prefix` (not glued to a longer name before it) followed by something `rest` accepts.
 * Plain string search: names from fuzzed events can be far too long for a regular expression.
 */
function occurs(text: string, prefix: string, rest: (after: string) => boolean): boolean {
  for (let at = text.indexOf(prefix); at >= 0; at = text.indexOf(prefix, at + 1)) {
    const before = at === 0 || prefix.startsWith('/') ? '' : text[at - 1]!;
    if (!/[a-z0-9-]/.test(before) && rest(text.slice(at + prefix.length, at + prefix.length + 40)))
      return true;
  }
  return false;
}

/** Whether the event's strings name this VM: its subscription, group, and name or scale set and instance. */
function namesAzureVm(resourceId: string, text: string): boolean {
  const match = AZURE_VM.exec(resourceId.toLowerCase());
  if (!match) return false;
  const [, subscription, group, vmss, instance, name] = match;
  if (!text.includes(subscription!) || !text.includes(group!)) return false;
  if (vmss !== undefined) {
    const number = new RegExp(`^0*${instance}(?![0-9])`);
    return (
      occurs(text, `${vmss}_`, (after) => number.test(after)) ||
      occurs(text, `virtualmachinescalesets/${vmss}/virtualmachines/`, (after) => number.test(after))
    );
  }
  const whole = (after: string) => after === '' || after.startsWith('\n') || after.startsWith('/');
  return `\n${text}\n`.includes(`\n${name}\n`) || occurs(text, `/virtualmachines/${name}`, whole);
}

function namesInstance(instanceId: string, text: string): boolean {
  return new RegExp(`(?<![0-9a-z-])${escapeRegExp(instanceId)}(?![0-9a-z])`).test(text);
}

function checkParseResult(event: unknown, result: ParseResult, stats: Stats) {
  stats.events++;
  stats[result.status]++;
  expect(['interruptions', 'ignored', 'invalid']).toContain(result.status);
  if (result.status !== 'interruptions') {
    expect(typeof result.reason).toBe('string');
    expect(result.reason.trim()).not.toBe('');
    stats.longestReason = Math.max(stats.longestReason, result.reason.length);
    return;
  }
  expect(result.interruptions.length).toBeGreaterThan(0);
  const text = stringsOf(event).join('\n');
  for (const interruption of result.interruptions) checkInterruption(interruption, text, stats);
}

function checkInterruption(interruption: Interruption, text: string, stats: Stats) {
  stats.interruptionsFound++;
  expect(typeof interruption.eventId).toBe('string');
  expect(interruption.eventId).not.toBe('');
  expect(interruption.eventTime).toBeInstanceOf(Date);
  expect(Number.isFinite(interruption.eventTime.getTime())).toBe(true);
  if (interruption.deadline !== undefined) {
    expect(interruption.deadline).toBeInstanceOf(Date);
    expect(Number.isFinite(interruption.deadline.getTime())).toBe(true);
  }
  expect(['drain', 'cordon', 'cleanup', 'cordon-or-cleanup', 'release']).toContain(interruption.action);
  expect(interruption.machine.cloud).toBe(interruption.cloud);
  for (const value of Object.values(interruption.details)) expect(typeof value).toBe('string');
  const { machine } = interruption;
  const named =
    machine.cloud === 'aws'
      ? namesInstance(String(machine.instanceId), text)
      : namesAzureVm(String(machine.resourceId), text);
  expect(named, `${JSON.stringify(machine)} is not named by the event`).toBe(true);
}

interface Stats {
  events: number;
  interruptions: number;
  ignored: number;
  invalid: number;
  interruptionsFound: number;
  longestReason: number;
}

const stats: Stats = {
  events: 0,
  interruptions: 0,
  ignored: 0,
  invalid: 0,
  interruptionsFound: 0,
  longestReason: 0,
};
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
/**
 * A new seed every run, so that runs together try more inputs than one fixed seed would (`npm run
 * test:property:long` tries many in a row). The seed is printed; SPOT_DRAINER_PROPERTY_SEED=<seed>
 * runs the same inputs again. fast-check also prints the seed and path of a failing case.
 */
const SEED = (() => {
  const given = process.env.SPOT_DRAINER_PROPERTY_SEED;
  if (given === undefined || given === '') return randomInt(2 ** 31);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`SPOT_DRAINER_PROPERTY_SEED=${given} is not an integer`);
  return seed;
})();
console.info(`property tests: seed ${SEED} (SPOT_DRAINER_PROPERTY_SEED=${SEED} runs the same inputs again)`);
// Hundreds of runs per test: on a shared, loaded machine that can take longer than the default 5 s, and a
// timeout would say nothing about the property.
vi.setConfig({ testTimeout: 120_000 });

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

// ---------------------------------------------------------------------------------------------------
// The parsers
// ---------------------------------------------------------------------------------------------------

describe('parseEvent and parseEvents, over generated and mutated events', () => {
  const parseOne = (event: unknown, context: ParseContext) => {
    let result: ParseResult | undefined;
    expect(() => {
      result = parseEvent(event, context);
    }).not.toThrow();
    checkParseResult(event, result!, stats);
  };

  it.each(ALL_FIXTURES.map((fixture) => [fixture.file, fixture] as const))(
    'never throw on mutations of %s, and name only machines the event names',
    (_file, fixture) => {
      fc.assert(
        fc.property(cloudEvent([fixture]), parseContext, (event, context) => parseOne(event, context)),
        { numRuns: 450, seed: SEED },
      );
    },
  );

  it('never throw on envelopes of our kinds around arbitrary payloads', () => {
    fc.assert(fc.property(envelopeAroundAnything, parseContext, parseOne), { numRuns: 800, seed: SEED });
  });

  it('never throw on anything at all', () => {
    fc.assert(fc.property(anyInput, parseContext, parseOne), { numRuns: 800, seed: SEED });
  });

  it('parse a delivery (Event Grid array) into one result per event, each as parseEvent would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(cloudEvent(AZURE_FIXTURES), cloudEvent(AWS_FIXTURES), anyInput), { maxLength: 8 }),
        parseContext,
        (events, context) => {
          const results = parseEvents(events, context);
          expect(results).toHaveLength(events.length);
          results.forEach((result, index) => {
            checkParseResult(events[index], result, stats);
            expect(result).toEqual(parseEvent(events[index], context));
          });
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });

  it('parsed at least ten thousand events, without an unhandled rejection', () => {
    recordFigures('property/parsers', { seed: SEED, ...stats });
    expect(stats.events).toBeGreaterThanOrEqual(10_000);
    // Not vacuous: every outcome occurred, many times.
    expect(stats.interruptions).toBeGreaterThan(500);
    expect(stats.ignored).toBeGreaterThan(500);
    expect(stats.invalid).toBeGreaterThan(500);
    expect(unhandled).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// The handlers
// ---------------------------------------------------------------------------------------------------

const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);
const handlerStats = { runs: 0, deliveriesWithWrites: 0, nodesWritten: 0, interruptionsParsed: 0 };

const AWS_PROVIDER_ID = /^aws:\/\/\/([^/]+)\/([^/]+)$/;

/**
 * The node names the AWS handler may write for `event`: those whose provider id is exactly that of an
 * instance the event names. EC2 places this cluster's instances in ZONE and tags the foreign one with
 * another cluster; an instance EC2 does not know is matched in any zone, if only one node has it.
 */
function allowedAwsNodes(event: unknown): Set<string> {
  const text = stringsOf(event).join('\n');
  const allowed = new Set<string>();
  for (const node of AWS_NODES) {
    const [, zone, id] = AWS_PROVIDER_ID.exec(node.spec?.providerID ?? '') ?? [];
    if (!zone || !id || FOREIGN.includes(id) || !namesInstance(id, text)) continue;
    const sameId = AWS_NODES.filter(
      (other) => AWS_PROVIDER_ID.exec(other.spec?.providerID ?? '')?.[2] === id,
    );
    if (OURS.includes(id) ? zone === ZONE : sameId.length === 1) allowed.add(node.metadata!.name!);
  }
  return allowed;
}

function allowedAzureNodes(event: unknown): Set<string> {
  const text = stringsOf(event).join('\n');
  return new Set(
    AZURE_NODES.filter((node) => {
      const id = (node.spec?.providerID ?? '').replace(/^azure:\/\//, '');
      return id.toLowerCase().includes(`/resourcegroups/${GROUP.toLowerCase()}/`) && namesAzureVm(id, text);
    }).map((node) => node.metadata!.name!),
  );
}

function expectOnlyAllowedWrites(event: unknown, parsed: ParseResult[], allowed: Set<string>) {
  handlerStats.runs++;
  const written = new Set(world.writes.map((write) => write.node));
  if (parsed.every((result) => result.status !== 'interruptions')) expect(world.writes).toEqual([]);
  for (const node of written)
    expect(allowed, `${node} written for ${JSON.stringify(event).slice(0, 400)}`).toContain(node);
  // Marks first: no pod or Event is written on a node that was not patched.
  const patched = new Set(
    world.writes.filter((write) => write.call === 'patchNode').map((write) => write.node),
  );
  for (const node of written) expect(patched).toContain(node);
  if (written.size > 0) handlerStats.deliveriesWithWrites++;
  handlerStats.nodesWritten += written.size;
  handlerStats.interruptionsParsed += parsed.flatMap((r) =>
    r.status === 'interruptions' ? r.interruptions : [],
  ).length;
}

/** 500 whole-pipeline runs take about 5 s alone on two cores: well above vitest's 5 s default under load. */
const HANDLER_PROPERTY_TIMEOUT_MS = 60_000;

describe('the handlers over a fake cluster: no node is written unless resolution matched exactly', () => {
  beforeAll(() => {
    autoScaling.onAnyCommand().resolves({});
    ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
      const id = input.InstanceIds?.[0] ?? '';
      const ours = OURS.indexOf(id);
      if (ours < 0 && !FOREIGN.includes(id)) return { Reservations: [] };
      return {
        Reservations: [
          {
            Instances: [
              {
                InstanceId: id,
                // OURS[0]: no name (a terminated instance has none), so resolution lists the nodes;
                // OURS[1]: the name of another machine's node.
                PrivateDnsName:
                  ours === 0 ? '' : ours === 1 ? HINT_TRAP : `ip-10-0-0-${ours + 1}.ec2.internal`,
                Placement: { AvailabilityZone: ZONE },
                State: { Name: 'running' },
                Tags: [{ Key: 'eks:cluster-name', Value: ours >= 0 ? CLUSTER : 'other' }],
              },
            ],
          },
        ],
      };
    });
  });

  afterAll(() => {
    ec2.restore();
    autoScaling.restore();
  });

  const awsConfig = loadConfig({ SPOT_DRAINER_CLUSTER_NAME: CLUSTER });
  const azureConfig = loadConfig({
    SPOT_DRAINER_AKS_CLUSTERS: JSON.stringify({
      [GROUP]: { server: 'https://fake.cluster.invalid', caData: 'QUJD' },
    }),
  });
  const credential: TokenCredential = {
    getToken: async () => ({ token: 'x', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const now = new Date('2026-11-20T14:03:30Z');

  it(
    'AWS: handleAwsEvent',
    async () => {
      await fc.assert(
        fc.asyncProperty(cloudEvent(AWS_FIXTURES, 1, 1), async (event) => {
          populate(AWS_NODES);
          const outcome = await handleAwsEvent(event, {
            config: awsConfig,
            logger: silentLogger,
            region: 'us-east-1',
            clients: () => ({
              ec2: new EC2Client({ region: 'us-east-1' }),
              eks: new EKSClient({ region: 'us-east-1' }),
              autoScaling: new AutoScalingClient({ region: 'us-east-1' }),
            }),
            remainingTimeMs: () => 30_000,
            now: () => now,
          });
          expect(['processed', 'ignored', 'invalid']).toContain(outcome.status);
          expectOnlyAllowedWrites(
            event,
            // As the pipeline parses any delivery: one event, or an array of them.
            parseEvents(event, { now, options: awsConfig }),
            allowedAwsNodes(event),
          );
        }),
        { numRuns: 500, seed: SEED },
      );
    },
    HANDLER_PROPERTY_TIMEOUT_MS,
  );

  it(
    'Azure: handleAzureEvents',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            cloudEvent(AZURE_FIXTURES),
            fc.array(cloudEvent(AZURE_FIXTURES), { minLength: 1, maxLength: 3 }),
          ),
          async (body) => {
            populate(AZURE_NODES);
            const outcome = await handleAzureEvents(body, {
              config: azureConfig,
              logger: silentLogger,
              credential: () => credential,
              remainingTimeMs: () => 30_000,
              now: () => now,
            });
            expect(['processed', 'ignored', 'invalid']).toContain(outcome.status);
            expectOnlyAllowedWrites(
              body,
              parseEvents(body, { now, options: azureConfig }),
              allowedAzureNodes(body),
            );
          },
        ),
        { numRuns: 500, seed: SEED },
      );
    },
    HANDLER_PROPERTY_TIMEOUT_MS,
  );

  it('wrote nodes often enough for the property to mean something', () => {
    recordFigures('property/handlers', { seed: SEED, ...handlerStats });
    expect(handlerStats.deliveriesWithWrites).toBeGreaterThan(50);
    expect(unhandled).toEqual([]);
  });
});

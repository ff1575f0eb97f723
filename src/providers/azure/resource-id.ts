/**
 * Azure virtual-machine resource ids. ARM treats ids case-insensitively and real payloads mix
 * `resourceGroups`/`resourcegroups` and `Microsoft.Compute`/`microsoft.compute`, so ids are compared in a
 * canonical form: the fixed segments spelled as ARM documents them, every name lowercased (as AKS writes
 * them in node provider ids).
 */

export type AzureVm =
  | {
      kind: 'scale-set-instance';
      subscriptionId: string;
      resourceGroup: string;
      scaleSetName: string;
      /** Decimal instance id of a uniform scale set, without leading zeros. */
      instanceId: string;
    }
  | { kind: 'virtual-machine'; subscriptionId: string; resourceGroup: string; name: string };

/** A resource id read as a VM (`vm` parsed, `resourceId` in canonical form), or why it is not one. */
export type VmResourceIdResult =
  | { ok: true; vm: AzureVm; resourceId: string }
  /** `not-a-vm`: a well-formed id of something else (a disk, a NIC, a scale set); `malformed`: not an id. */
  | { ok: false; problem: 'malformed' | 'not-a-vm'; reason: string };

/** The subscription id and resource group name every resource id under a group starts with. */
export interface ResourceGroupScope {
  subscriptionId: string;
  resourceGroup: string;
}

const RESOURCE_HEALTH_SUFFIX = /\/providers\/Microsoft\.ResourceHealth(\/.*)?$/i;
const DECIMAL = /^\d+$/;
/** Scheduled events name a scale-set instance `<vmss>_<instanceId>`. */
const SCHEDULED_EVENT_INSTANCE_NAME = /^(.+)_(\d+)$/;

/** Resource Health statuses and annotations hang under the resource: `<vm id>/providers/Microsoft.ResourceHealth/...`. */
export function stripResourceHealthSuffix(resourceId: string): string {
  return resourceId.replace(RESOURCE_HEALTH_SUFFIX, '');
}

/**
 * Reads a VM or uniform scale-set instance resource id, whatever its case and with any
 * `/providers/Microsoft.ResourceHealth/...` suffix. Never throws: anything else is `malformed` or `not-a-vm`
 * with a reason quoting the id.
 */
export function parseVmResourceId(resourceId: string): VmResourceIdResult {
  const segments = segmentsOf(stripResourceHealthSuffix(resourceId.trim()));
  const scope = segments && scopeOf(segments);
  if (!segments || !scope) {
    return malformed(
      `"${resourceId}" is not an Azure resource id (expected /subscriptions/<id>/resourceGroups/<name>/...)`,
    );
  }
  if (segments.length === 4) return notAVm(`"${resourceId}" is a resource group, not a virtual machine`);
  const [providers, namespace = '', ...typesAndNames] = segments.slice(4);
  if (
    !sameText(providers ?? '', 'providers') ||
    typesAndNames.length === 0 ||
    typesAndNames.length % 2 !== 0
  ) {
    return malformed(
      `"${resourceId}" is not an Azure resource id (expected .../providers/<namespace>/<type>/<name>)`,
    );
  }
  const types = typesAndNames.filter((_, index) => index % 2 === 0);
  const nestedProviders = types.findIndex((type) => sameText(type, 'providers'));
  if (nestedProviders !== -1) {
    // After the nested `providers`: the extension's namespace, then its own type/name pairs.
    const [extensionNamespace, ...extensionTypesAndNames] = typesAndNames.slice(2 * nestedProviders + 1);
    const extensionType = [
      extensionNamespace,
      ...extensionTypesAndNames.filter((_, index) => index % 2 === 0),
    ];
    return notAVm(
      `"${resourceId}" is a ${extensionType.join('/')} extension resource, not a virtual machine`,
    );
  }
  const names = typesAndNames.filter((_, index) => index % 2 === 1);
  const resourceType = [namespace, ...types].join('/');

  if (sameText(resourceType, 'Microsoft.Compute/virtualMachines')) {
    return vmResult({ kind: 'virtual-machine', ...scope, name: names[0]!.toLowerCase() });
  }
  if (sameText(resourceType, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines')) {
    const instanceId = names[1]!;
    if (!DECIMAL.test(instanceId)) {
      return malformed(`"${resourceId}": scale-set instance id "${instanceId}" is not a number`);
    }
    return vmResult(scaleSetInstance(scope, names[0]!, instanceId));
  }
  if (sameText(resourceType, 'Microsoft.Compute/virtualMachineScaleSets')) {
    return notAVm(`"${resourceId}" is a scale set, not one of its virtual machines`);
  }
  return notAVm(`"${resourceId}" is a ${resourceType}, not a virtual machine`);
}

/** The canonical id, or undefined when `resourceId` does not name a virtual machine. */
export function normalizeVmResourceId(resourceId: string): string | undefined {
  const parsed = parseVmResourceId(resourceId);
  return parsed.ok ? parsed.resourceId : undefined;
}

/** True when both name the same virtual machine, whatever their case and Resource Health suffix. */
export function sameVmResourceId(a: string, b: string): boolean {
  const normalized = normalizeVmResourceId(a);
  return normalized !== undefined && normalized === normalizeVmResourceId(b);
}

/** The VM's id in canonical form: ARM's spelling of the fixed segments, every name lowercased. */
export function canonicalVmResourceId(vm: AzureVm): string {
  const group = `/subscriptions/${vm.subscriptionId.toLowerCase()}/resourceGroups/${vm.resourceGroup.toLowerCase()}`;
  const compute = `${group}/providers/Microsoft.Compute`;
  return vm.kind === 'scale-set-instance'
    ? `${compute}/virtualMachineScaleSets/${vm.scaleSetName.toLowerCase()}/virtualMachines/${vm.instanceId}`
    : `${compute}/virtualMachines/${vm.name.toLowerCase()}`;
}

/** Subscription and resource group of any resource id under a resource group, else undefined. */
export function resourceGroupScopeOf(resourceId: string): ResourceGroupScope | undefined {
  const segments = segmentsOf(resourceId.trim());
  return segments && scopeOf(segments);
}

/**
 * The virtual machine a scheduled event's `Resources` entry names: `<vmss>_<instanceId>` for a scale-set
 * instance, the bare VM name otherwise. The entry carries no subscription or resource group; the caller
 * takes them from the event's other resource ids.
 */
export function vmFromScheduledEventResource(name: string, scope: ResourceGroupScope): VmResourceIdResult {
  if (name.trim() === '' || name.includes('/')) return malformed(`"${name}" is not a virtual machine name`);
  const instance = SCHEDULED_EVENT_INSTANCE_NAME.exec(name);
  if (instance) return vmResult(scaleSetInstance(scope, instance[1]!, instance[2]!));
  return vmResult({ kind: 'virtual-machine', ...lowercaseScope(scope), name: name.toLowerCase() });
}

/**
 * The Kubernetes node name AKS gives a scale-set instance: the scale-set name followed by the instance
 * id in base 36, zero-padded to six characters (`aks-spot1-30918274-vmss` + `000007`). Only a fast path
 * for finding the node: the provider id stays the authority.
 */
export function aksNodeName(scaleSetName: string, instanceId: string | number): string {
  const text = String(instanceId);
  if (!DECIMAL.test(text))
    throw new RangeError(`scale-set instance id "${text}" is not a non-negative integer`);
  return `${scaleSetName.toLowerCase()}${BigInt(text).toString(36).padStart(6, '0')}`;
}

/** The AKS node name of a scale-set instance id; undefined for standalone VMs and for other ids. */
export function aksNodeNameForResourceId(resourceId: string): string | undefined {
  const parsed = parseVmResourceId(resourceId);
  if (!parsed.ok || parsed.vm.kind !== 'scale-set-instance') return undefined;
  return aksNodeName(parsed.vm.scaleSetName, parsed.vm.instanceId);
}

function segmentsOf(resourceId: string): string[] | undefined {
  const withoutTrailingSlash = resourceId.replace(/\/+$/, '');
  if (!withoutTrailingSlash.startsWith('/')) return undefined;
  const segments = withoutTrailingSlash.slice(1).split('/');
  return segments.every((segment) => segment.trim() !== '') ? segments : undefined;
}

function scopeOf(segments: readonly string[]): ResourceGroupScope | undefined {
  const [subscriptions, subscriptionId, resourceGroups, resourceGroup] = segments;
  if (!sameText(subscriptions ?? '', 'subscriptions') || !sameText(resourceGroups ?? '', 'resourceGroups')) {
    return undefined;
  }
  if (!subscriptionId || !resourceGroup) return undefined;
  return lowercaseScope({ subscriptionId, resourceGroup });
}

function scaleSetInstance(scope: ResourceGroupScope, scaleSetName: string, instanceId: string): AzureVm {
  return {
    kind: 'scale-set-instance',
    ...lowercaseScope(scope),
    scaleSetName: scaleSetName.toLowerCase(),
    instanceId: BigInt(instanceId).toString(),
  };
}

function lowercaseScope(scope: ResourceGroupScope): ResourceGroupScope {
  return {
    subscriptionId: scope.subscriptionId.toLowerCase(),
    resourceGroup: scope.resourceGroup.toLowerCase(),
  };
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function vmResult(vm: AzureVm): VmResourceIdResult {
  return { ok: true, vm, resourceId: canonicalVmResourceId(vm) };
}

function malformed(reason: string): VmResourceIdResult {
  return { ok: false, problem: 'malformed', reason };
}

function notAVm(reason: string): VmResourceIdResult {
  return { ok: false, problem: 'not-a-vm', reason };
}

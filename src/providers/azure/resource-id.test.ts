import { describe, expect, it } from 'vitest';
import {
  aksNodeName,
  aksNodeNameForResourceId,
  canonicalVmResourceId,
  normalizeVmResourceId,
  parseVmResourceId,
  resourceGroupScopeOf,
  sameVmResourceId,
  stripResourceHealthSuffix,
  vmFromScheduledEventResource,
} from './resource-id.ts';

const SUBSCRIPTION = '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64';
const SAMPLE_INSTANCE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/MC_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`;
const CANONICAL_INSTANCE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/mc_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`;
const CANONICAL_VM = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-batch/providers/Microsoft.Compute/virtualMachines/batch-node-2`;
const GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg`;

describe('parseVmResourceId', () => {
  it('parses a scale-set instance into its parts and canonical id', () => {
    expect(parseVmResourceId(SAMPLE_INSTANCE)).toEqual({
      ok: true,
      resourceId: CANONICAL_INSTANCE,
      vm: {
        kind: 'scale-set-instance',
        subscriptionId: SUBSCRIPTION,
        resourceGroup: 'mc_rg-shop_aks-shop_westeurope',
        scaleSetName: 'aks-spot1-30918274-vmss',
        instanceId: '7',
      },
    });
  });

  it('parses a standalone (or flexible scale-set) VM', () => {
    expect(
      parseVmResourceId(
        `/subscriptions/${SUBSCRIPTION}/resourceGroups/RG-Batch/providers/Microsoft.Compute/virtualMachines/Batch-Node-2`,
      ),
    ).toEqual({
      ok: true,
      resourceId: CANONICAL_VM,
      vm: {
        kind: 'virtual-machine',
        subscriptionId: SUBSCRIPTION,
        resourceGroup: 'rg-batch',
        name: 'batch-node-2',
      },
    });
  });

  it.each([
    ['all lower case', SAMPLE_INSTANCE.toLowerCase()],
    ['all upper case', SAMPLE_INSTANCE.toUpperCase()],
    [
      'mixed segment spellings',
      SAMPLE_INSTANCE.replace('resourceGroups', 'resourcegroups').replace(
        'Microsoft.Compute',
        'microsoft.compute',
      ),
    ],
    ['a trailing slash', `${SAMPLE_INSTANCE}/`],
    ['surrounding spaces', ` ${SAMPLE_INSTANCE} `],
    ['a zero-padded instance id', SAMPLE_INSTANCE.replace(/\/7$/, '/007')],
    [
      'an availability status suffix',
      `${SAMPLE_INSTANCE}/providers/Microsoft.ResourceHealth/availabilityStatuses/current`,
    ],
    [
      'an annotation suffix in lower case',
      `${SAMPLE_INSTANCE}/providers/microsoft.resourcehealth/resourceannotations/current`,
    ],
  ])('normalizes %s to the one canonical id', (_case, resourceId) => {
    expect(normalizeVmResourceId(resourceId)).toBe(CANONICAL_INSTANCE);
  });

  it.each([
    [
      'a disk',
      `${GROUP}/providers/Microsoft.Compute/disks/os-disk`,
      'is a Microsoft.Compute/disks, not a virtual machine',
    ],
    [
      'a NIC',
      `${GROUP}/providers/Microsoft.Network/networkInterfaces/nic-7`,
      'is a Microsoft.Network/networkInterfaces, not a virtual machine',
    ],
    [
      'a scale set',
      `${GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-30918274-vmss`,
      'is a scale set, not one of its virtual machines',
    ],
    [
      'a VM extension',
      `${GROUP}/providers/Microsoft.Compute/virtualMachines/vm1/extensions/cse`,
      'is a Microsoft.Compute/virtualMachines/extensions, not a virtual machine',
    ],
    [
      'a scheduled event',
      `${GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss/providers/microsoft.maintenance/scheduledevents/C7E1F0A2`,
      'is a microsoft.maintenance/scheduledevents extension resource, not a virtual machine',
    ],
    ['a resource group', GROUP, 'is a resource group, not a virtual machine'],
  ])('rejects %s as not a VM', (_case, resourceId, reason) => {
    expect(parseVmResourceId(resourceId)).toEqual({
      ok: false,
      problem: 'not-a-vm',
      reason: `"${resourceId}" ${reason}`,
    });
  });

  it.each([
    [
      'an empty string',
      '',
      'is not an Azure resource id (expected /subscriptions/<id>/resourceGroups/<name>/...)',
    ],
    [
      'a bare VM name',
      'aks-spot1-30918274-vmss_7',
      'is not an Azure resource id (expected /subscriptions/<id>/resourceGroups/<name>/...)',
    ],
    [
      'a subscription',
      `/subscriptions/${SUBSCRIPTION}`,
      'is not an Azure resource id (expected /subscriptions/<id>/resourceGroups/<name>/...)',
    ],
    [
      'an id with an empty segment',
      `${GROUP}//providers/Microsoft.Compute/virtualMachines/vm1`,
      'is not an Azure resource id (expected /subscriptions/<id>/resourceGroups/<name>/...)',
    ],
    [
      'an id cut short',
      `${GROUP}/providers/Microsoft.Compute/virtualMachines`,
      'is not an Azure resource id (expected .../providers/<namespace>/<type>/<name>)',
    ],
    [
      'an id without providers',
      `${GROUP}/virtualMachines/vm1`,
      'is not an Azure resource id (expected .../providers/<namespace>/<type>/<name>)',
    ],
    [
      'a scale-set instance id that is no number',
      `${GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss/virtualMachines/seven`,
      'scale-set instance id "seven" is not a number',
    ],
  ])('rejects %s as malformed', (_case, resourceId, reason) => {
    const result = parseVmResourceId(resourceId);
    expect(result).toMatchObject({ ok: false, problem: 'malformed' });
    expect(result).toHaveProperty('reason', expect.stringContaining(reason));
  });
});

describe('sameVmResourceId', () => {
  it('compares ids case-insensitively and without suffixes', () => {
    expect(
      sameVmResourceId(
        SAMPLE_INSTANCE.toUpperCase(),
        `${CANONICAL_INSTANCE}/providers/Microsoft.ResourceHealth/x/y`,
      ),
    ).toBe(true);
  });

  it('never matches one instance id as a prefix of another', () => {
    expect(sameVmResourceId(SAMPLE_INSTANCE, SAMPLE_INSTANCE.replace(/\/7$/, '/70'))).toBe(false);
  });

  it('never matches ids that are not VMs', () => {
    expect(sameVmResourceId(GROUP, GROUP)).toBe(false);
  });
});

describe('stripResourceHealthSuffix', () => {
  it('leaves ids without the suffix alone', () => {
    expect(stripResourceHealthSuffix(SAMPLE_INSTANCE)).toBe(SAMPLE_INSTANCE);
  });
});

describe('resourceGroupScopeOf', () => {
  it('reads subscription and resource group from any id under a group', () => {
    expect(
      resourceGroupScopeOf(
        `/subscriptions/${SUBSCRIPTION}/resourcegroups/MC_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/vmss/providers/microsoft.maintenance/scheduledevents/X`,
      ),
    ).toEqual({ subscriptionId: SUBSCRIPTION, resourceGroup: 'mc_rg-shop_aks-shop_westeurope' });
  });

  it.each([`/subscriptions/${SUBSCRIPTION}`, 'rg', ''])('finds none in "%s"', (resourceId) => {
    expect(resourceGroupScopeOf(resourceId)).toBeUndefined();
  });
});

describe('vmFromScheduledEventResource', () => {
  const scope = { subscriptionId: SUBSCRIPTION, resourceGroup: 'MC_rg-shop_aks-shop_westeurope' };

  it('reads <vmss>_<instanceId> as a scale-set instance', () => {
    expect(vmFromScheduledEventResource('aks-spot1-30918274-vmss_7', scope)).toMatchObject({
      ok: true,
      resourceId: CANONICAL_INSTANCE,
    });
  });

  it('splits at the last underscore, as scale-set names may hold underscores', () => {
    expect(vmFromScheduledEventResource('pool_a_vmss_12', scope)).toMatchObject({
      ok: true,
      vm: { kind: 'scale-set-instance', scaleSetName: 'pool_a_vmss', instanceId: '12' },
    });
  });

  it('reads any other name as a standalone VM', () => {
    expect(
      vmFromScheduledEventResource('Batch-Node-2', {
        subscriptionId: SUBSCRIPTION,
        resourceGroup: 'RG-BATCH',
      }),
    ).toEqual({
      ok: true,
      resourceId: CANONICAL_VM,
      vm: {
        kind: 'virtual-machine',
        subscriptionId: SUBSCRIPTION,
        resourceGroup: 'rg-batch',
        name: 'batch-node-2',
      },
    });
  });

  it.each(['', ' ', 'vmss/7'])('rejects "%s"', (name) => {
    expect(vmFromScheduledEventResource(name, scope)).toEqual({
      ok: false,
      problem: 'malformed',
      reason: `"${name}" is not a virtual machine name`,
    });
  });
});

describe('canonicalVmResourceId', () => {
  it('spells the fixed segments as ARM documents them and lowercases names', () => {
    expect(
      canonicalVmResourceId({
        kind: 'scale-set-instance',
        subscriptionId: SUBSCRIPTION.toUpperCase(),
        resourceGroup: 'MC_rg-shop_aks-shop_westeurope',
        scaleSetName: 'AKS-spot1-30918274-vmss',
        instanceId: '7',
      }),
    ).toBe(CANONICAL_INSTANCE);
  });
});

describe('aksNodeName', () => {
  it.each([
    [7, 'aks-spot1-30918274-vmss000007'],
    ['0', 'aks-spot1-30918274-vmss000000'],
    [35, 'aks-spot1-30918274-vmss00000z'],
    [36, 'aks-spot1-30918274-vmss000010'],
    [1295, 'aks-spot1-30918274-vmss0000zz'],
    ['2176782335', 'aks-spot1-30918274-vmsszzzzzz'],
  ])('names instance %s %s', (instanceId, nodeName) => {
    expect(aksNodeName('aks-spot1-30918274-vmss', instanceId)).toBe(nodeName);
  });

  it.each([-1, 1.5, 'seven', ''])('refuses instance id %s', (instanceId) => {
    expect(() => aksNodeName('vmss', instanceId)).toThrow(RangeError);
  });

  it('names the node of a scale-set instance resource id', () => {
    expect(aksNodeNameForResourceId(SAMPLE_INSTANCE)).toBe('aks-spot1-30918274-vmss000007');
  });

  it('has no name for a standalone VM or an id that is not a VM', () => {
    expect(aksNodeNameForResourceId(CANONICAL_VM)).toBeUndefined();
    expect(aksNodeNameForResourceId(GROUP)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { expectedProviderId, providerIdMatches } from '../../test/fixtures/events/registry.ts';
import type { MachineRef } from '../events/interruption.ts';

const SUBSCRIPTION = '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64';
const INSTANCE_7 = `/subscriptions/${SUBSCRIPTION}/resourceGroups/mc_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`;

describe('expectedProviderId', () => {
  it('gives aws:///<zone>/<id> when the zone is known', () => {
    expect(expectedProviderId({ cloud: 'aws', instanceId: 'i-0b662ef9931388ba0', zone: 'us-east-1b' })).toBe(
      'aws:///us-east-1b/i-0b662ef9931388ba0',
    );
  });

  it('gives a pattern with * for the zone when it is not', () => {
    expect(expectedProviderId({ cloud: 'aws', instanceId: 'i-0b662ef9931388ba0' })).toBe(
      'aws:///*/i-0b662ef9931388ba0',
    );
  });

  it('gives azure:// and the canonical resource id', () => {
    expect(expectedProviderId({ cloud: 'azure', resourceId: INSTANCE_7.toUpperCase() })).toBe(
      `azure://${INSTANCE_7}`,
    );
  });
});

describe('providerIdMatches (AWS)', () => {
  const anyZone: MachineRef = { cloud: 'aws', instanceId: 'i-0abc1234' };
  const inZone: MachineRef = { cloud: 'aws', instanceId: 'i-0b662ef9931388ba0', zone: 'us-east-1b' };

  it.each([
    'aws:///us-east-1a/i-0abc1234',
    'aws:///eu-west-1c/i-0abc1234',
    'aws:///us-west-2-lax-1a/i-0abc1234',
  ])('matches %s in any zone when the zone is unknown', (providerID) => {
    expect(providerIdMatches(anyZone, providerID)).toBe(true);
  });

  it.each([
    ['a longer id that starts with it', 'aws:///us-east-1a/i-0abc1234ef567890a'],
    ['a shorter id it starts with', 'aws:///us-east-1a/i-0abc123'],
    ['an id with a suffix', 'aws:///us-east-1a/i-0abc1234/x'],
    ['an upper-case id', 'aws:///us-east-1a/I-0ABC1234'],
    ['two slashes', 'aws://us-east-1a/i-0abc1234'],
    ['no zone', 'aws:////i-0abc1234'],
    ['no scheme', 'i-0abc1234'],
    ['another cloud', `azure://${INSTANCE_7}`],
    ['an empty provider id', ''],
  ])('does not match %s', (_case, providerID) => {
    expect(providerIdMatches(anyZone, providerID)).toBe(false);
  });

  it('requires the known zone', () => {
    expect(providerIdMatches(inZone, 'aws:///us-east-1b/i-0b662ef9931388ba0')).toBe(true);
    expect(providerIdMatches(inZone, 'aws:///us-east-1c/i-0b662ef9931388ba0')).toBe(false);
  });
});

describe('providerIdMatches (Azure)', () => {
  const ref: MachineRef = { cloud: 'azure', resourceId: INSTANCE_7 };

  it.each([
    ['as AKS writes it', `azure://${INSTANCE_7}`],
    [
      'with the resource group in its original case',
      `azure://${INSTANCE_7.replace('mc_rg-shop', 'MC_rg-shop')}`,
    ],
    ['all in lower case', `azure://${INSTANCE_7.toLowerCase()}`],
    ['with an upper-case scheme', `AZURE://${INSTANCE_7}`],
  ])('matches the provider id %s', (_case, providerID) => {
    expect(providerIdMatches(ref, providerID)).toBe(true);
  });

  it('matches when the reference itself is not canonical', () => {
    expect(
      providerIdMatches({ cloud: 'azure', resourceId: INSTANCE_7.toUpperCase() }, `azure://${INSTANCE_7}`),
    ).toBe(true);
  });

  it.each([
    ['another instance that starts with the same digit', `azure://${INSTANCE_7}0`],
    ['the scale set', `azure://${INSTANCE_7.replace(/\/virtualMachines\/7$/, '')}`],
    ['no scheme', INSTANCE_7],
    ['an AWS provider id', 'aws:///us-east-1a/i-0abc1234'],
    ['an empty provider id', ''],
  ])('does not match %s', (_case, providerID) => {
    expect(providerIdMatches(ref, providerID)).toBe(false);
  });

  it('matches nothing for a reference that is not a VM', () => {
    const notAVm: MachineRef = {
      cloud: 'azure',
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg`,
    };
    expect(providerIdMatches(notAVm, `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/rg`)).toBe(false);
  });
});

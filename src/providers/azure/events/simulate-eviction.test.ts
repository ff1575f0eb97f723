import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  loadEvent,
  onlyInterruption,
  plusSeconds,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { expectedProviderId } from '../../../../test/fixtures/events/registry.ts';
import { simulateEvictionParser } from './simulate-eviction.ts';

const SUBSCRIPTION = '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64';
const AKS_GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/mc_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute`;
const SPOT1_INSTANCE_7 = `${AKS_GROUP}/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`;

const scaleSetEviction = loadEvent('azure/simulate-eviction-action.eventgrid.json');
const vmEviction = loadEvent('azure/simulate-eviction-vm.cloudevent.json');
const restart = loadEvent('azure/resource-action-restart.eventgrid.json');

describe('Azure simulateEviction (ResourceActionSuccess)', () => {
  it('drains the scale-set instance, due 30 s after the action', () => {
    expect(onlyInterruption(simulateEvictionParser.parse(scaleSetEviction, context))).toStrictEqual({
      cloud: 'azure',
      kind: 'simulated-eviction',
      eventId: 'c1a9d3e0-5f62-4b7a-8e11-0a2b3c4d5e6f',
      eventTime: dateAt(scaleSetEviction, 'eventTime'),
      account: SUBSCRIPTION,
      machine: { cloud: 'azure', resourceId: SPOT1_INSTANCE_7 },
      action: 'drain',
      deadline: plusSeconds(dateAt(scaleSetEviction, 'eventTime'), 30),
      details: {
        operationName: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/simulateEviction/action',
      },
    });
  });

  it('drains a standalone VM from a lower-case CloudEvent', () => {
    const interruption = onlyInterruption(simulateEvictionParser.parse(vmEviction, context));
    expect(interruption.machine).toEqual({
      cloud: 'azure',
      resourceId: `${AKS_GROUP}/virtualMachines/aks-flex1-55667788-vms3`,
    });
    expect(expectedProviderId(interruption.machine)).toBe(
      `azure://${AKS_GROUP}/virtualMachines/aks-flex1-55667788-vms3`,
    );
    expect(interruption.deadline).toEqual(plusSeconds(dateAt(vmEviction, 'time'), 30));
  });

  it('ignores every other resource action', () => {
    expect(simulateEvictionParser.parse(restart, context)).toEqual({
      status: 'ignored',
      reason:
        'resource action "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/restart/action" is not a simulated eviction',
    });
  });

  it('ignores simulateEviction on something that is not a VM resource type', () => {
    const event = withField(
      scaleSetEviction,
      'data.operationName',
      'Microsoft.Compute/disks/simulateEviction/action',
    );
    expect(simulateEvictionParser.parse(event, context).status).toBe('ignored');
  });

  it('takes the VM from the authorization scope when there is no resourceUri', () => {
    const event = withField(scaleSetEviction, 'data.resourceUri', undefined);
    expect(onlyInterruption(simulateEvictionParser.parse(event, context)).machine).toEqual({
      cloud: 'azure',
      resourceId: SPOT1_INSTANCE_7,
    });
  });

  it.each([
    [
      'a numeric operationName',
      withField(scaleSetEviction, 'data.operationName', 42),
      'data.operationName: expected string, received number',
    ],
    [
      'a resourceUri of the scale set itself',
      withField(
        scaleSetEviction,
        'data.resourceUri',
        `${AKS_GROUP}/virtualMachineScaleSets/aks-spot1-30918274-vmss`,
      ),
      `data.resourceUri: "${AKS_GROUP}/virtualMachineScaleSets/aks-spot1-30918274-vmss" is a scale set, not one of its virtual machines`,
    ],
    ['a missing data', withField(scaleSetEviction, 'data', undefined), 'data: required'],
  ])('rejects %s', (_case, event, reason) => {
    expect(simulateEvictionParser.parse(event, context)).toEqual({ status: 'invalid', reason });
  });
});

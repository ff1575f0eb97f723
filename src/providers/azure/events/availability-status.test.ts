import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  loadEvent,
  NOW,
  onlyInterruption,
  toCloudEvent,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { availabilityStatusParser } from './availability-status.ts';

const SUBSCRIPTION = '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64';
const SPOT1_INSTANCE_7 = `/subscriptions/${SUBSCRIPTION}/resourceGroups/mc_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`;
const PROPERTIES = 'data.resourceInfo.properties';

const unavailable = loadEvent('azure/availability-status-unavailable.eventgrid.json');

describe('Azure Resource Health AvailabilityStatusChanged', () => {
  it('cordons an Unavailable VM, to be cleaned up if its node is NotReady', () => {
    expect(onlyInterruption(availabilityStatusParser.parse(unavailable, context))).toStrictEqual({
      cloud: 'azure',
      kind: 'availability-unavailable',
      eventId: '9a4b1e73-0c2d-4f8e-8b51-2e6f7a9d3c11',
      eventTime: dateAt(unavailable, 'eventTime'),
      account: SUBSCRIPTION,
      machine: { cloud: 'azure', resourceId: SPOT1_INSTANCE_7 },
      action: 'cordon-or-cleanup',
      deadline: NOW,
      details: { availabilityState: 'Unavailable', previousAvailabilityState: 'Available' },
    });
  });

  it('reads the CloudEvents schema the same way', () => {
    expect(availabilityStatusParser.parse(toCloudEvent(unavailable), context)).toEqual(
      availabilityStatusParser.parse(unavailable, context),
    );
  });

  it('matches the state whatever its case', () => {
    const event = withField(unavailable, `${PROPERTIES}.availabilityState`, 'unavailable');
    expect(onlyInterruption(availabilityStatusParser.parse(event, context)).action).toBe('cordon-or-cleanup');
  });

  it.each(['Available', 'Degraded', 'Unknown'])('ignores %s', (state) => {
    const event = withField(unavailable, `${PROPERTIES}.availabilityState`, state);
    expect(availabilityStatusParser.parse(event, context)).toEqual({
      status: 'ignored',
      reason: `availability state "${state}" needs no action`,
    });
  });

  it('ignores a resource that is not a VM', () => {
    const storage = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/shop`;
    const event = withField(unavailable, `${PROPERTIES}.targetResourceId`, storage);
    expect(availabilityStatusParser.parse(event, context)).toEqual({
      status: 'ignored',
      reason: `${PROPERTIES}.targetResourceId: "${storage}" is a Microsoft.Storage/storageAccounts, not a virtual machine`,
    });
  });

  it.each([
    [
      'a target that is no resource id',
      withField(unavailable, `${PROPERTIES}.targetResourceId`, 'aks-spot1-30918274-vmss_7'),
      `${PROPERTIES}.targetResourceId: "aks-spot1-30918274-vmss_7" is not an Azure resource id (expected /subscriptions/<id>/resourceGroups/<name>/...)`,
    ],
    [
      'a missing availabilityState',
      withField(unavailable, `${PROPERTIES}.availabilityState`, undefined),
      `${PROPERTIES}.availabilityState: required`,
    ],
    [
      'an eventTime that is no timestamp',
      withField(unavailable, 'eventTime', '20/11/2026'),
      'eventTime: expected an ISO 8601 or RFC 7231 timestamp, got "20/11/2026"',
    ],
    ['a numeric id', withField(unavailable, 'id', 9), 'id: expected string, received number'],
  ])('rejects %s', (_case, event, reason) => {
    expect(availabilityStatusParser.parse(event, context)).toEqual({ status: 'invalid', reason });
  });
});

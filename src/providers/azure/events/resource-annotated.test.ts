import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  loadEvent,
  NOW,
  onlyInterruption,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { resourceAnnotatedParser } from './resource-annotated.ts';

const SUBSCRIPTION = '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64';
const SPOT1_INSTANCE_7 = `/subscriptions/${SUBSCRIPTION}/resourceGroups/mc_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`;
const PROPERTIES = 'data.resourceInfo.properties';

const preempted = loadEvent('azure/resource-annotated-preempted.cloudevent.json');

function annotated(annotationName: string) {
  return withField(preempted, `${PROPERTIES}.annotationName`, annotationName);
}

describe('Azure Resource Health ResourceAnnotated', () => {
  it('cleans up after a preempted VM at once', () => {
    expect(onlyInterruption(resourceAnnotatedParser.parse(preempted, context))).toStrictEqual({
      cloud: 'azure',
      kind: 'resource-annotated',
      eventId: 'e3b1c9a2-7f44-4d0a-9f3e-6c2b8e1d5a77',
      eventTime: dateAt(preempted, 'time'),
      account: SUBSCRIPTION,
      machine: { cloud: 'azure', resourceId: SPOT1_INSTANCE_7 },
      action: 'cleanup',
      deadline: NOW,
      details: { annotationName: 'VirtualMachinePreempted', reason: 'Preempted', category: 'Unplanned' },
    });
  });

  it.each([
    'VirtualMachineDeallocationInitiated',
    'VirtualMachineStopInitiatedByControlPlane',
    'virtualmachinepreempted',
  ])('cleans up on %s', (annotationName) => {
    const interruption = onlyInterruption(resourceAnnotatedParser.parse(annotated(annotationName), context));
    expect(interruption).toMatchObject({ action: 'cleanup', deadline: NOW, details: { annotationName } });
  });

  it.each(['VirtualMachineRestarted', 'VirtualMachineHostCrashed', ''])('ignores annotation "%s"', (name) => {
    expect(resourceAnnotatedParser.parse(annotated(name), context)).toEqual({
      status: 'ignored',
      reason: `resource annotation "${name}" needs no action`,
    });
  });

  it('falls back to the annotation id, without its Resource Health suffix, when there is no targetResourceId', () => {
    const event = withField(preempted, `${PROPERTIES}.targetResourceId`, undefined);
    expect(onlyInterruption(resourceAnnotatedParser.parse(event, context)).machine).toEqual({
      cloud: 'azure',
      resourceId: SPOT1_INSTANCE_7,
    });
  });

  it('reads the Event Grid schema the same way', () => {
    const { id, source, subject, type, time, data } = preempted;
    const eventGrid = {
      id,
      topic: source,
      subject,
      eventType: type,
      eventTime: time,
      data,
      dataVersion: '1',
    };
    expect(resourceAnnotatedParser.parse(eventGrid, context)).toEqual(
      resourceAnnotatedParser.parse(preempted, context),
    );
  });

  it.each([
    [
      'a target that is a disk',
      withField(
        preempted,
        `${PROPERTIES}.targetResourceId`,
        `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/disks/os-disk-7`,
      ),
      `${PROPERTIES}.targetResourceId: "/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/disks/os-disk-7" is a Microsoft.Compute/disks, not a virtual machine`,
    ],
    [
      'no target anywhere',
      withField(
        withField(
          withField(preempted, `${PROPERTIES}.targetResourceId`, undefined),
          'data.resourceInfo.id',
          undefined,
        ),
        'subject',
        undefined,
      ),
      `${PROPERTIES}.targetResourceId, data.resourceInfo.id, subject: required`,
    ],
    [
      'a numeric annotationName',
      withField(preempted, `${PROPERTIES}.annotationName`, 5),
      `${PROPERTIES}.annotationName: expected string, received number`,
    ],
    ['a missing CloudEvents source', withField(preempted, 'source', undefined), 'source: required'],
  ])('rejects %s', (_case, event, reason) => {
    expect(resourceAnnotatedParser.parse(event, context)).toEqual({ status: 'invalid', reason });
  });
});

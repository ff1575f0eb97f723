import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  interruptionsOf,
  loadEvent,
  NOW,
  onlyInterruption,
  plusSeconds,
  toCloudEvent,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { expectedProviderId, providerIdMatches } from '../../../../test/fixtures/events/registry.ts';
import { scheduledEventParser } from './scheduled-event.ts';

const SUBSCRIPTION = '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64';
const AKS_GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/mc_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute`;
const SPOT1_INSTANCE_7 = `${AKS_GROUP}/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`;
const PROPERTIES = 'data.resourceInfo.properties';

const preempt = loadEvent('azure/scheduled-event-preempt.eventgrid.json');
const preemptCloudEvent = loadEvent('azure/scheduled-event-preempt.cloudevent.json');
const canceled = loadEvent('azure/scheduled-event-canceled.eventgrid.json');
const terminateSeveral = loadEvent('azure/scheduled-event-terminate-several.eventgrid.json');
const rebootStandalone = loadEvent('azure/scheduled-event-reboot-standalone-vm.eventgrid.json');

function withStatus(event: typeof preempt, status: string) {
  return withField(event, `${PROPERTIES}.EventStatus`, status);
}

describe('Azure scheduled event', () => {
  it('handles both names Microsoft documents for the event type', () => {
    expect(scheduledEventParser.types).toEqual([
      'Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted',
      'microsoft.maintenance/scheduledevents/write',
    ]);
  });

  it('drains a preempted scale-set instance, due at NotBefore, under the scheduled event id', () => {
    const interruption = onlyInterruption(scheduledEventParser.parse(preempt, context));

    expect(interruption).toStrictEqual({
      cloud: 'azure',
      kind: 'scheduled-event',
      eventId: 'C7E1F0A2-3B4D-4E5F-8A9B-0C1D2E3F4A5B',
      eventTime: dateAt(preempt, 'eventTime'),
      account: SUBSCRIPTION,
      region: 'westeurope',
      machine: { cloud: 'azure', resourceId: SPOT1_INSTANCE_7 },
      action: 'drain',
      deadline: dateAt(preempt, `${PROPERTIES}.NotBefore`),
      details: {
        EventType: 'Preempt',
        EventStatus: 'Scheduled',
        Resource: 'aks-spot1-30918274-vmss_7',
        NotBefore: 'Fri, 20 Nov 2026 09:14:37 GMT',
        EventSource: 'Platform',
      },
    });
    expect(expectedProviderId(interruption.machine)).toBe(`azure://${SPOT1_INSTANCE_7}`);
    expect(
      providerIdMatches(
        interruption.machine,
        `azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/MC_rg-shop_aks-shop_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/7`,
      ),
    ).toBe(true);
  });

  it('reads the CloudEvents schema the same way', () => {
    const interruption = onlyInterruption(scheduledEventParser.parse(preemptCloudEvent, context));
    expect(interruption).toMatchObject({
      eventId: '0D1E2F3A-4B5C-4D6E-8F70-8192A3B4C5D6',
      eventTime: dateAt(preemptCloudEvent, 'time'),
      machine: {
        cloud: 'azure',
        resourceId: `${AKS_GROUP}/virtualMachineScaleSets/aks-spot1-30918274-vmss/virtualMachines/12`,
      },
      action: 'drain',
      deadline: dateAt(preemptCloudEvent, `${PROPERTIES}.NotBefore`),
    });
    expect(interruptionsOf(scheduledEventParser.parse(toCloudEvent(preempt), context))).toEqual(
      interruptionsOf(scheduledEventParser.parse(preempt, context)),
    );
  });

  it('releases on Canceled under the same event id and machine the Scheduled event used', () => {
    // The canceled sample differs on purpose: lower-case type and ids, and a subject that is the VM id.
    const scheduled = onlyInterruption(scheduledEventParser.parse(preempt, context));
    const release = onlyInterruption(scheduledEventParser.parse(canceled, context));

    expect(release.action).toBe('release');
    expect(release.eventId).toBe(scheduled.eventId);
    expect(release.machine).toEqual(scheduled.machine);
    expect(release.deadline).toBeUndefined();
    expect(release).not.toHaveProperty('deadline');
    expect(release.details).toEqual({
      EventType: 'Preempt',
      EventStatus: 'Canceled',
      Resource: 'aks-spot1-30918274-vmss_7',
      EventSource: 'Platform',
    });
  });

  it('releases on Completed too', () => {
    const completed = onlyInterruption(scheduledEventParser.parse(withStatus(preempt, 'Completed'), context));
    expect(completed).toMatchObject({ action: 'release', eventId: 'C7E1F0A2-3B4D-4E5F-8A9B-0C1D2E3F4A5B' });
    expect(completed.deadline).toBeUndefined();
  });

  it('drains a Started event at once', () => {
    const started = onlyInterruption(scheduledEventParser.parse(withStatus(preempt, 'Started'), context));
    expect(started).toMatchObject({ action: 'drain', deadline: NOW });
  });

  it.each([
    ['empty', ''],
    ['missing', undefined],
  ])('gives a Preempt with an %s NotBefore the 30 s it is guaranteed', (_case, notBefore) => {
    const event = withField(preempt, `${PROPERTIES}.NotBefore`, notBefore);
    const interruption = onlyInterruption(scheduledEventParser.parse(event, context));
    expect(interruption.deadline).toEqual(plusSeconds(NOW, 30));
    expect(interruption.details).not.toHaveProperty('NotBefore');
  });

  it('matches EventType and EventStatus whatever their case', () => {
    const shouted = withField(withStatus(preempt, 'SCHEDULED'), `${PROPERTIES}.EventType`, 'PREEMPT');
    expect(onlyInterruption(scheduledEventParser.parse(shouted, context)).action).toBe('drain');
  });

  it('drains every named instance of a Terminate event once, each under the scheduled event id', () => {
    const interruptions = interruptionsOf(scheduledEventParser.parse(terminateSeveral, context));
    expect(interruptions.map((interruption) => interruption.machine)).toEqual([
      {
        cloud: 'azure',
        resourceId: `${AKS_GROUP}/virtualMachineScaleSets/aks-spot2-11223344-vmss/virtualMachines/3`,
      },
      {
        cloud: 'azure',
        resourceId: `${AKS_GROUP}/virtualMachineScaleSets/aks-spot2-11223344-vmss/virtualMachines/40`,
      },
    ]);
    for (const interruption of interruptions) {
      expect(interruption).toMatchObject({
        action: 'drain',
        eventId: '1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D',
        deadline: dateAt(terminateSeveral, `${PROPERTIES}.NotBefore`),
      });
    }
    expect(interruptions.map((interruption) => interruption.details.Resource)).toEqual([
      'aks-spot2-11223344-vmss_3',
      'aks-spot2-11223344-vmss_40',
    ]);
  });

  describe('maintenance (Redeploy, Reboot, Freeze)', () => {
    it('cordons a standalone VM by default, even one whose name looks like <vmss>_<n>', () => {
      expect(onlyInterruption(scheduledEventParser.parse(rebootStandalone, context))).toStrictEqual({
        cloud: 'azure',
        kind: 'scheduled-event',
        eventId: '2B3C4D5E-6F70-4B8C-9DAE-1F2A3B4C5D6E',
        eventTime: dateAt(rebootStandalone, 'eventTime'),
        account: SUBSCRIPTION,
        region: 'northeurope',
        machine: {
          cloud: 'azure',
          resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-batch/providers/Microsoft.Compute/virtualMachines/batch_node_2`,
        },
        action: 'cordon',
        deadline: dateAt(rebootStandalone, `${PROPERTIES}.NotBefore`),
        details: {
          EventType: 'Reboot',
          EventStatus: 'Scheduled',
          Resource: 'batch_node_2',
          NotBefore: 'Sat, 21 Nov 2026 01:00:00 GMT',
          EventSource: 'User',
        },
      });
    });

    it.each(['Redeploy', 'Reboot', 'Freeze'])('cordons on %s by default', (eventType) => {
      const event = withField(preempt, `${PROPERTIES}.EventType`, eventType);
      expect(onlyInterruption(scheduledEventParser.parse(event, context))).toMatchObject({
        action: 'cordon',
        deadline: dateAt(preempt, `${PROPERTIES}.NotBefore`),
      });
    });

    it('drains when maintenanceAction is drain', () => {
      const drain = { ...context, options: { maintenanceAction: 'drain' as const } };
      expect(onlyInterruption(scheduledEventParser.parse(rebootStandalone, drain)).action).toBe('drain');
    });

    it('is ignored when maintenanceAction is ignore, but still released when over', () => {
      const ignore = { ...context, options: { maintenanceAction: 'ignore' as const } };
      expect(scheduledEventParser.parse(rebootStandalone, ignore)).toEqual({
        status: 'ignored',
        reason: 'Reboot scheduled events are set to be ignored',
      });
      const completed = withStatus(rebootStandalone, 'Completed');
      expect(onlyInterruption(scheduledEventParser.parse(completed, ignore)).action).toBe('release');
    });

    it('does not change what Preempt does', () => {
      const ignore = { ...context, options: { maintenanceAction: 'ignore' as const } };
      expect(onlyInterruption(scheduledEventParser.parse(preempt, ignore)).action).toBe('drain');
    });
  });

  it('ignores event types it does not know', () => {
    const event = withField(preempt, `${PROPERTIES}.EventType`, 'LiveMigration');
    expect(scheduledEventParser.parse(event, context)).toEqual({
      status: 'ignored',
      reason: 'scheduled event type "LiveMigration" needs no action',
    });
  });

  it('ignores statuses it does not know', () => {
    expect(scheduledEventParser.parse(withStatus(preempt, 'Pending'), context)).toEqual({
      status: 'ignored',
      reason: 'scheduled event status "Pending" needs no action',
    });
  });

  describe('event id', () => {
    it('falls back to the scheduled-event resource id when EventId is missing', () => {
      const event = withField(preempt, `${PROPERTIES}.EventId`, undefined);
      expect(onlyInterruption(scheduledEventParser.parse(event, context)).eventId).toBe(
        'C7E1F0A2-3B4D-4E5F-8A9B-0C1D2E3F4A5B',
      );
    });

    it('falls back to the envelope id when nothing names the scheduled event', () => {
      const event = withField(
        withField(canceled, `${PROPERTIES}.EventId`, undefined),
        'data.resourceInfo.id',
        undefined,
      );
      expect(onlyInterruption(scheduledEventParser.parse(event, context)).eventId).toBe(
        '6e0a4c2b-8d1f-4b3a-9c5e-7f2a1b0c9d8e',
      );
    });
  });

  describe('resources', () => {
    it('takes the VM from a subject that is its id when Resources is empty', () => {
      const event = withField(canceled, `${PROPERTIES}.Resources`, []);
      expect(onlyInterruption(scheduledEventParser.parse(event, context)).machine).toEqual({
        cloud: 'azure',
        resourceId: SPOT1_INSTANCE_7,
      });
    });

    it('finds the resource group in the subject when resourceInfo has no id', () => {
      const event = withField(preempt, 'data.resourceInfo.id', undefined);
      expect(onlyInterruption(scheduledEventParser.parse(event, context)).machine).toEqual({
        cloud: 'azure',
        resourceId: SPOT1_INSTANCE_7,
      });
    });

    it.each([
      [
        'no Resources and no VM id',
        withField(preempt, `${PROPERTIES}.Resources`, undefined),
        `${PROPERTIES}.Resources: expected at least one resource`,
      ],
      [
        'no resource group anywhere',
        withField(
          withField(preempt, 'data.resourceInfo.id', undefined),
          'subject',
          `/subscriptions/${SUBSCRIPTION}`,
        ),
        `${PROPERTIES}.Resources: no resource group to place them in (data.resourceInfo.id, subject and topic name none)`,
      ],
      [
        'a resource name with a slash',
        withField(preempt, `${PROPERTIES}.Resources`, ['aks-spot1-30918274-vmss/7']),
        `${PROPERTIES}.Resources[0]: "aks-spot1-30918274-vmss/7" is not a virtual machine name`,
      ],
      [
        'a numeric resource',
        withField(preempt, `${PROPERTIES}.Resources`, ['aks-spot1-30918274-vmss_7', 7]),
        `${PROPERTIES}.Resources[1]: expected string, received number`,
      ],
    ])('rejects %s', (_case, event, reason) => {
      expect(scheduledEventParser.parse(event, context)).toEqual({ status: 'invalid', reason });
    });
  });

  it.each([
    [
      'a missing EventType',
      withField(preempt, `${PROPERTIES}.EventType`, undefined),
      `${PROPERTIES}.EventType: required`,
    ],
    [
      'a numeric EventStatus',
      withField(preempt, `${PROPERTIES}.EventStatus`, 1),
      `${PROPERTIES}.EventStatus: expected string, received number`,
    ],
    [
      'a NotBefore that is no timestamp',
      withField(preempt, `${PROPERTIES}.NotBefore`, 'soon'),
      `${PROPERTIES}.NotBefore: expected an RFC 7231 timestamp, got "soon"`,
    ],
    ['a null data', withField(preempt, 'data', null), 'data: expected object, received null'],
    [
      'a missing resourceInfo',
      withField(preempt, 'data.resourceInfo', undefined),
      'data.resourceInfo: required',
    ],
    ['a missing eventTime', withField(preempt, 'eventTime', undefined), 'eventTime: required'],
    ['a missing CloudEvents time', withField(preemptCloudEvent, 'time', undefined), 'time: required'],
    [
      'an old CloudEvents specversion',
      withField(preemptCloudEvent, 'specversion', '0.3'),
      'specversion: expected "1.0"',
    ],
  ])('rejects %s, naming the field', (_case, event, reason) => {
    expect(scheduledEventParser.parse(event, context)).toEqual({ status: 'invalid', reason });
  });
});

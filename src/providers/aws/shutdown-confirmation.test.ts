import { describe, expect, it } from 'vitest';
import type { Interruption } from '../../events/interruption.ts';
import type { InstanceFacts } from './instances.ts';
import { terminatedConfirmation } from './provider.ts';

const ID = 'i-0aaaaaaaaaaaaaaa1';

function event(kind: string, state?: string): Interruption {
  return {
    cloud: 'aws',
    kind,
    eventId: 'evt-1',
    machine: { cloud: 'aws', instanceId: ID },
    action: 'cleanup',
    eventTime: new Date(0),
    details: state ? { state } : {},
  };
}

const facts = (state: string): InstanceFacts => ({ instanceId: ID, state, tags: {} });

describe('terminatedConfirmation (what allows the out-of-service taint)', () => {
  it('takes EC2 reporting the instance terminated now, whatever the event', () => {
    expect(terminatedConfirmation(event('spot-interruption'), ID, facts('terminated'), true)).toBe(
      `EC2 reports instance ${ID} terminated`,
    );
  });

  it('refuses a terminated event for an instance EC2 reports in another state', () => {
    for (const state of ['running', 'pending', 'shutting-down', 'stopping', 'stopped']) {
      expect(
        terminatedConfirmation(event('instance-state-change', 'terminated'), ID, facts(state), true),
        state,
      ).toBeUndefined();
    }
  });

  it('never takes stopped or shutting-down, from EC2 or from the event', () => {
    for (const state of ['stopped', 'shutting-down', 'stopping']) {
      expect(
        terminatedConfirmation(event('instance-state-change', state), ID, facts(state), true),
      ).toBeUndefined();
      expect(
        terminatedConfirmation(event('instance-state-change', state), ID, undefined, false),
      ).toBeUndefined();
    }
  });

  it('without a lookup takes only a terminated state-change event; a passed deadline is no confirmation', () => {
    expect(
      terminatedConfirmation(event('instance-state-change', 'terminated'), ID, undefined, false),
    ).toContain('terminated (event evt-1)');
    expect(terminatedConfirmation(event('spot-interruption'), ID, undefined, false)).toBeUndefined();
    expect(terminatedConfirmation(event('spot-interruption'), ID, undefined, true)).toBeUndefined();
  });

  it('takes a terminated event for an instance EC2 no longer lists', () => {
    expect(
      terminatedConfirmation(event('instance-state-change', 'terminated'), ID, undefined, true),
    ).toContain('EC2 no longer lists it');
  });
});

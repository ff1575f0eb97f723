import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  loadEvent,
  NOW,
  onlyInterruption,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { stateChangeParser } from './state-change.ts';

const shuttingDown = loadEvent('aws/instance-state-change-shutting-down.json');

function inState(state: string | number | null) {
  return withField(shuttingDown, 'detail.state', state);
}

describe('EC2 Instance State-change Notification', () => {
  it('drains a shutting-down instance at once', () => {
    expect(onlyInterruption(stateChangeParser.parse(shuttingDown, context))).toStrictEqual({
      cloud: 'aws',
      kind: 'instance-state-change',
      eventId: '7bf73129-1428-4cd3-a780-95db273d1602',
      eventTime: dateAt(shuttingDown, 'time'),
      account: '123456789012',
      region: 'us-east-1',
      machine: { cloud: 'aws', instanceId: 'i-0b662ef9931388ba0' },
      action: 'drain',
      deadline: NOW,
      details: { state: 'shutting-down' },
    });
  });

  it.each([
    ['stopping', 'drain'],
    ['shutting-down', 'drain'],
    ['stopped', 'cleanup'],
    ['terminated', 'cleanup'],
  ])('acts on %s with %s, due now', (state, action) => {
    const interruption = onlyInterruption(stateChangeParser.parse(inState(state), context));
    expect(interruption.action).toBe(action);
    expect(interruption.deadline).toEqual(NOW);
    expect(interruption.details).toEqual({ state });
  });

  it.each(['pending', 'running', 'rebooting', 'Stopping', 'shutting-down-soon', 'pre-terminated', ''])(
    'ignores state "%s": states match exactly, not by substring or case',
    (state) => {
      expect(stateChangeParser.parse(inState(state), context)).toEqual({
        status: 'ignored',
        reason: `EC2 instance state "${state}" needs no action`,
      });
    },
  );

  it('ignores a running instance even when its instance id is odd, as the state decides first', () => {
    const running = withField(inState('running'), 'detail.instance-id', 'not-an-instance');
    expect(stateChangeParser.parse(running, context).status).toBe('ignored');
  });

  it.each([
    ['a numeric state', inState(3), 'detail.state: expected string, received number'],
    ['a null state', inState(null), 'detail.state: expected string, received null'],
    [
      'a bad instance id on an actionable state',
      withField(shuttingDown, 'detail.instance-id', 'i-0b662ef9931388ba0x'),
      'detail.instance-id: expected an EC2 instance id',
    ],
    ['a null detail', withField(shuttingDown, 'detail', null), 'detail: expected object, received null'],
  ])('rejects %s', (_case, event, reason) => {
    expect(stateChangeParser.parse(event, context)).toEqual({ status: 'invalid', reason });
  });
});

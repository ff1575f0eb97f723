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
import { spotInterruptionParser } from './spot-interruption.ts';

const warning = loadEvent('aws/spot-interruption-warning.json');
const warningTime = dateAt(warning, 'time');

describe('EC2 Spot Instance Interruption Warning', () => {
  it('drains the instance, due two minutes after the warning', () => {
    const interruption = onlyInterruption(spotInterruptionParser.parse(warning, context));

    expect(interruption).toStrictEqual({
      cloud: 'aws',
      kind: 'spot-interruption',
      eventId: '1e5527d7-bb36-4607-3370-4164db56a40e',
      eventTime: warningTime,
      account: '123456789012',
      region: 'us-east-1',
      machine: { cloud: 'aws', instanceId: 'i-0b662ef9931388ba0' },
      action: 'drain',
      deadline: plusSeconds(warningTime, 120),
      details: { 'instance-action': 'terminate' },
    });
    expect(expectedProviderId(interruption.machine)).toBe('aws:///*/i-0b662ef9931388ba0');
  });

  it('gives a stopping instance the same two minutes', () => {
    const stop = withField(warning, 'detail.instance-action', 'stop');
    const interruption = onlyInterruption(spotInterruptionParser.parse(stop, context));
    expect(interruption.deadline).toEqual(plusSeconds(warningTime, 120));
    expect(interruption.details).toEqual({ 'instance-action': 'stop' });
  });

  it('gives a hibernating instance no lead time', () => {
    const hibernate = withField(warning, 'detail.instance-action', 'hibernate');
    const interruption = onlyInterruption(spotInterruptionParser.parse(hibernate, context));
    expect(interruption.deadline).toEqual(warningTime);
    expect(interruption.action).toBe('drain');
  });

  it('accepts the short, 8-digit instance ids of older instances', () => {
    const short = withField(warning, 'detail.instance-id', 'i-1a2b3c4d');
    expect(onlyInterruption(spotInterruptionParser.parse(short, context)).machine).toEqual({
      cloud: 'aws',
      instanceId: 'i-1a2b3c4d',
    });
  });

  it.each([
    [
      'a truncated instance id',
      'detail.instance-id',
      'i-0b662ef',
      'detail.instance-id: expected an EC2 instance id',
    ],
    [
      'an upper-case instance id',
      'detail.instance-id',
      'i-0B662EF9931388BA0',
      'detail.instance-id: expected an EC2 instance id',
    ],
    [
      'an instance ARN',
      'detail.instance-id',
      'arn:aws:ec2:us-east-1b:instance/i-0b662ef9931388ba0',
      'detail.instance-id: expected an EC2 instance id',
    ],
    [
      'a number for the instance id',
      'detail.instance-id',
      42,
      'detail.instance-id: expected string, received number',
    ],
    ['a missing instance id', 'detail.instance-id', undefined, 'detail.instance-id: required'],
    [
      'an unknown instance-action',
      'detail.instance-action',
      'reboot',
      'detail.instance-action: expected one of',
    ],
    ['a null detail', 'detail', null, 'detail: expected object, received null'],
    ['a missing time', 'time', undefined, 'time: required'],
    [
      'a time that is no timestamp',
      'time',
      'yesterday',
      'time: expected an ISO 8601 or RFC 7231 timestamp, got "yesterday"',
    ],
    ['a numeric time', 'time', 1795166085, 'time: expected string, received number'],
    ['an empty id', 'id', '', 'id: expected a non-empty string'],
    ['a numeric account', 'account', 123456789012, 'account: expected string, received number'],
  ])('rejects %s, naming the field', (_case, path, value, reason) => {
    const result = spotInterruptionParser.parse(withField(warning, path, value), context);
    expect(result.status).toBe('invalid');
    expect(result).toHaveProperty('reason', expect.stringContaining(reason));
  });

  it('names every broken field at once', () => {
    const broken = withField(withField(warning, 'detail.instance-id', 7), 'time', 'later');
    expect(spotInterruptionParser.parse(broken, context)).toEqual({
      status: 'invalid',
      reason:
        'time: expected an ISO 8601 or RFC 7231 timestamp, got "later"; detail.instance-id: expected string, received number',
    });
  });

  it('leaves region and account out when the envelope has none', () => {
    const bare = withField(withField(warning, 'region', undefined), 'account', undefined);
    const interruption = onlyInterruption(spotInterruptionParser.parse(bare, context));
    expect(interruption).not.toHaveProperty('region');
    expect(interruption).not.toHaveProperty('account');
  });
});

import { describe, expect, it } from 'vitest';
import {
  context,
  dateAt,
  loadEvent,
  onlyInterruption,
  withField,
} from '../../../../test/fixtures/events/helpers.ts';
import { rebalanceParser } from './rebalance.ts';

const recommendation = loadEvent('aws/rebalance-recommendation.json');

describe('EC2 Instance Rebalance Recommendation', () => {
  it('cordons the instance by default, with no deadline', () => {
    expect(onlyInterruption(rebalanceParser.parse(recommendation, context))).toStrictEqual({
      cloud: 'aws',
      kind: 'rebalance-recommendation',
      eventId: '2a3b4c5d-6e7f-8091-a2b3-c4d5e6f70812',
      eventTime: dateAt(recommendation, 'time'),
      account: '123456789012',
      region: 'us-east-1',
      machine: { cloud: 'aws', instanceId: 'i-0b662ef9931388ba0' },
      action: 'cordon',
      details: {},
    });
  });

  it('drains when rebalanceAction is drain', () => {
    const drainContext = { ...context, options: { rebalanceAction: 'drain' as const } };
    const interruption = onlyInterruption(rebalanceParser.parse(recommendation, drainContext));
    expect(interruption.action).toBe('drain');
    expect(interruption.deadline).toBeUndefined();
  });

  it('rejects a bad instance id, naming the field', () => {
    const result = rebalanceParser.parse(withField(recommendation, 'detail.instance-id', 'i-xyz'), context);
    expect(result).toEqual({ status: 'invalid', reason: 'detail.instance-id: expected an EC2 instance id' });
  });

  it('rejects a missing detail', () => {
    const result = rebalanceParser.parse(withField(recommendation, 'detail', undefined), context);
    expect(result).toEqual({ status: 'invalid', reason: 'detail: required' });
  });
});

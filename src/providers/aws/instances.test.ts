import { DescribeInstancesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { clusterNameFromTags, describeInstance } from './instances.ts';

const ec2 = mockClient(EC2Client);
const client = new EC2Client({ region: 'eu-west-1' });

function ec2Error(name: string, httpStatusCode: number, $fault: 'client' | 'server' = 'client') {
  return new EC2ServiceException({ name, $fault, $metadata: { httpStatusCode }, message: name });
}

beforeEach(() => {
  ec2.reset();
});

describe('describeInstance', () => {
  it('returns the facts of a running instance from one DescribeInstances call', async () => {
    ec2.on(DescribeInstancesCommand, { InstanceIds: ['i-0abc'] }).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0abc',
              PrivateDnsName: 'ip-10-0-1-23.eu-west-1.compute.internal',
              Placement: { AvailabilityZone: 'eu-west-1b' },
              State: { Name: 'running', Code: 16 },
              Tags: [
                { Key: 'eks:cluster-name', Value: 'prod' },
                { Key: 'Name', Value: 'worker' },
              ],
            },
          ],
        },
      ],
    });

    const facts = await describeInstance(client, 'i-0abc');

    expect(facts).toEqual({
      instanceId: 'i-0abc',
      privateDnsName: 'ip-10-0-1-23.eu-west-1.compute.internal',
      zone: 'eu-west-1b',
      state: 'running',
      tags: { 'eks:cluster-name': 'prod', Name: 'worker' },
      clusterName: 'prod',
    });
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });

  it('leaves out the DNS name a terminated instance no longer has', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [{ InstanceId: 'i-0abc', PrivateDnsName: '', State: { Name: 'terminated' } }] },
      ],
    });

    const facts = await describeInstance(client, 'i-0abc');

    expect(facts).toEqual({ instanceId: 'i-0abc', state: 'terminated', tags: {} });
  });

  it('returns undefined when EC2 answers InvalidInstanceID.NotFound', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound', 400));

    await expect(describeInstance(client, 'i-0gone')).resolves.toBeUndefined();
  });

  it('returns undefined when no reservation holds the instance', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    await expect(describeInstance(client, 'i-0gone')).resolves.toBeUndefined();
  });

  it('lets throttling propagate so the caller retries', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded', 503));

    await expect(describeInstance(client, 'i-0abc')).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it('lets server errors propagate', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('InternalError', 500, 'server'));

    await expect(describeInstance(client, 'i-0abc')).rejects.toMatchObject({ name: 'InternalError' });
  });
});

describe('clusterNameFromTags', () => {
  it.each([
    ['eks:cluster-name', { 'eks:cluster-name': 'prod' }],
    ['aws:eks:cluster-name', { 'aws:eks:cluster-name': 'prod' }],
    ['eks:eks-cluster-name (Karpenter)', { 'eks:eks-cluster-name': 'prod' }],
    ['kubernetes.io/cluster/<name>=owned', { 'kubernetes.io/cluster/prod': 'owned' }],
    ['kubernetes.io/cluster/<name>=shared', { 'kubernetes.io/cluster/prod': 'shared' }],
  ])('reads the cluster from %s', (_form, tags) => {
    expect(clusterNameFromTags(tags)).toBe('prod');
  });

  it('prefers the explicit name tag to the ownership tag', () => {
    expect(clusterNameFromTags({ 'kubernetes.io/cluster/old': 'owned', 'eks:cluster-name': 'prod' })).toBe(
      'prod',
    );
  });

  it('ignores an ownership tag with another value', () => {
    expect(clusterNameFromTags({ 'kubernetes.io/cluster/prod': 'true' })).toBeUndefined();
  });

  it('refuses to guess between two clusters', () => {
    expect(
      clusterNameFromTags({ 'kubernetes.io/cluster/a': 'owned', 'kubernetes.io/cluster/b': 'shared' }),
    ).toBeUndefined();
  });

  it('is undefined without cluster tags', () => {
    expect(clusterNameFromTags({ Name: 'worker' })).toBeUndefined();
  });
});

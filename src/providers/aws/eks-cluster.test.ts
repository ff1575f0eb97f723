import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { clearEksClusterCache, describeEksCluster } from './eks-cluster.ts';

const eks = mockClient(EKSClient);
const ireland = new EKSClient({ region: 'eu-west-1' });
const frankfurt = new EKSClient({ region: 'eu-central-1' });

const activeCluster = {
  cluster: {
    name: 'prod',
    status: 'ACTIVE' as const,
    endpoint: 'https://ABC123.gr7.eu-west-1.eks.amazonaws.com',
    certificateAuthority: { data: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t' },
  },
};

beforeEach(() => {
  eks.reset();
  clearEksClusterCache();
});

describe('describeEksCluster', () => {
  it('returns endpoint, CA data and status', async () => {
    eks.on(DescribeClusterCommand, { name: 'prod' }).resolves(activeCluster);

    await expect(describeEksCluster(ireland, 'prod')).resolves.toEqual({
      endpoint: 'https://ABC123.gr7.eu-west-1.eks.amazonaws.com',
      caData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t',
      status: 'ACTIVE',
    });
  });

  it('calls DescribeCluster once for two lookups of the same cluster', async () => {
    eks.on(DescribeClusterCommand).resolves(activeCluster);

    const [first, second] = await Promise.all([
      describeEksCluster(ireland, 'prod'),
      describeEksCluster(ireland, 'prod'),
    ]);
    const third = await describeEksCluster(ireland, 'prod');

    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });

  it('keeps clusters of the same name in different regions apart', async () => {
    eks.on(DescribeClusterCommand).resolves(activeCluster);

    await describeEksCluster(ireland, 'prod');
    await describeEksCluster(frankfurt, 'prod');

    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it('accepts a cluster that is UPDATING, whose API keeps serving', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { ...activeCluster.cluster, status: 'UPDATING' } });

    await expect(describeEksCluster(ireland, 'prod')).resolves.toMatchObject({ status: 'UPDATING' });
  });

  it('refuses a cluster that is still CREATING, and does not cache the refusal', async () => {
    eks
      .on(DescribeClusterCommand)
      .resolvesOnce({ cluster: { ...activeCluster.cluster, status: 'CREATING' } })
      .resolves(activeCluster);

    await expect(describeEksCluster(ireland, 'prod')).rejects.toThrow(
      'EKS cluster "prod" in eu-west-1 is CREATING; its API server is not available',
    );
    await expect(describeEksCluster(ireland, 'prod')).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses a cluster without an endpoint', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { ...activeCluster.cluster, endpoint: undefined } });

    await expect(describeEksCluster(ireland, 'prod')).rejects.toThrow(/has no API server endpoint/);
  });

  it('refuses a cluster without CA data', async () => {
    eks
      .on(DescribeClusterCommand)
      .resolves({ cluster: { ...activeCluster.cluster, certificateAuthority: {} } });

    await expect(describeEksCluster(ireland, 'prod')).rejects.toThrow(/has no certificate authority data/);
  });

  it('lets a missing cluster propagate', async () => {
    eks
      .on(DescribeClusterCommand)
      .rejects(new ResourceNotFoundException({ message: 'No cluster found for name: nope.', $metadata: {} }));

    await expect(describeEksCluster(ireland, 'nope')).rejects.toThrow('No cluster found for name: nope.');
  });
});

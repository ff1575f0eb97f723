import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { taintKey } from '../../src/drain/marks.ts';
import { createKubeClient } from '../../src/kube/client.ts';
import { testAwsCredentials } from '../../src/local-cluster/authn/test-identities.ts';
import {
  createDeployment,
  isPodReady,
  placeOnNode,
  podsOnNode,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';
import { RetryableFailure } from '../../src/pipeline/results.ts';
import { createEksToken } from '../../src/providers/aws/eks-token.ts';
import { awsHarness, type LambdaHandler } from './aws-harness.ts';
import { eventually } from './cluster.ts';
import { awsEvent } from './events.ts';
import { lambdaContext } from './platform.ts';

const aws = awsHarness({
  poolPrefix: 'aws',
  env: { SPOT_DRAINER_POD_EVENTS: 'false', LOG_LEVEL: 'warn' },
  clearCachesAfter: 'each',
});
const { info, identities, apis, ec2, autoScaling } = aws;
let pool: SpotPool;
let handler: LambdaHandler;

/** A webhook receiver standing in for Slack / Teams: what the function sends, in order. */
const notifications: Array<{ path: string; body: string }> = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    notifications.push({ path: req.url ?? '', body });
    res.end('ok');
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  // The Lambda's environment: the default credential chain finds the test role's keys there.
  handler = await aws.lambdaHandler({
    SPOT_DRAINER_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/T0SECRET/B0SECRET`,
  });
  pool = await aws.pool(3);
});

beforeEach(() => {
  aws.resetMocks();
});

afterAll(() => {
  receiver.close();
});

describe('the Lambda handler against the local control plane, authenticated like EKS', () => {
  it('drains the node of a spot interruption warning', async () => {
    const target = pool.nodes[0]!;
    await placeOnNode(apis, pool, target, 3, () =>
      createDeployment(apis, pool, { name: 'shop', replicas: 3, maxUnavailable: 1 }),
    );
    await eventually(
      'pods ready',
      async () => (await podsOnNode(apis.core, target.name)).filter(isPodReady).length === 3,
    );
    aws.describeInstance(target);

    const outcome = await handler(
      awsEvent('spot-interruption-warning.json', target.machineId),
      lambdaContext(),
    );

    expect(outcome.status).toBe('processed');
    const [result] = outcome.results;
    expect(result?.status).toBe('handled');
    if (result?.status !== 'handled') return;
    expect(result.cluster).toBe(identities.eks.clusterName);
    expect(result.report).toMatchObject({ node: target.name, outcome: 'completed', deadlineMet: true });
    expect(result.report.counts.evicted).toBe(3);
    const node = await apis.core.readNode({ name: target.name });
    expect(node.spec?.unschedulable).toBe(true);
    expect(node.spec?.taints?.map((t) => t.key)).toContain(taintKey('spot-interruption'));
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({
      InstanceIds: [target.machineId],
    });
  });

  it('notifies once per node and interruption, not once per duplicate delivery', async () => {
    const target = pool.nodes[0]!;
    aws.describeInstance(target);
    notifications.length = 0;
    const event = awsEvent('spot-interruption-warning.json', target.machineId);
    event.detail = { ...(event.detail as object), 'instance-action': 'stop' };
    await handler(event, lambdaContext());
    await handler(event, lambdaContext());
    expect(notifications).toHaveLength(1);
    const payload = JSON.parse(notifications[0]!.body) as Record<string, unknown>;
    expect(JSON.stringify(payload)).toContain(target.name);
    expect(JSON.stringify(payload)).toContain('spot-interruption');
    expect(JSON.stringify(payload)).not.toContain('T0SECRET');
  });

  it('drains on an ASG terminate lifecycle action, then completes it with CONTINUE', async () => {
    const target = pool.nodes[1]!;
    aws.describeInstance(target);
    const outcome = await handler(
      awsEvent('asg-terminate-lifecycle-action.json', target.machineId),
      lambdaContext(),
    );
    expect(outcome.results[0]?.status).toBe('handled');
    const calls = autoScaling.commandCalls(CompleteLifecycleActionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({
      AutoScalingGroupName: 'eks-spot-pool-a',
      LifecycleHookName: 'spot-drainer-terminate',
      LifecycleActionResult: 'CONTINUE',
      InstanceId: target.machineId,
    });
  });

  it('leaves alone an instance of another cluster, and acknowledges foreign and malformed events', async () => {
    const target = pool.nodes[2]!;
    aws.describeInstance(target, { clusterName: 'someone-elses-cluster' });
    const foreign = await handler(
      awsEvent('spot-interruption-warning.json', target.machineId),
      lambdaContext(),
    );
    expect(foreign.results[0]).toMatchObject({ status: 'skipped' });
    expect((await apis.core.readNode({ name: target.name })).spec?.unschedulable).toBeFalsy();
    await expect(
      handler({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }, lambdaContext()),
    ).resolves.toMatchObject({ status: 'ignored' });
    await expect(
      handler(
        {
          source: 'aws.ec2',
          'detail-type': 'EC2 Spot Instance Interruption Warning',
          detail: { 'instance-id': 42 },
        },
        lambdaContext(),
      ),
    ).resolves.toMatchObject({ status: 'invalid' });
    await expect(handler('not even json', lambdaContext())).resolves.toMatchObject({ status: 'ignored' });
  });

  it('throws so Lambda retries when EC2 is throttling', async () => {
    const target = pool.nodes[2]!;
    ec2.on(DescribeInstancesCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
        $retryable: { throttling: true },
      }),
    );
    await expect(
      handler(awsEvent('spot-interruption-warning.json', target.machineId), lambdaContext()),
    ).rejects.toBeInstanceOf(RetryableFailure);
  });
});

describe("the cluster's authenticator checks EKS tokens the way aws-iam-authenticator does", () => {
  const ca = readFileSync(info.caFile, 'utf8');
  const credentials = testAwsCredentials(identities.eks.identity);
  const whoCan = async (token: string) =>
    createKubeClient({ server: info.server, caPem: ca, token: async () => token }).core.readNode({
      name: pool.nodes[0]!.name,
    });

  it('maps a valid token to the restricted group', async () => {
    const { token } = await createEksToken({
      clusterName: identities.eks.clusterName,
      region: identities.eks.region,
      credentials,
    });
    await expect(whoCan(token)).resolves.toMatchObject({ metadata: { name: pool.nodes[0]!.name } });
    await expect(
      createKubeClient({
        server: info.server,
        caPem: ca,
        token: async () => token,
      }).request('GET', '/api/v1/namespaces/default/secrets'),
    ).rejects.toMatchObject({ code: 403 });
  });

  it('refuses a token signed for another cluster name', async () => {
    const { token } = await createEksToken({
      clusterName: 'another-cluster',
      region: identities.eks.region,
      credentials,
    });
    await expect(whoCan(token)).rejects.toMatchObject({ code: 401 });
  });

  it('refuses an expired token', async () => {
    const { token } = await createEksToken({
      clusterName: identities.eks.clusterName,
      region: identities.eks.region,
      credentials,
      now: new Date(Date.now() - 16 * 60_000),
    });
    await expect(whoCan(token)).rejects.toMatchObject({ code: 401 });
  });

  it('refuses a token signed with the wrong secret', async () => {
    const { token } = await createEksToken({
      clusterName: identities.eks.clusterName,
      region: identities.eks.region,
      credentials: async () => ({
        accessKeyId: identities.eks.identity.accessKeyId,
        secretAccessKey: 'not-the-secret',
      }),
    });
    await expect(whoCan(token)).rejects.toMatchObject({ code: 401 });
  });
});

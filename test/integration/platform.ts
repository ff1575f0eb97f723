/** The cloud platforms' side of a handler call, as the tests stand them in. */
import type { DescribeInstancesCommandOutput } from '@aws-sdk/client-ec2';
import type { InvocationContext } from '@azure/functions';
import type { Context } from 'aws-lambda';
import type { PoolNode } from '../../src/local-cluster/node-pool.ts';

/** A Lambda context whose remaining time runs down from `remainingMs`. */
export function lambdaContext(remainingMs = 120_000): Context {
  const end = Date.now() + remainingMs;
  return {
    getRemainingTimeInMillis: () => end - Date.now(),
    awsRequestId: crypto.randomUUID(),
  } as unknown as Context;
}

/** How {@link describedInstance} describes a node other than as its own running instance. */
export interface DescribedAs {
  /** The instance id answered (a terminated instance whose DNS name the node reuses); the node's own by default. */
  instanceId?: string;
  /** The EC2 instance state; `running` by default. */
  state?: string;
}

/** What EC2 DescribeInstances answers for a pool node tagged with `clusterName`. */
export function describedInstance(
  node: PoolNode,
  clusterName: string,
  as: DescribedAs = {},
): DescribeInstancesCommandOutput {
  return {
    $metadata: {},
    Reservations: [
      {
        Instances: [
          {
            InstanceId: as.instanceId ?? node.machineId,
            PrivateDnsName: node.privateDnsName,
            Placement: { AvailabilityZone: node.zone },
            State: { Name: (as.state ?? 'running') as 'running' },
            Tags: [{ Key: 'eks:cluster-name', Value: clusterName }],
          },
        ],
      },
    ],
  };
}

/** An InvocationContext for calling the Function's handler outside the Functions host. */
export function invocationContext(log: (...args: unknown[]) => void = () => {}): InvocationContext {
  return {
    invocationId: crypto.randomUUID(),
    functionName: 'spotDrainer',
    log,
    trace: log,
    debug: log,
    info: log,
    warn: log,
    error: log,
  } as unknown as InvocationContext;
}

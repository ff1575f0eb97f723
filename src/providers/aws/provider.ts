/**
 * The AWS provider: EventBridge events from EC2, Auto Scaling and AWS Health; EC2 instances found by
 * DescribeInstances; EKS clusters reached with IAM tokens; Auto Scaling lifecycle actions completed.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EKSClient } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Config } from '../../config.ts';
import type { Interruption } from '../../events/interruption.ts';
import { describeApiError } from '../../kube/errors.ts';
import type { Logger } from '../../logging.ts';
import {
  type CloudProvider,
  defineProvider,
  type MachineScheme,
  type ResolveContext,
  type TargetResolution,
} from '../provider.ts';
import { eksClusterAccess, identifyCluster } from './cluster.ts';
import { awsMayPassLater } from './errors.ts';
import { capacityReservationParser } from './events/capacity-reservation.ts';
import { eventBridgeEnvelope } from './events/envelope.ts';
import { healthParser } from './events/health.ts';
import { lifecycleParser } from './events/lifecycle.ts';
import { rebalanceParser } from './events/rebalance.ts';
import { spotInterruptionParser } from './events/spot-interruption.ts';
import { stateChangeParser } from './events/state-change.ts';
import { describeInstance, type InstanceFacts } from './instances.ts';
import { heartbeatIntervalMs, lifecycleHookTimeouts } from './lifecycle-hook-timeouts.ts';
import { lifecycleHooks } from './lifecycle-hooks.ts';
import {
  type Ec2Machine,
  ec2Machine,
  ec2ProviderIdMatches,
  expectedEc2ProviderId,
  isEc2Machine,
  lifecycleHookOf,
} from './machine.ts';
import { awsSecretReader } from './secret-reader.ts';
import { awsSecretReferenceProblem } from './secret-reference.ts';

/** The AWS SDK clients the provider uses; created on first use. */
export interface AwsClients {
  ec2: EC2Client;
  eks: EKSClient;
  autoScaling: AutoScalingClient;
}

/** What the AWS provider needs. */
export interface AwsProviderOptions {
  config: Pick<
    Config,
    'clusterName' | 'managedTag' | 'instanceLookup' | 'kubeconfigSource' | 'lifecycleHookTimeoutSeconds'
  >;
  region: string;
  /** The SDK clients (endpoints as the SDK is configured: AWS_ENDPOINT_URL_EC2 and friends). */
  clients: () => AwsClients;
  credentials?: AwsCredentialIdentityProvider;
  /**
   * False for `spot-drainer replay` without `--cloud-calls`: no DescribeInstances, and lifecycle actions
   * are reported as what would be done. Default true.
   */
  cloudCalls?: boolean;
}

/** EC2 instance states in which the machine's pods are lost already (or about to be, with no notice left). */
const GONE_STATES: ReadonlySet<string> = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

const KIND_LABELS: Readonly<Record<string, string>> = {
  'spot-interruption': 'spot interruption',
  'rebalance-recommendation': 'rebalance recommendation',
  'instance-state-change': 'instance state change',
  'lifecycle-terminate': 'Auto Scaling termination',
  'scheduled-change': 'scheduled maintenance',
  'capacity-reservation-interruption': 'capacity reservation interruption',
};

const PARSERS = [
  spotInterruptionParser,
  rebalanceParser,
  stateChangeParser,
  capacityReservationParser,
  lifecycleParser,
  healthParser,
];

const EC2_INSTANCES: MachineScheme<Ec2Machine> = {
  noun: 'EC2 instance',
  is: isEc2Machine,
  id: (machine) => machine.instanceId,
  expectedProviderId: expectedEc2ProviderId,
  providerIdMatches: ec2ProviderIdMatches,
};

/**
 * The deadline of a terminate lifecycle action from its hook's own HeartbeatTimeout (event time + that),
 * where it can be read; a setting that disagrees is warned about. Undefined (the parser's deadline, from
 * SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS, stands) for other kinds, without cloud calls, or when the
 * hook cannot be described. Never throws.
 */
async function lifecycleDeadline(
  options: AwsProviderOptions,
  interruption: Interruption,
  logger: Logger,
): Promise<Date | undefined> {
  const hook = lifecycleHookOf(interruption);
  if (!hook || !(options.cloudCalls ?? true)) return undefined;
  try {
    const timeouts = await lifecycleHookTimeouts(options.clients().autoScaling, hook);
    if (!timeouts) return undefined;
    const configured = options.config.lifecycleHookTimeoutSeconds;
    if (timeouts.heartbeatTimeoutSeconds !== configured) {
      logger.warn(
        "the lifecycle hook times out after another interval than SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS says; using the hook's",
        {
          hook: hook.lifecycleHookName,
          heartbeatTimeoutSeconds: timeouts.heartbeatTimeoutSeconds,
          configuredSeconds: configured,
        },
      );
    }
    return new Date(interruption.eventTime.getTime() + timeouts.heartbeatTimeoutSeconds * 1000);
  } catch (error) {
    logger.warn('could not describe the lifecycle hook; its timeout is taken from the setting', {
      hook: hook.lifecycleHookName,
      error: describeApiError(error).message,
    });
    return undefined;
  }
}

/** The secret stores the AWS provider reads: SSM Parameter Store and Secrets Manager. */
const AWS_SECRET_READERS = { ssm: awsSecretReader, secretsmanager: awsSecretReader };

/** Whether the instance is looked up with DescribeInstances (not in a replay without cloud calls, nor with `none`). */
function looksUp(options: AwsProviderOptions): boolean {
  return (options.cloudCalls ?? true) && options.config.instanceLookup === 'ec2';
}

/** What DescribeInstances says about the instance: undefined when not looked up (replay, `none`) or gone. */
function instanceFacts(options: AwsProviderOptions, instanceId: string): Promise<InstanceFacts | undefined> {
  return looksUp(options) ? describeInstance(options.clients().ec2, instanceId) : Promise.resolve(undefined);
}

/**
 * The positive confirmation that the instance is terminated (DrainTarget.machineShutDown), or undefined.
 * Looked up: EC2 reports it `terminated` now, or no longer lists it while the event itself says
 * `terminated` (EC2 forgets terminated instances after about an hour). Not looked up: only an instance
 * state-change event saying `terminated`, a state no instance leaves (instance ids are never reused).
 * `stopped` never counts: the instance can start again under the same provider id, and a late event
 * would then taint a running node. `shutting-down` neither: the operating system is still flushing.
 */
export function terminatedConfirmation(
  interruption: Interruption,
  instanceId: string,
  facts: InstanceFacts | undefined,
  lookedUp: boolean,
): string | undefined {
  const eventSays =
    interruption.kind === 'instance-state-change' && interruption.details.state === 'terminated';
  if (lookedUp && facts) {
    return facts.state === 'terminated' ? `EC2 reports instance ${instanceId} terminated` : undefined;
  }
  if (!eventSays) return undefined;
  return lookedUp
    ? `instance ${instanceId} terminated (event ${interruption.eventId}); EC2 no longer lists it`
    : `instance ${instanceId} terminated (event ${interruption.eventId})`;
}

/**
 * The cluster and node of an EC2 instance: DescribeInstances once (zone, private DNS name, state, tags),
 * then the cluster its tags or the settings name, reached by IAM token or kubeconfig. Never throws.
 */
async function resolveEc2Target(
  options: AwsProviderOptions,
  interruption: Interruption,
  instanceId: string,
  context: ResolveContext,
): Promise<TargetResolution> {
  // Both before the cordon, and independent: asked at once. lifecycleDeadline never rejects.
  const deadline = lifecycleDeadline(options, interruption, context.logger);
  let facts: InstanceFacts | undefined;
  try {
    facts = await instanceFacts(options, instanceId);
  } catch (error) {
    const reason = `DescribeInstances: ${describeApiError(error).message}`;
    return { status: 'failed', reason, retryable: awsMayPassLater(error) };
  }
  const found = {
    deadline: await deadline,
    machine: ec2Machine(instanceId, facts?.zone),
    nodeNameHint: facts?.privateDnsName,
    machineGone:
      facts?.state && GONE_STATES.has(facts.state)
        ? `EC2 reports instance ${instanceId} ${facts.state}`
        : undefined,
    machineShutDown: terminatedConfirmation(interruption, instanceId, facts, looksUp(options)),
  };
  if (context.cluster) {
    return {
      status: 'target',
      target: { cluster: context.cluster.name, kube: context.cluster.kube, ...found },
    };
  }
  const identity = identifyCluster(options.config, facts, instanceId);
  if ('notOurs' in identity) return { status: 'not-ours', reason: identity.notOurs };
  const { key, access } = eksClusterAccess(identity.cluster, {
    kubeconfigSource: options.config.kubeconfigSource,
    region: options.region,
    eks: () => options.clients().eks,
    credentials: options.credentials,
    readers: AWS_SECRET_READERS,
  });
  try {
    const kube = await context.connect(key, access);
    return { status: 'target', target: { cluster: identity.cluster, kube, ...found } };
  } catch (error) {
    const reason = `cluster access: ${describeApiError(error).message}`;
    return { status: 'failed', reason, retryable: awsMayPassLater(error) };
  }
}

/** The AWS CloudProvider. Throws nothing at creation; SDK clients are made on first use. */
export function createAwsProvider(options: AwsProviderOptions): CloudProvider {
  const { config } = options;
  const cloudCalls = options.cloudCalls ?? true;
  return defineProvider({
    cloud: 'aws',
    displayName: 'AWS',
    parsers: PARSERS,
    envelope: eventBridgeEnvelope,
    secretReaders: AWS_SECRET_READERS,
    secretReferenceProblem: awsSecretReferenceProblem,
    kindLabels: KIND_LABELS,
    machines: EC2_INSTANCES,
    resolveTarget: (interruption, { instanceId }, context) =>
      resolveEc2Target(options, interruption, instanceId, context),
    drainHooks: (interruption, { logger, dryRun }) => {
      const hook = lifecycleHookOf(interruption);
      if (!hook) return {};
      return lifecycleHooks(hook, {
        autoScaling: () => options.clients().autoScaling,
        heartbeatIntervalMs: (target) => {
          const deadline = target.deadline ?? interruption.deadline;
          const timeoutSeconds = deadline
            ? (deadline.getTime() - interruption.eventTime.getTime()) / 1000
            : config.lifecycleHookTimeoutSeconds;
          return heartbeatIntervalMs(timeoutSeconds);
        },
        logger,
        simulate: dryRun ? 'dry run' : cloudCalls ? undefined : 'replay without --cloud-calls',
      });
    },
  });
}

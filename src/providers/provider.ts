/**
 * The one interface each cloud implements. Everything cloud-specific sits behind it: the cloud's event
 * parsers and envelope, finding the cluster and the machine an interruption names, provider-id matching
 * and labels, secret references, classification of its SDKs' errors, and the cloud-side obligations
 * around a drain (Auto Scaling lifecycle heartbeat and completion). Shared code (the pipeline, the drain
 * engine, notifications) reads an interruption only through a provider. See docs/architecture.md for
 * adding a cloud.
 */
import type { DrainReport } from '../drain/report.ts';
import type { Interruption, InterruptionKind, MachineRef } from '../events/interruption.ts';
import type { EnvelopeFormat, EventParser } from '../events/parser.ts';
import type { ClusterAccess, KubeClient } from '../kube/client.ts';
import type { Logger } from '../logging.ts';
import type { SecretReader } from '../secrets.ts';

/** Where to drain: the cluster, a client for it, and what identifies the node. */
export interface DrainTarget {
  /** The cluster's name as people know it (EKS cluster name, AKS cluster name, kubeconfig context). */
  cluster: string;
  kube: KubeClient;
  /** The machine as the cloud describes it, completed where the provider learned more (the AWS zone). */
  machine: MachineRef;
  /** The node's likely name (EC2 private DNS name, AKS computer name): one GET instead of a list. */
  nodeNameHint?: string;
  /** Set when the cloud already reports the machine gone (EC2 `terminated`): why, for the report. */
  machineGone?: string;
  /**
   * Set only when the cloud positively confirms the machine is shut down for good now (EC2 `terminated`,
   * never `stopping` or `stopped`, which can start again under the same provider id; never a deadline
   * that passed): why. Allows the out-of-service taint (SPOT_DRAINER_OUT_OF_SERVICE_TAINT).
   */
  machineShutDown?: string;
  /**
   * When the machine goes away, where the cloud knows better than the event (an Auto Scaling hook's own
   * heartbeat timeout, rather than the setting the parser assumed); replaces the interruption's deadline.
   */
  deadline?: Date;
}

/**
 * What a provider made of an interruption before any node is touched:
 * - target: the machine belongs to a cluster this deployment drains;
 * - not-ours: positively someone else's (another cluster, no managed tag) or not configured here;
 * - failed: the cloud or the cluster could not be asked; `retryable` when another attempt may succeed.
 */
export type TargetResolution =
  | { status: 'target'; target: DrainTarget }
  | { status: 'not-ours'; reason: string }
  | { status: 'failed'; reason: string; retryable: boolean };

/** What the pipeline gives a provider for one interruption. */
export interface ResolveContext {
  logger: Logger;
  /**
   * A client for the cluster behind `key`, created from `access` on first use and shared by concurrent
   * and warm invocations (see src/kube/client-cache.ts).
   */
  connect(key: string, access: () => Promise<ClusterAccess>): Promise<KubeClient>;
  /** Set by `spot-drainer replay`: act on this cluster, whichever the provider would have chosen. */
  cluster?: { name: string; kube: KubeClient };
}

/**
 * How the interruption ended, as far as a cloud-side obligation cares:
 * - drained: the engine ran (its report says how far it got);
 * - continued: the engine ran out of this invocation's time and a continuation takes the drain up later
 *   (src/pipeline/continuation.ts): the obligation is kept open until the chain ends;
 * - node-gone: the machine is this cluster's, but no node names it (deleted already, never joined);
 * - failed: an earlier step failed; `retryable` when the platform will deliver the event again.
 */
export type Settlement =
  | { status: 'drained'; report: DrainReport }
  | { status: 'continued'; report: DrainReport }
  | { status: 'node-gone' }
  | { status: 'failed'; retryable: boolean };

/** What a provider did (or, in a dry run or a replay without cloud calls, would do) about an obligation. */
export interface CloudAction {
  /** The cloud API, in the cloud's words: `CompleteLifecycleAction`. */
  action: string;
  /** `completed`, `already-completed`, `would complete (dry run)`, `left for the retry`, `failed: ...`. */
  result: string;
}

/** Cloud-specific steps on the edges of the shared drain. Each is optional. */
export interface DrainHooks {
  /** Runs while the drain of `target` does (lifecycle heartbeats); its signal aborts when the drain ends. */
  duringDrain?: (signal: AbortSignal, target: DrainTarget) => Promise<unknown>;
  /**
   * Runs once the pipeline knows how the interruption ended, whatever the way out, and settles the
   * cloud-side obligation. Must not throw: failures are returned as the action's result.
   */
  settle?: (settlement: Settlement) => Promise<CloudAction | undefined>;
}

/**
 * Where a drain that outlives its invocation goes on (src/pipeline/continuation.ts): one queue per cloud
 * (src/providers/<cloud>/continuation-queue.ts) that triggers the same function again.
 */
export interface ContinuationQueue {
  /** For logs: `SQS`, `Azure Storage queue`. */
  readonly kind: string;
  /**
   * Sends `body` (a continuation as JSON), to be delivered after `delaySeconds` (0 to
   * CONTINUATION_DELAY_MAX_SECONDS, src/config.ts); `chain` and `invocation` go along where the queue
   * keeps attributes. Rejects with the SDK's error when the queue did not take it; the pipeline then
   * hands the delivery back to the platform for a retry.
   */
  send(body: string, delaySeconds: number, about: { chain: string; invocation: number }): Promise<void>;
}

/** What a dead letter is about, for queues that keep attributes beside the body (SQS message attributes). */
export interface DeadLetterAbout {
  /** Why the continuation failed for good (its last failure, redacted as logged). */
  reason: string;
  chain: string;
  invocation: number;
  /** How many times the continuation was delivered (SQS ApproximateReceiveCount, Azure dequeueCount). */
  deliveries: number;
}

/**
 * Where a continuation that failed for good goes, with its reason (src/pipeline/dead-letter.ts): the
 * stack's dead-letter queue (SQS) or the continuation queue's poison queue (Azure Storage), the same
 * queue the platform's own redrive uses, so one alarm and one place hold every failure.
 */
export interface DeadLetterQueue {
  /** For logs: `SQS`, `Azure Storage queue`. */
  readonly kind: string;
  /** Sends `body` (a dead letter as JSON). Rejects with the SDK's error when the queue did not take it. */
  send(body: string, about: DeadLetterAbout): Promise<void>;
}

/** How an interruption's machine reads for people: `EC2 instance i-0abc…`, `Azure VM …/virtualMachines/3`. */
export interface MachineLabel {
  noun: string;
  id: string;
}

/** One cloud. Create it with the cloud's factory (`createAwsProvider`, `createAzureProvider`). */
export interface CloudProvider {
  /** The `cloud` of the interruptions this provider parses and handles (`aws`, `azure`). */
  readonly cloud: string;
  /** For people: `AWS`, `Azure`. */
  readonly displayName: string;
  /** One parser per event kind; the registry refuses two for the same (source, type). */
  readonly parsers: readonly EventParser[];
  /** The envelope the cloud's deliveries come in, and where their routing address is. */
  readonly envelope: EnvelopeFormat;
  /** Reads secret references by scheme (`ssm`, `secretsmanager`; `keyvault`). */
  readonly secretReaders: Readonly<Record<string, SecretReader>>;
  /** Why a reference of one of its schemes is malformed; undefined when it is fine (or not its scheme). Pure. */
  secretReferenceProblem(reference: string): string | undefined;
  /** For people, each interruption kind this provider's parsers produce: `spot interruption`. */
  kindLabel(kind: InterruptionKind): string;
  /** For people and notifications: what the machine is and its id. */
  describeMachine(machine: MachineRef): MachineLabel;
  /** The `spec.providerID` the machine's node carries (a pattern, for messages, when not fully known). */
  expectedProviderId(machine: MachineRef): string;
  /** Whether a node's `spec.providerID` names the machine: whole ids only, never a guess. */
  providerIdMatches(machine: MachineRef, providerID: string): boolean;
  /**
   * Finds the cluster and client for the interruption's machine. Never throws: failures come back as
   * `failed` with whether a retry may help (the provider knows its SDKs' errors).
   */
  resolveTarget(interruption: Interruption, context: ResolveContext): Promise<TargetResolution>;
  /** The cloud-side steps around this interruption's drain; `{}` when there are none. */
  drainHooks(interruption: Interruption, context: { logger: Logger; dryRun: boolean }): DrainHooks;
}

/** How a provider's machines are told apart from other clouds', labelled, and matched to nodes. */
export interface MachineScheme<M extends MachineRef> {
  /** For people: `EC2 instance`. */
  noun: string;
  /** Whether a machine is this cloud's (narrows it). */
  is(machine: MachineRef): machine is M;
  /** The machine's id for people and notifications (instance id, resource id). */
  id(machine: M): string;
  expectedProviderId(machine: M): string;
  providerIdMatches(machine: M, providerID: string): boolean;
}

/** What is particular to one cloud; defineProvider builds the rest of the CloudProvider from it. */
export interface ProviderSpec<M extends MachineRef> {
  cloud: string;
  displayName: string;
  parsers: readonly EventParser[];
  envelope: EnvelopeFormat;
  secretReaders: Readonly<Record<string, SecretReader>>;
  /** As CloudProvider.secretReferenceProblem; default: every reference is fine. */
  secretReferenceProblem?: (reference: string) => string | undefined;
  /** Labels for the kinds this provider's parsers produce. */
  kindLabels: Readonly<Record<InterruptionKind, string>>;
  machines: MachineScheme<M>;
  /** As CloudProvider.resolveTarget, with the machine already narrowed to this cloud's. */
  resolveTarget(interruption: Interruption, machine: M, context: ResolveContext): Promise<TargetResolution>;
  drainHooks?: CloudProvider['drainHooks'];
}

/**
 * A CloudProvider from its spec. Every method that takes a machine throws a TypeError for another
 * cloud's machine: the pipeline routes interruptions by `cloud`, so that would be a bug, not bad input.
 */
export function defineProvider<M extends MachineRef>(spec: ProviderSpec<M>): CloudProvider {
  const { machines } = spec;
  const narrow = (machine: MachineRef): M => {
    if (!machines.is(machine))
      throw new TypeError(`not a ${spec.displayName} machine: ${JSON.stringify(machine)}`);
    return machine;
  };
  return {
    cloud: spec.cloud,
    displayName: spec.displayName,
    parsers: spec.parsers,
    envelope: spec.envelope,
    secretReaders: spec.secretReaders,
    secretReferenceProblem: spec.secretReferenceProblem ?? (() => undefined),
    kindLabel: (kind) => spec.kindLabels[kind] ?? kind.replaceAll('-', ' '),
    describeMachine: (machine) => ({ noun: machines.noun, id: machines.id(narrow(machine)) }),
    expectedProviderId: (machine) => machines.expectedProviderId(narrow(machine)),
    providerIdMatches: (machine, providerID) => machines.providerIdMatches(narrow(machine), providerID),
    resolveTarget: (interruption, context) =>
      spec.resolveTarget(interruption, narrow(interruption.machine), context),
    drainHooks: spec.drainHooks ?? (() => ({})),
  };
}

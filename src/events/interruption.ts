/**
 * The normalized form of every cloud event the drainer acts on. Shared code reads only what is declared
 * here; whatever is specific to one cloud (EC2 instance ids, Azure resource ids, Auto Scaling hooks) is
 * read by that cloud's provider (src/providers/<cloud>/).
 */

/** The cloud an interruption came from: a provider's `cloud` (`aws`, `azure`). */
export type Cloud = string;

/**
 * What the drain engine does to the node.
 * - drain: cordon and taint, then evict every evictable pod.
 * - cordon: cordon and taint only.
 * - cleanup: the machine is gone; cordon, then delete the pods left on the node at once.
 * - cordon-or-cleanup: cordon; clean up as well if the node is already NotReady.
 * - release: the interruption was called off; remove this kind's marks, and uncordon when no other
 *   interruption holds the node and the drainer was the one that cordoned it.
 */
export type DrainAction = 'drain' | 'cordon' | 'cleanup' | 'cordon-or-cleanup' | 'release';

/**
 * The kind of event, in kebab case (`spot-interruption`, `scheduled-event`). It names the node's taint
 * (`spot-drainer.io/<kind>`), so it is stable; each provider labels its own kinds for people.
 */
export type InterruptionKind = string;

/**
 * The interrupted machine as its cloud names it. Shared code reads only `cloud`; the other fields belong
 * to the provider of that cloud, which also turns them into the node's expected `spec.providerID`
 * (AWS: `{ cloud: 'aws', instanceId, zone? }`; Azure: `{ cloud: 'azure', resourceId }`).
 */
export interface MachineRef {
  readonly cloud: Cloud;
  readonly [field: string]: string | undefined;
}

/**
 * One machine's interruption, as a parser made it from one cloud event: what to do to its node (`action`) and
 * by when (`deadline`, an absolute time). One event may give several (an AWS Health event naming many
 * instances).
 */
export interface Interruption {
  cloud: Cloud;
  kind: InterruptionKind;
  /** Id of the cloud event, recorded on the node so duplicate deliveries are recognised. */
  eventId: string;
  machine: MachineRef;
  action: DrainAction;
  /** When the machine goes away; undefined when the event sets none (a rebalance recommendation). */
  deadline?: Date;
  /** The event's own timestamp. */
  eventTime: Date;
  region?: string;
  account?: string;
  /**
   * Cloud-specific facts, for reports and for the provider's hooks (the Auto Scaling group, hook name and
   * action token of a lifecycle action; the scheduled event's type). Strings only, so an interruption
   * survives JSON unchanged.
   */
  details: Record<string, string>;
}

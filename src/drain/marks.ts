import type { V1Node, V1Taint } from '@kubernetes/client-node';
import type { Interruption, InterruptionKind } from '../events/interruption.ts';

/**
 * The marks a drain leaves on a node, written in one patch: cordon, a NoSchedule taint per interruption
 * kind, an optional load-balancer exclusion label, and annotations that let a later invocation (a
 * duplicate delivery, or the Canceled event that calls it off) see what was done and by whom.
 */
export const MARK_PREFIX = 'spot-drainer.io/';
/** JSON record of the interruptions holding the node, by kind (`RecordedInterruptions`). */
export const INTERRUPTIONS_ANNOTATION = `${MARK_PREFIX}interruptions`;
/** The id of the last event that marked the node. */
export const EVENT_ID_ANNOTATION = `${MARK_PREFIX}event-id`;
/** The earliest deadline of the interruptions holding the node (ISO 8601). */
export const DEADLINE_ANNOTATION = `${MARK_PREFIX}deadline`;
/** Set when the node was schedulable before the drainer cordoned it: only then may a release uncordon. */
export const CORDONED_BY_DRAINER_ANNOTATION = `${MARK_PREFIX}cordoned-by-drainer`;
/** Set when the drainer added EXCLUDE_LB_LABEL: only then does a release remove it. */
export const LB_LABEL_ADDED_ANNOTATION = `${MARK_PREFIX}excluded-from-load-balancers`;
/**
 * The well-known label that takes a node out of external load balancers' backends
 * (https://kubernetes.io/docs/reference/labels-annotations-taints/#node-kubernetes-io-exclude-from-external-load-balancers).
 */
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

/** The key of the NoSchedule taint an interruption kind puts on the node: `spot-drainer.io/<kind>`. */
export function taintKey(kind: InterruptionKind): string {
  return `${MARK_PREFIX}${kind}`;
}

/** What the node's annotation records per interruption kind. */
export interface RecordedInterruption {
  eventId: string;
  action: string;
  deadline?: string;
  receivedAt: string;
  /**
   * The continuation chain working on this event (src/pipeline/chain.ts), and until when (ISO 8601) it
   * holds the event: a second delivery of the event meanwhile leaves the drain to the chain.
   */
  chain?: string;
  chainUntil?: string;
}

/** A continuation chain as the marks record it: its id and until when it holds the event. */
export interface ChainMark {
  id: string;
  until: Date;
}

/** The content of INTERRUPTIONS_ANNOTATION. */
export type RecordedInterruptions = Partial<Record<InterruptionKind, RecordedInterruption>>;

/** The interruptions recorded on the node; an absent or unreadable annotation reads as none. Never throws. */
export function recordedInterruptions(node: V1Node): RecordedInterruptions {
  const raw = node.metadata?.annotations?.[INTERRUPTIONS_ANNOTATION];
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' ? (parsed as RecordedInterruptions) : {};
  } catch {
    return {};
  }
}

/**
 * How much of the marks a patch writes. `full`: everything. `no-taint`: all but the taint (an admission
 * policy refused it). `cordon-only`: `spec.unschedulable` alone, the smallest protection there is (the
 * policy refused the annotations or the label too; a release then cannot tell the drainer cordoned).
 */
export type MarkLevel = 'full' | 'no-taint' | 'cordon-only';

/** The marks each level leaves out, in the words a report uses. */
export const MARKS_LEFT_OUT: Record<MarkLevel, string[]> = {
  full: [],
  'no-taint': ['taint'],
  'cordon-only': ['taint', 'annotations', 'label'],
};

/** How `markPatch` marks the node; `now` is recorded as the first receipt of the event. */
export interface MarkOptions {
  excludeFromLoadBalancers: boolean;
  now: Date;
  /** Default `full`. */
  level?: MarkLevel;
  /** Recorded with a first marking for the event; a record of the same event keeps its own chain. */
  chain?: ChainMark;
}

/**
 * A JSON Patch (RFC 6902). It tests the taint list it extends, so a taint written by someone else since
 * the node was read makes it fail (and be recomputed) rather than be lost; status updates from the kubelet
 * do not conflict with it, as a resourceVersion precondition would.
 */
export type JsonPatchOperation =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** A JSON Patch document (RFC 6902) for a Node, sent as `application/json-patch+json`. */
export type NodePatch = JsonPatchOperation[];

function pointer(...segments: string[]): string {
  return segments.map((segment) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function setEntries(
  field: 'annotations' | 'labels',
  existing: Record<string, string> | undefined,
  values: Record<string, string>,
): NodePatch {
  if (!existing) return [{ op: 'add', path: pointer('metadata', field), value: values }];
  return Object.entries(values).map(([key, value]) => ({
    op: 'add',
    path: pointer('metadata', field, key),
    value,
  }));
}

function removeEntries(
  field: 'annotations' | 'labels',
  existing: Record<string, string> | undefined,
  keys: string[],
) {
  return keys
    .filter((key) => existing?.[key] !== undefined)
    .map((key): JsonPatchOperation => ({ op: 'remove', path: pointer('metadata', field, key) }));
}

/**
 * A taint as the API server stores it. The client parses `timeAdded` into a Date, which would serialize
 * with milliseconds and fail the `test` against the stored second-precision timestamp.
 */
function asStored(taint: V1Taint): V1Taint {
  const { timeAdded, ...rest } = taint;
  if (!timeAdded) return rest;
  return {
    ...rest,
    timeAdded: new Date(timeAdded).toISOString().replace(/\.\d{3}Z$/, 'Z') as unknown as Date,
  };
}

/**
 * Operations that set the node's taint list to `next`, testing that it is still `current` (as read) so a
 * taint written meanwhile by someone else fails the patch (and gets it rebuilt) rather than being lost.
 */
export function replaceTaints(current: V1Taint[] | undefined, next: V1Taint[]): NodePatch {
  if (current === undefined) return [{ op: 'add', path: '/spec/taints', value: next.map(asStored) }];
  return [
    { op: 'test', path: '/spec/taints', value: current.map(asStored) },
    { op: 'replace', path: '/spec/taints', value: next.map(asStored) },
  ];
}

function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/**
 * Makes the patch fail (and be rebuilt from a fresh read) if another writer marked the node since it was
 * read: the record it rewrites is tested as read; with no record yet, the taint list it replaces; with
 * no taint list either, the whole spec (which status updates leave alone, unlike the resourceVersion).
 * Without a guard, two first marks of one node (a spot warning and a state change arriving together)
 * would both succeed, and the second would erase the first's taint and record.
 */
function recordGuard(node: V1Node, testsTaints: boolean): NodePatch {
  const raw = node.metadata?.annotations?.[INTERRUPTIONS_ANNOTATION];
  if (raw !== undefined) {
    return [{ op: 'test', path: pointer('metadata', 'annotations', INTERRUPTIONS_ANNOTATION), value: raw }];
  }
  if (testsTaints && node.spec?.taints !== undefined) return [];
  const spec = node.spec ?? {};
  return [
    { op: 'test', path: '/spec', value: spec.taints ? { ...spec, taints: spec.taints.map(asStored) } : spec },
  ];
}

/**
 * The patch that marks `node` for `interruption`, or undefined when every mark is already in place for
 * this event (a duplicate delivery, or a second invocation racing the first).
 */
export function markPatch(
  node: V1Node,
  interruption: Interruption,
  options: MarkOptions,
): NodePatch | undefined {
  const key = taintKey(interruption.kind);
  const taints = node.spec?.taints ?? [];
  const recorded = recordedInterruptions(node);
  const labels = node.metadata?.labels ?? {};
  const annotations = node.metadata?.annotations ?? {};
  const alreadyCordoned = node.spec?.unschedulable === true;
  const level = options.level ?? 'full';
  if (level === 'cordon-only')
    return alreadyCordoned ? undefined : [{ op: 'add', path: '/spec/unschedulable', value: true }];
  // Without the taint (refused), the node is treated as if it had it: nothing tries to add it.
  const hasTaint =
    level === 'no-taint' || taints.some((taint) => taint.key === key && taint.effect === 'NoSchedule');
  const sameEvent = recorded[interruption.kind]?.eventId === interruption.eventId;
  const needsLabel = options.excludeFromLoadBalancers && labels[EXCLUDE_LB_LABEL] === undefined;
  if (alreadyCordoned && hasTaint && sameEvent && !needsLabel) return undefined;

  const deadline = interruption.deadline?.toISOString();
  const previous = recorded[interruption.kind];
  const chain = sameEvent
    ? { chain: previous?.chain, chainUntil: previous?.chainUntil }
    : { chain: options.chain?.id, chainUntil: options.chain?.until.toISOString() };
  const updated: RecordedInterruptions = {
    ...recorded,
    [interruption.kind]: {
      eventId: interruption.eventId,
      action: interruption.action,
      ...(deadline ? { deadline } : {}),
      receivedAt: previous?.receivedAt ?? options.now.toISOString(),
      ...(chain.chain ? chain : {}),
    },
  };
  const patchAnnotations: Record<string, string> = {
    [INTERRUPTIONS_ANNOTATION]: JSON.stringify(updated),
    [EVENT_ID_ANNOTATION]: interruption.eventId,
  };
  const earliestDeadline = earliest(annotations[DEADLINE_ANNOTATION], deadline);
  if (earliestDeadline) patchAnnotations[DEADLINE_ANNOTATION] = earliestDeadline;
  if (!alreadyCordoned) patchAnnotations[CORDONED_BY_DRAINER_ANNOTATION] = 'true';
  if (needsLabel) patchAnnotations[LB_LABEL_ADDED_ANNOTATION] = 'true';

  return [
    ...recordGuard(node, !hasTaint),
    ...(hasTaint
      ? []
      : replaceTaints(node.spec?.taints, [
          ...taints,
          { key, value: interruption.cloud, effect: 'NoSchedule' },
        ])),
    { op: alreadyCordoned ? 'replace' : 'add', path: '/spec/unschedulable', value: true },
    ...(needsLabel ? setEntries('labels', node.metadata?.labels, { [EXCLUDE_LB_LABEL]: 'true' }) : []),
    ...setEntries('annotations', node.metadata?.annotations, patchAnnotations),
  ];
}

/** What `releasePatch` would do; no `patch` when there is nothing of this event's to remove. */
export interface ReleasePlan {
  patch?: NodePatch;
  /** True when no other interruption holds the node and the drainer had cordoned it. */
  uncordons: boolean;
  reason: string;
}

/**
 * The patch that removes the marks of an interruption that was called off. Other interruptions' marks
 * stay, and the node is uncordoned only if the drainer cordoned it and nothing else still holds it.
 */
export function releasePatch(node: V1Node, interruption: Interruption): ReleasePlan {
  const recorded = recordedInterruptions(node);
  const entry = recorded[interruption.kind];
  if (!entry) return { uncordons: false, reason: `no ${interruption.kind} marks on the node` };
  if (entry.eventId.toLowerCase() !== interruption.eventId.toLowerCase()) {
    return { uncordons: false, reason: `the ${interruption.kind} marks belong to event ${entry.eventId}` };
  }
  const remaining: RecordedInterruptions = { ...recorded };
  delete remaining[interruption.kind];
  const key = taintKey(interruption.kind);
  const annotations = node.metadata?.annotations ?? {};
  const othersRemain = Object.keys(remaining).length > 0;
  const uncordons = !othersRemain && annotations[CORDONED_BY_DRAINER_ANNOTATION] === 'true';
  // Uncordoning also drops the taint the node lifecycle controller mirrors cordons with, which it would
  // otherwise remove a moment later.
  const dropped = new Set([key, ...(uncordons ? [UNSCHEDULABLE_TAINT] : [])]);
  const taints = (node.spec?.taints ?? []).filter((taint) => !dropped.has(taint.key));
  const ours = [
    INTERRUPTIONS_ANNOTATION,
    EVENT_ID_ANNOTATION,
    DEADLINE_ANNOTATION,
    CORDONED_BY_DRAINER_ANNOTATION,
    LB_LABEL_ADDED_ANNOTATION,
  ];
  const removeLabel = !othersRemain && annotations[LB_LABEL_ADDED_ANNOTATION] === 'true';
  return {
    uncordons,
    reason: othersRemain ? 'other interruptions still hold the node' : 'released',
    patch: [
      ...replaceTaints(node.spec?.taints, taints),
      ...(othersRemain
        ? setEntries('annotations', annotations, { [INTERRUPTIONS_ANNOTATION]: JSON.stringify(remaining) })
        : removeEntries('annotations', node.metadata?.annotations, ours)),
      ...(removeLabel ? removeEntries('labels', node.metadata?.labels, [EXCLUDE_LB_LABEL]) : []),
      ...(uncordons ? [{ op: 'replace', path: '/spec/unschedulable', value: false } as const] : []),
    ],
  };
}

/**
 * The patch that records `chain` as the one working on the interruption's event, or undefined when the
 * node has no record of that event (nothing to hold). It tests the record as read, so a concurrent claim
 * by another chain makes it fail (422) and be rebuilt from a fresh read.
 */
export function chainPatch(
  node: V1Node,
  interruption: Interruption,
  chain: ChainMark,
): NodePatch | undefined {
  const recorded = recordedInterruptions(node);
  const entry = recorded[interruption.kind];
  if (!entry || entry.eventId !== interruption.eventId) return undefined;
  const updated: RecordedInterruptions = {
    ...recorded,
    [interruption.kind]: { ...entry, chain: chain.id, chainUntil: chain.until.toISOString() },
  };
  return [
    ...recordGuard(node, false),
    {
      op: 'replace',
      path: pointer('metadata', 'annotations', INTERRUPTIONS_ANNOTATION),
      value: JSON.stringify(updated),
    },
  ];
}

/**
 * `spot-drainer release (--node NAME | <event.json>)`: undoes spot-drainer's own marks on a node by the
 * rule a cancelled Azure event follows (marks.ts `releasePatch`, applied as the release phase applies it,
 * with node-patch.ts `patchNode`): the interruptions' taints and annotations, the load-balancer label if
 * the drainer added it, and the cordon only if the drainer made it and nothing else holds the node.
 */
import type { V1Node } from '@kubernetes/client-node';
import { loadConfig } from '../config.ts';
import { createBudget } from '../drain/budget.ts';
import {
  CORDONED_BY_DRAINER_ANNOTATION,
  EXCLUDE_LB_LABEL,
  LB_LABEL_ADDED_ANNOTATION,
  recordedInterruptions,
  releasePatch,
} from '../drain/marks.ts';
import { patchNode } from '../drain/node-patch.ts';
import type { Interruption, InterruptionKind } from '../events/interruption.ts';
import type { KubeClient } from '../kube/client.ts';
import { describeApiError, isStatus } from '../kube/errors.ts';
import { resolveNode } from '../kube/node-resolution.ts';
import { type Logger, silentLogger } from '../logging.ts';
import { createPipeline } from '../pipeline/handle-delivery.ts';
import { allProviders } from '../providers/all.ts';
import { readEventFiles, UsageError } from './input.ts';
import { checkConnection, kubeClientFor, loadKubeconfig } from './kubeconfig-file.ts';
import type { CommandOutput } from './parse-command.ts';

/** The flags of `spot-drainer release`. */
export interface ReleaseOptions {
  node?: string;
  file?: string;
  extraFiles?: string[];
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
  json: boolean;
}

/** One interruption's marks to remove: the kind (taint key, record entry) and the event that set them. */
type Mark = Pick<Interruption, 'kind' | 'eventId'>;

/** What `release` did (or would do) on one node. */
export interface ReleaseResult {
  node: string;
  status: 'released' | 'nothing-to-release' | 'not-found' | 'failed';
  dryRun: boolean;
  released: Mark[];
  uncordoned: boolean;
  /** spot-drainer's marks it did not remove, and what others put there that it leaves alone. */
  left: string[];
  reason?: string;
}

/** What stays on the node once `released` are gone: other interruptions' marks, a cordon or label not ours. */
export function leftAfter(node: V1Node, released: readonly Mark[]): string[] {
  const gone = new Set(released.map((mark) => mark.kind));
  const remaining = Object.entries(recordedInterruptions(node)).filter(
    ([kind]) => !gone.has(kind as InterruptionKind),
  );
  const left = remaining.map(
    ([kind, entry]) => `the marks of ${kind} (event ${entry?.eventId}), still holding the node`,
  );
  const annotations = node.metadata?.annotations ?? {};
  if (
    remaining.length === 0 &&
    node.spec?.unschedulable &&
    annotations[CORDONED_BY_DRAINER_ANNOTATION] !== 'true'
  )
    left.push('the cordon: spot-drainer did not make it (the node was unschedulable before)');
  if (
    node.metadata?.labels?.[EXCLUDE_LB_LABEL] !== undefined &&
    annotations[LB_LABEL_ADDED_ANNOTATION] !== 'true'
  )
    left.push(`the label ${EXCLUDE_LB_LABEL}: spot-drainer did not add it`);
  return left;
}

/** The marks to release: every interruption recorded on the node, or those of the given event's. */
function marksToRelease(node: V1Node, wanted: readonly Mark[] | undefined): Mark[] {
  const recorded = Object.entries(recordedInterruptions(node)).map(([kind, entry]) => ({
    kind: kind as InterruptionKind,
    eventId: entry?.eventId ?? '',
  }));
  if (!wanted) return recorded;
  return wanted.filter((mark) => releasePatch(node, mark as Interruption).patch !== undefined);
}

async function releaseOnNode(
  kube: KubeClient,
  node: V1Node,
  wanted: readonly Mark[] | undefined,
  dryRun: boolean,
): Promise<ReleaseResult> {
  const name = node.metadata?.name ?? '';
  const marks = marksToRelease(node, wanted);
  const base = { node: name, dryRun, released: marks, left: leftAfter(node, marks) };
  if (marks.length === 0) {
    const reason = wanted?.map((mark) => releasePatch(node, mark as Interruption).reason).join('; ');
    return { ...base, status: 'nothing-to-release', uncordoned: false, ...(reason ? { reason } : {}) };
  }
  const allGone = Object.keys(recordedInterruptions(node)).length === marks.length;
  let uncordoned = allGone && node.metadata?.annotations?.[CORDONED_BY_DRAINER_ANNOTATION] === 'true';
  if (dryRun) return { ...base, status: 'released', uncordoned };
  const end = Date.now() + 30_000;
  const budget = createBudget({ remainingTimeMs: () => end - Date.now(), functionReserveMs: 0 });
  let current = node;
  try {
    for (const mark of marks) {
      const plan = releasePatch(current, mark as Interruption);
      current = (
        await patchNode(
          kube.core,
          current,
          budget,
          undefined,
          (fresh) => releasePatch(fresh, mark as Interruption).patch,
        )
      ).node;
      uncordoned = plan.uncordons;
    }
  } catch (error) {
    return { ...base, status: 'failed', uncordoned: false, reason: describeApiError(error).message };
  }
  return { ...base, status: 'released', uncordoned, left: leftAfter(current, []) };
}

/** The nodes to release and, for an event file, whose marks: the event's interruptions' nodes by provider id. */
async function targets(
  kube: KubeClient,
  options: ReleaseOptions,
): Promise<Array<{ name: string; node?: V1Node; marks?: Mark[] }>> {
  if (options.node) {
    try {
      return [{ name: options.node, node: await kube.core.readNode({ name: options.node }) }];
    } catch (error) {
      if (isStatus(error, 404)) return [{ name: options.node }];
      throw error;
    }
  }
  const config = loadConfig();
  const pipeline = createPipeline(allProviders(config, { cloudCalls: false }));
  const body = await readEventFiles([options.file ?? '', ...(options.extraFiles ?? [])]);
  const parsed = pipeline.registry.parseEvents(body, { now: new Date(), options: config });
  const interruptions = parsed.flatMap((result) =>
    result.status === 'interruptions' ? result.interruptions : [],
  );
  if (interruptions.length === 0) {
    const reasons = parsed.map((result) => (result.status === 'interruptions' ? '' : result.reason));
    throw new UsageError(`no interruption in the event: ${reasons.join('; ')}`);
  }
  return Promise.all(
    interruptions.map(async (interruption) => {
      const provider = pipeline.providerFor(interruption.cloud);
      const describe = provider?.expectedProviderId(interruption.machine) ?? interruption.cloud;
      const matches = (id: string) => provider?.providerIdMatches(interruption.machine, id) ?? false;
      const found = await resolveNode(kube.core, { matches, describe });
      const mark = { kind: interruption.kind, eventId: interruption.eventId };
      return found.status === 'found'
        ? { name: found.node.metadata?.name ?? describe, node: found.node, marks: [mark] }
        : { name: describe, marks: [mark] };
    }),
  );
}

/** One line per node, then what was left there. */
export function releaseSummary(result: ReleaseResult): string {
  const marks = result.released.map((mark) => `${mark.kind} (event ${mark.eventId})`).join(', ');
  const would = result.dryRun ? 'would remove' : 'removed';
  const head = {
    released: `${result.node}: ${would} the marks of ${marks}${result.uncordoned ? (result.dryRun ? ' and would uncordon it' : ' and uncordoned it') : ''}`,
    'nothing-to-release': `${result.node}: nothing of spot-drainer's to remove${result.reason ? ` (${result.reason})` : ''}`,
    'not-found': `${result.node}: no such node`,
    failed: `${result.node}: release failed: ${result.reason}`,
  }[result.status];
  return [head, ...result.left.map((what) => `  left ${what}`)].join('\n');
}

/** Runs `release`; exit 0 released or nothing to remove, 1 a node not found or a failed patch. */
export async function releaseCommand(
  options: ReleaseOptions,
  logger: Logger = silentLogger,
): Promise<CommandOutput> {
  if (Boolean(options.node) === Boolean(options.file)) {
    throw new UsageError('release: name either --node NAME or an event file (not both)');
  }
  const loaded = loadKubeconfig(options.kubeconfig, options.context);
  const kube = kubeClientFor(loaded);
  try {
    await checkConnection(kube, loaded);
    const results: ReleaseResult[] = [];
    for (const target of await targets(kube, options)) {
      results.push(
        target.node
          ? await releaseOnNode(kube, target.node, target.marks, options.dryRun)
          : {
              node: target.name,
              status: 'not-found',
              dryRun: options.dryRun,
              released: [],
              uncordoned: false,
              left: [],
            },
      );
    }
    for (const result of results) logger.info('release', { ...result });
    const failed = results.some((result) => result.status === 'not-found' || result.status === 'failed');
    return {
      code: failed ? 1 : 0,
      stdout: options.json ? JSON.stringify(results, null, 2) : results.map(releaseSummary).join('\n'),
    };
  } finally {
    await kube.close();
  }
}

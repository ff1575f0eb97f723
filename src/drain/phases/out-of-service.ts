import { setTimeout as sleep } from 'node:timers/promises';
import { describeApiError } from '../../kube/errors.ts';
import type { DrainContext } from '../context.ts';
import { patchNode } from '../node-patch.ts';
import { OUT_OF_SERVICE_TAINT, type OutOfServiceStep, outOfServiceStep } from '../out-of-service.ts';

/**
 * How long a node whose machine the cloud reports gone is waited for to stop being Ready: the node
 * lifecycle controller marks it after `--node-monitor-grace-period` (40 s; 50 s from Kubernetes 1.32).
 */
export const NOT_READY_WAIT_MS = 60_000;
const POLL_MS = 2_000;

/**
 * Out-of-service phase of a cleanup (SPOT_DRAINER_OUT_OF_SERVICE_TAINT): `confirmation` is the cloud's
 * positive word that the machine is gone (DrainDependencies.machineShutDown); without it nothing is
 * written. Taints the node `node.kubernetes.io/out-of-service=nodeshutdown:NoExecute` once it is not
 * Ready, waiting for that up to NOT_READY_WAIT_MS within the budget, and only while it is the very node
 * that was resolved (`outOfServiceStep`). The result goes to the report (`outOfService`), the log and a
 * SpotOutOfService Event (Warning SpotOutOfServiceSkipped when not tainted). Never throws.
 */
export async function markOutOfService(ctx: DrainContext, confirmation: string | undefined): Promise<void> {
  const { report } = ctx;
  if (!confirmation) {
    report.outOfService = {
      tainted: false,
      reason: 'the cloud has not confirmed that the machine is gone',
    };
    ctx.log('out-of-service taint not applied', { reason: report.outOfService.reason });
    return;
  }
  const last = await tryTaint(ctx);
  if (last.step === 'patch' || last.step === 'present') {
    const reason = `${confirmation}; node not Ready`;
    report.outOfService = { tainted: true, reason };
    ctx.log('out-of-service taint', { reason, wrote: last.step === 'patch' });
    ctx.events.node(
      report.node,
      'SpotOutOfService',
      `Tainted ${OUT_OF_SERVICE_TAINT.key}=${OUT_OF_SERVICE_TAINT.value}:${OUT_OF_SERVICE_TAINT.effect}: ${reason}`,
    );
    return;
  }
  report.outOfService = { tainted: false, reason: last.reason };
  ctx.deps.logger.warn('out-of-service taint not applied', {
    node: ctx.nodeName,
    eventId: ctx.interruption.eventId,
    reason: last.reason,
  });
  ctx.events.node(
    report.node,
    'SpotOutOfServiceSkipped',
    `Not tainted ${OUT_OF_SERVICE_TAINT.key}: ${last.reason}`,
    'Warning',
  );
}

/** Reads the node and patches it (`patchNode`, rebuilt on conflicts) until tainted, refused or out of time. */
async function tryTaint(ctx: DrainContext): Promise<OutOfServiceStep> {
  const giveUpAt = Math.min(ctx.budget.stopAt(), ctx.clock() + NOT_READY_WAIT_MS);
  for (;;) {
    let step = { step: 'refuse', reason: 'not tried' } as OutOfServiceStep;
    try {
      const node = await ctx.core.readNode({ name: ctx.nodeName });
      const result = await patchNode(ctx.core, node, ctx.budget, ctx.backoff, (current) => {
        step = outOfServiceStep(current, ctx.resolvedNode);
        return step.step === 'patch' ? step.patch : undefined;
      });
      if (result.wrote) ctx.report.node = result.node;
    } catch (error) {
      const failure = describeApiError(error);
      // A 404 is a node deleted meanwhile; a failed test (422) one replaced between read and write.
      return { step: 'refuse', reason: `the node could not be tainted: ${failure.message}` };
    }
    if (step.step !== 'wait') return step;
    if (ctx.clock() + POLL_MS > giveUpAt) {
      return { step: 'wait', reason: `${step.reason} after waiting for it to stop` };
    }
    await sleep(POLL_MS);
  }
}

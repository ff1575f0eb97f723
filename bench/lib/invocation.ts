/**
 * What a handler process (bench/invoke-aws.ts, bench/invoke-azure.ts) reports back to the mass benchmark:
 * wall-clock times (Date.now(), shared by every process on the machine) and the drain report's numbers.
 */
import { writeFileSync } from 'node:fs';
import type { DeliveryOutcome } from '../../src/pipeline/results.ts';

export interface InvocationRecord {
  /** performance.timeOrigin: when this Node.js process started. */
  processStart: number;
  /** Before the bundle's import (after the benchmark's own stubs were set up). */
  importStart: number;
  /** The bundle imported and its module init done: the handler is ready. */
  ready: number;
  /** AWS: when the stubbed EC2 DescribeInstances request arrived. */
  describeInstancesAt?: number;
  done: number;
  status?: string;
  node?: string;
  outcome?: string;
  cordonAt?: number;
  allAcceptedAt?: number;
  emptyAt?: number;
  apiRequests?: number;
  evicted?: number;
  deadlineMet?: boolean;
  error?: string;
}

export function recordInvocation(
  file: string,
  times: Pick<InvocationRecord, 'importStart' | 'ready' | 'describeInstancesAt'>,
  outcome: DeliveryOutcome | undefined,
  error: unknown,
): void {
  const record: InvocationRecord = {
    processStart: performance.timeOrigin,
    ...times,
    done: Date.now(),
    ...(error ? { error: error instanceof Error ? error.message : String(error) } : {}),
  };
  const result = outcome?.results[0];
  record.status = result?.status ?? outcome?.status;
  if (result?.status === 'handled') {
    const { report } = result;
    const start = Date.parse(report.startedAt);
    const at = (offset: number | undefined) => (offset === undefined ? undefined : start + offset);
    Object.assign(record, {
      node: report.node,
      outcome: report.outcome,
      cordonAt: at(report.timings.cordonMs),
      allAcceptedAt: at(report.timings.lastEvictionAcceptedMs),
      emptyAt: at(report.timings.emptyMs),
      apiRequests: report.apiRequests,
      evicted: report.counts.evicted,
      deadlineMet: report.deadlineMet,
    });
  } else if (result && 'reason' in result) {
    record.error ??= result.reason;
  }
  writeFileSync(file, JSON.stringify(record));
}

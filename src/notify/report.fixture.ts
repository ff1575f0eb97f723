/** DrainReports for the notification and telemetry tests. */
import type { DrainReport, PodResult } from '../drain/report.ts';

/** A pod a PodDisruptionBudget still held after 12 eviction attempts (uid `uid-<name>`). */
export function blockedPod(namespace: string, name: string): PodResult {
  return {
    namespace,
    name,
    uid: `uid-${name}`,
    disposition: 'evict',
    outcome: 'blocked-by-pdb',
    critical: false,
    attempts: 12,
  };
}

/** A spot interruption drained in time: 14 evictable pods, all evicted. Override what a test needs. */
export function drainReport(overrides: Partial<DrainReport> = {}): DrainReport {
  return {
    node: 'ip-10-0-1-23.eu-west-1.compute.internal',
    providerId: 'aws:///eu-west-1a/i-0123456789abcdef0',
    cloud: 'aws',
    kind: 'spot-interruption',
    eventId: 'evt-1',
    action: 'drain',
    dryRun: false,
    outcome: 'completed',
    startedAt: '2025-03-01T10:00:00.000Z',
    deadline: '2025-03-01T10:02:00.000Z',
    deadlineMet: true,
    markedByThisInvocation: true,
    retryable: false,
    timings: { cordonMs: 85, lastEvictionAcceptedMs: 4200, emptyMs: 31000, totalMs: 31250 },
    counts: {
      pods: 18,
      evictable: 14,
      evicted: 14,
      deleted: 0,
      gone: 0,
      blockedByPdb: 0,
      failed: 0,
      timedOut: 0,
      returned: 0,
      skipped: 4,
      stillTerminating: 0,
    },
    pods: [],
    errors: [],
    apiRequests: 40,
    ...overrides,
  };
}

/** The same drain, but PodDisruptionBudgets held `blocked` pods past the deadline. */
export function missedDeadlineReport(blocked: PodResult[]): DrainReport {
  const base = drainReport();
  return drainReport({
    outcome: 'partial',
    deadlineMet: false,
    pods: blocked,
    counts: { ...base.counts, evicted: base.counts.evictable - blocked.length, blockedByPdb: blocked.length },
  });
}

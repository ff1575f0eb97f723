/**
 * Figures for docs/reliability.md: when SPOT_DRAINER_RELIABILITY_FIGURES names a file, tests append one
 * JSON line per figure to it (faults injected, inputs tried, outcomes). Otherwise nothing is written.
 */
import { appendFileSync } from 'node:fs';

export function recordFigures(test: string, figures: Record<string, unknown>): void {
  const file = process.env.SPOT_DRAINER_RELIABILITY_FIGURES;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ test, at: new Date().toISOString(), ...figures })}\n`);
}

/** How many requests the proxy answered each way: `{ status: {...}, fault: {...}, upstreamError: n }`. */
export function wireSummary(log: { status?: number; fault?: string; upstreamError?: string }[]) {
  const count = (values: (string | number | undefined)[]) => {
    const out: Record<string, number> = {};
    for (const value of values) if (value !== undefined) out[String(value)] = (out[String(value)] ?? 0) + 1;
    return out;
  };
  return {
    requests: log.length,
    status: count(log.map((entry) => entry.status)),
    faults: count(log.map((entry) => entry.fault)),
    upstreamErrors: log.filter((entry) => entry.upstreamError !== undefined).length,
  };
}

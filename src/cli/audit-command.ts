/**
 * `spot-drainer audit`: which workloads on spot nodes would not come through an interruption with the
 * given notice, and why, judged by the drain engine's own planner and eviction rules (audit-findings.ts).
 * It runs as the kubeconfig's identity, reads only, and exits 0 when clean, 3 with findings.
 */
import { drainSettingsFrom, loadConfig } from '../config.ts';
import { type AuditOptions, auditFindings } from './audit-findings.ts';
import { readInventory } from './audit-inventory.ts';
import { type AuditScope, auditMarkdown, auditReport, auditTable } from './audit-output.ts';
import { UsageError } from './input.ts';
import {
  checkConnection,
  describeConnectionError,
  KubeconfigError,
  kubeClientFor,
  loadKubeconfig,
} from './kubeconfig-file.ts';
import type { CommandOutput } from './parse-command.ts';

/** The flags of `spot-drainer audit`. */
export interface AuditCommandOptions {
  kubeconfig?: string;
  context?: string;
  /** The notice, as given: `120s`, `2m`, `30` (seconds). Default 120 s, AWS's. */
  notice?: string;
  /** A label selector naming the spot nodes, instead of the standard labels. */
  selector?: string;
  json: boolean;
  /** `table` (default) or `markdown`; `--json` wins. */
  format?: string;
}

/** Exit codes of `audit`: clean (or no spot nodes), usage or cluster problems (nothing audited), findings. */
export const AUDIT_EXIT = { clean: 0, usage: 2, findings: 3 } as const;

const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms))+$/;

/**
 * `--notice` in seconds: a Go-style duration (`120s`, `2m`, `1m30s`, `30000ms`) or plain seconds (`30`).
 * Throws UsageError below 1 s, above a day, or when it is not a duration.
 */
export function parseNotice(value: string | undefined): number {
  if (value === undefined) return 120;
  const text = value.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  else if (DURATION.test(text))
    seconds = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)].reduce(
      (sum, [, amount, unit]) => sum + Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1),
      0,
    );
  else throw new UsageError(`--notice: not a duration: ${value} (for example 120s, 2m or 30)`);
  if (seconds < 1 || seconds > 86_400) throw new UsageError(`--notice: ${value} is outside 1 s to 24 h`);
  return seconds;
}

function parseFormat(options: AuditCommandOptions): 'table' | 'markdown' | 'json' {
  if (options.json) return 'json';
  const format = options.format ?? 'table';
  if (format !== 'table' && format !== 'markdown')
    throw new UsageError(`--format: ${format} is neither table nor markdown (use --json for JSON)`);
  return format;
}

/**
 * Runs `audit`: reads the cluster as the kubeconfig's identity and judges its spot nodes' workloads.
 * Resolves with exit 0 (no finding, or no spot node) or 3 (findings); throws UsageError (bad flags or
 * selector) or KubeconfigError (unusable kubeconfig, unreachable cluster, a list refused), exit 2.
 */
export async function auditCommand(options: AuditCommandOptions): Promise<CommandOutput> {
  const noticeSeconds = parseNotice(options.notice);
  const format = parseFormat(options);
  const settings = drainSettingsFrom(loadConfig());
  const auditOptions: AuditOptions = { noticeSeconds, settings };
  const loaded = loadKubeconfig(options.kubeconfig, options.context);
  const kube = kubeClientFor(loaded);
  try {
    await checkConnection(kube, loaded);
    const inventory = await readInventory(kube, options.selector).catch((error: unknown) => {
      if (error instanceof UsageError) throw error;
      throw new KubeconfigError(describeConnectionError(error, loaded));
    });
    const result = auditFindings(inventory, auditOptions);
    const scope: AuditScope = {
      noticeSeconds,
      ...(options.selector ? { selector: options.selector } : {}),
      nodes: [...inventory.spotNodes].sort(),
    };
    const code = result.findings.length > 0 ? AUDIT_EXIT.findings : AUDIT_EXIT.clean;
    const stdout =
      format === 'json'
        ? JSON.stringify(auditReport(scope, result), null, 2)
        : format === 'markdown'
          ? auditMarkdown(scope, result)
          : auditTable(scope, result);
    return { code, stdout };
  } finally {
    await kube.close();
  }
}

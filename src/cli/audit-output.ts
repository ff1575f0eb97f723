/** What `spot-drainer audit` prints: a table for people, a Markdown table, or JSON for CI. */
import type { AuditResult, Finding } from './audit-findings.ts';
import { SPOT_NODE_LABELS } from './audit-inventory.ts';

/** How the audit found its nodes and judged them, for the headline and the JSON. */
export interface AuditScope {
  noticeSeconds: number;
  /** The user's label selector; undefined: the standard spot labels. */
  selector?: string;
  /** Names of the spot nodes, sorted. */
  nodes: string[];
}

/** `audit --json`: the scope, what was looked at, and the findings. */
export interface AuditReport {
  noticeSeconds: number;
  spotNodes: { selector: string | null; labels: Record<string, string> | null; names: string[] };
  pods: { audited: number; skipped: AuditResult['skipped'] };
  findings: Finding[];
}

/** The JSON document `--json` prints. */
export function auditReport(scope: AuditScope, result: AuditResult): AuditReport {
  return {
    noticeSeconds: scope.noticeSeconds,
    spotNodes: {
      selector: scope.selector ?? null,
      labels: scope.selector ? null : { ...SPOT_NODE_LABELS },
      names: scope.nodes,
    },
    pods: { audited: result.audited, skipped: result.skipped },
    findings: result.findings,
  };
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** One line: which nodes, how many pods, what notice, how many findings in how many workloads. */
export function auditHeadline(scope: AuditScope, result: AuditResult): string {
  const how = scope.selector ? `selector ${scope.selector}` : 'standard spot labels';
  if (scope.nodes.length === 0) return `no spot nodes (${how}): nothing to audit`;
  const skipped = Object.values(result.skipped).reduce((sum, count) => sum + (count ?? 0), 0);
  const workloads = new Set(
    result.findings.map(({ workload }) => `${workload.namespace}/${workload.kind}/${workload.name}`),
  );
  const verdict =
    result.findings.length === 0
      ? 'no findings'
      : `${plural(result.findings.length, 'finding')} in ${plural(workloads.size, 'workload')}`;
  return [
    `${plural(scope.nodes.length, 'spot node')} (${how}), `,
    `${plural(result.audited, 'pod')} the drain would evict`,
    skipped ? `, ${skipped} it leaves (DaemonSet, mirror, finished)` : '',
    `; ${scope.noticeSeconds} s notice: ${verdict}`,
  ].join('');
}

const workloadName = (finding: Finding) => `${finding.workload.kind}/${finding.workload.name}`;

/** Columns padded to their widest cell; the last column is not padded. */
function aligned(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths?.[column] ?? 0)))
      .join('   ')
      .trimEnd(),
  );
}

/** The headline, then one row per finding: namespace, workload, finding, why, and the fix below it. */
export function auditTable(scope: AuditScope, result: AuditResult): string {
  const headline = auditHeadline(scope, result);
  if (result.findings.length === 0) return headline;
  const rows = [['NAMESPACE', 'WORKLOAD', 'FINDING', 'WHY / FIX']];
  for (const finding of result.findings) {
    rows.push([finding.workload.namespace, workloadName(finding), finding.finding, finding.why]);
    rows.push(['', '', '', `fix: ${finding.fix}`]);
  }
  return [headline, '', ...aligned(rows)].join('\n');
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The headline as a paragraph, then a Markdown table of the findings (for a pull request or a wiki). */
export function auditMarkdown(scope: AuditScope, result: AuditResult): string {
  const headline = auditHeadline(scope, result);
  if (result.findings.length === 0) return headline;
  const lines = [
    headline,
    '',
    '| namespace | workload | finding | why | fix |',
    '| --- | --- | --- | --- | --- |',
    ...result.findings.map(
      (finding) =>
        `| ${[finding.workload.namespace, workloadName(finding), finding.finding, finding.why, finding.fix]
          .map(cell)
          .join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}

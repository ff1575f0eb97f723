// Runs the template validators that scripts/validators.sh installs (pinned in
// scripts/validators-requirements.txt): cfn-lint with the cfn-lint-serverless rules, and checkov.
// A test that uses them fails, with the tool's own output, when a finding is neither fixed nor
// suppressed next to its resource with the reason.
//
// Missing validators fail the tests (run scripts/setup.sh, or scripts/validators.sh). Skip them ONLY
// on purpose: SPOT_DRAINER_SKIP_VALIDATORS=1.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');

export const skipValidators = process.env.SPOT_DRAINER_SKIP_VALIDATORS === '1';
if (skipValidators) console.warn('template validators SKIPPED because SPOT_DRAINER_SKIP_VALIDATORS=1');

let binDir: Promise<string> | undefined;

/** The venv's bin directory, installing the validators first if needed (a no-op when present). */
export function validatorsBin(): Promise<string> {
  binDir ??= run('bash', [resolve(root, 'scripts/validators.sh')], { timeout: 600_000 }).then(
    ({ stdout }) => stdout.trim().split('\n').at(-1)!,
  );
  return binDir;
}

export interface ToolRun {
  code: number;
  output: string;
}

async function tool(command: string, args: string[]): Promise<ToolRun> {
  const bin = await validatorsBin();
  // No network: checkov must not try to reach Prisma Cloud for guidelines or policies.
  const env = { ...process.env, BC_SKIP_MAPPING: 'TRUE', CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false' };
  try {
    const { stdout, stderr } = await run(resolve(bin, command), args, {
      cwd: root,
      env,
      timeout: 300_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** cfn-lint with the serverless rules; every finding (error, warning, informational) is returned. */
export async function cfnLint(templatePaths: string[]): Promise<ToolRun> {
  return tool('cfn-lint', [
    '--append-rules',
    'cfn_lint_serverless.rules',
    '--format',
    'parseable',
    '--',
    ...templatePaths,
  ]);
}

export interface CheckovReport {
  output: string;
  passed: number;
  failed: number;
  skipped: number;
  parsingErrors: string[];
  failures: string[];
}

/** checkov over files or a directory, one framework (cloudformation, bicep), offline. One run for
 * several files: each checkov start costs seconds. */
export async function checkov(
  framework: string,
  target: { files?: string[]; directory?: string },
): Promise<CheckovReport> {
  const where = target.files
    ? target.files.flatMap((f) => ['--file', f])
    : ['--directory', target.directory!];
  const { output } = await tool('checkov', [
    ...where,
    '--framework',
    framework,
    '--skip-download',
    '--output',
    'json',
    '--compact',
  ]);
  const json = output.slice(output.indexOf('{'), output.lastIndexOf('}') + 1);
  // biome-ignore lint/suspicious/noExplicitAny: checkov's JSON report is read loosely
  let report: any;
  try {
    report = JSON.parse(json);
  } catch {
    throw new Error(`checkov gave no JSON report:\n${output}`);
  }
  const results = report.results ?? {};
  return {
    output,
    passed: report.summary?.passed ?? 0,
    failed: report.summary?.failed ?? 0,
    skipped: report.summary?.skipped ?? 0,
    parsingErrors: results.parsing_errors ?? [],
    failures: (results.failed_checks ?? []).map(
      (c: {
        check_id: string;
        check_name: string;
        resource: string;
        file_path: string;
        file_line_range: number[];
      }) => `${c.check_id} ${c.check_name}: ${c.resource} (${c.file_path}:${c.file_line_range.join('-')})`,
    ),
  };
}

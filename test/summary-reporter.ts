import { writeSync } from 'node:fs';
import type { Reporter, SerializedError, TestModule, TestRunEndReason, TestSuite } from 'vitest/node';

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts a finished run. Every failure counts as failed: a failing test; a test that should have run but
 * did not because a hook of its suite or file failed (`beforeAll`); a suite or file error no test
 * accounts for (`afterAll`, an import or collection error); each unhandled error; and a run that vitest
 * calls failed with nothing else to show for it (a global setup that threw).
 */
export function countRun(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const module of testModules) {
    const accounted = new Set<TestModule | TestSuite>();
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else {
        const wanted = test.options.mode === 'run' || test.options.mode === 'only';
        const failedParent = wanted ? failedAncestor(test.parent) : undefined;
        if (failedParent) {
          counts.failed++;
          accounted.add(failedParent);
        } else counts.skipped++;
      }
    }
    for (const entity of [module, ...module.children.allSuites()]) {
      if (entity.errors().length > 0 && !accounted.has(entity)) counts.failed++;
    }
  }
  counts.failed += unhandledErrors.length;
  if (reason !== 'passed' && counts.failed === 0) counts.failed = 1;
  return counts;
}

function failedAncestor(entity: TestModule | TestSuite): TestModule | TestSuite | undefined {
  for (let at: TestModule | TestSuite = entity; ; at = at.parent) {
    if (at.errors().length > 0) return at;
    if (at.type === 'module') return undefined;
  }
}

/** `Tests: N passed, N failed`: the plain closing line CI reads. */
export function closingLine(counts: Pick<Counts, 'passed' | 'failed'>): string {
  return `Tests: ${counts.passed} passed, ${counts.failed} failed`;
}

/**
 * Prints the closing line when the process exits, so that it is the very last line, after vitest's own
 * summary, its errors and the global teardown. A run that never reached its end (a global setup that
 * threw, a bad config) still gets one, counted as failed when the exit code says so; and a run with a
 * failure never exits 0.
 */
export default class SummaryReporter implements Reporter {
  private counts: Counts = { passed: 0, failed: 0, skipped: 0 };

  constructor() {
    process.once('exit', (code) => {
      const counts = { ...this.counts };
      if (counts.failed === 0 && code !== 0) counts.failed = 1;
      if (counts.failed > 0 && code === 0) process.exitCode = 1;
      const skipped = counts.skipped > 0 ? `(${counts.skipped} skipped)\n` : '';
      writeSync(1, `\n${skipped}${closingLine(counts)}\n`);
    });
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    // In watch mode each run replaces the previous one.
    this.counts = countRun(testModules, unhandledErrors, reason);
  }
}

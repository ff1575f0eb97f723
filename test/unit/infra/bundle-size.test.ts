/**
 * The Lambda's deployed code stays within its budget: dist/aws in all (the entry and every lazily loaded
 * chunk, source maps aside) at most 1 MiB. A size, not a time: the same sources give the same bytes.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle, bundles } from '../../../src/cli/bundle.ts';
import { projectRoot } from '../../../src/local-cluster/project-root.ts';

const outdir = `dist/size-check-${process.pid}`;
afterAll(() => rmSync(join(projectRoot, outdir), { recursive: true, force: true }));

describe('the Lambda bundle', () => {
  it('is at most 1 MiB with its lazily loaded chunks', async () => {
    const size = await buildBundle({ ...bundles.aws, outdir });
    expect(size.entryBytes).toBeGreaterThan(0);
    expect(size.totalBytes).toBeGreaterThanOrEqual(size.entryBytes);
    expect(size.totalBytes).toBeLessThanOrEqual(1024 * 1024);
  }, 60_000);
});

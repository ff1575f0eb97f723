import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../../scripts/config-doc.ts';

describe('docs/configuration.md', () => {
  it('is up to date (regenerate with `node scripts/config-doc.ts --write`)', () => {
    expect(readFileSync(CONFIGURATION_DOC, 'utf8')).toBe(renderConfigurationDoc());
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_DOC,
  INFRA_README,
  renderConfigurationDoc,
  renderServerlessParams,
  withServerlessParams,
} from '../../../scripts/config-doc.ts';
import { documentedSettings } from '../../../src/config.ts';

describe('docs/configuration.md', () => {
  it('is up to date (regenerate with `npm run docs:config`)', () => {
    expect(readFileSync(CONFIGURATION_DOC, 'utf8')).toBe(renderConfigurationDoc());
  });
});

describe("infra/README.md's table of serverless.yml params", () => {
  it('is up to date (regenerate with `npm run docs:config`)', () => {
    const readme = readFileSync(INFRA_README, 'utf8');
    expect(readme).toBe(withServerlessParams(readme));
  });

  it('has a row for every setting serverless.yml sets, with the documented default', () => {
    const table = renderServerlessParams();
    const settings = documentedSettings().filter((setting) => setting.serverless !== undefined);
    expect(settings.length).toBeGreaterThanOrEqual(20);
    for (const setting of settings) {
      const param = [setting.serverless ?? []].flat()[0]!;
      const row = table.split('\n').find((line) => line.startsWith(`| \`${param}\` |`));
      expect(row, param).toBeDefined();
      expect(row).toContain(`\`${setting.variable}\``);
      if (setting.default !== undefined && param !== 'logLevel') {
        expect(row, param).toContain(`| \`${setting.default}\` |`);
      }
    }
  });

  it('refuses a param documented nowhere', () => {
    expect(() => renderServerlessParams(documentedSettings(), { somethingNew: 'x' })).toThrow(
      /somethingNew is documented nowhere/,
    );
  });
});

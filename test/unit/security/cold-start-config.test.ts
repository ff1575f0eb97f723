/**
 * A bad setting fails the function at cold start, naming the variable, before any event is handled:
 * importing either entry point with a bad environment must reject with a ConfigError. (src/config.test.ts
 * covers loadConfig itself; this covers that the entry points call it at import.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const ENTRY_POINTS = {
  aws: '../../../functions/aws/handler.ts',
  azure: '../../../functions/azure/handler.ts',
} as const;

const saved = { ...process.env };

afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

/** Imports the entry point afresh under `env`; resolves to the error it fails with, if any. */
async function coldStart(entry: keyof typeof ENTRY_POINTS, env: Record<string, string>) {
  vi.resetModules();
  Object.assign(process.env, env);
  return import(ENTRY_POINTS[entry]).then(
    () => undefined,
    (error: unknown) => error as Error & { issues?: { variable: string; message: string }[] },
  );
}

const BAD_SETTINGS: [what: string, variable: string, value: string][] = [
  [
    'a Slack URL over plain http to another host',
    'SLACK_URL',
    'http://hooks.example.com/services/T0/B0/s3cr3t',
  ],
  ['a webhook URL that is not a URL', 'SPOT_DRAINER_WEBHOOK_URL', 'hooks.example.com/s3cr3t'],
  [
    'a kubeconfig source with an unknown scheme',
    'SPOT_DRAINER_KUBECONFIG_SOURCE',
    'https://example.com/kubeconfig',
  ],
  [
    'an AKS endpoint over http',
    'SPOT_DRAINER_AKS_CLUSTERS',
    '{"mc_rg":{"server":"http://10.0.0.1","caData":"QUJD"}}',
  ],
  ['an unknown deadline policy', 'SPOT_DRAINER_DEADLINE_POLICY', 'force'],
  ['an unknown rebalance action', 'SPOT_DRAINER_REBALANCE_ACTION', 'evict'],
  ['an unknown maintenance action', 'SPOT_DRAINER_MAINTENANCE_ACTION', 'reboot'],
  ['an unknown log level', 'LOG_LEVEL', 'verbose'],
  ['an unknown instance lookup', 'SPOT_DRAINER_INSTANCE_LOOKUP', 'imds'],
  ['a negative force-delete lead', 'SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS', '-1'],
  ['a negative deadline safety margin', 'SPOT_DRAINER_DEADLINE_SAFETY_SECONDS', '-0.5'],
  ['a negative notification timeout', 'SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS', '-3'],
  ['a negative lifecycle hook timeout', 'SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS', '-60'],
  ['a negative eviction concurrency', 'SPOT_DRAINER_EVICTION_CONCURRENCY', '-5'],
];

describe.each(Object.keys(ENTRY_POINTS) as (keyof typeof ENTRY_POINTS)[])(
  'the %s entry point at cold start',
  (entry) => {
    it('starts with a good environment', async () => {
      expect(
        await coldStart(entry, { SPOT_DRAINER_DEADLINE_POLICY: 'force-delete', LOG_LEVEL: 'warn' }),
      ).toBeUndefined();
    }, 30_000);

    it.each(BAD_SETTINGS)(
      'refuses %s, naming %s',
      async (_what, variable, value) => {
        const error = await coldStart(entry, { [variable]: value });
        expect(error?.name).toBe('ConfigError');
        expect(error?.issues?.map((issue) => issue.variable)).toEqual([variable]);
        expect(error?.message).toContain(`${variable}: expected`);
        // A URL setting may be the credential itself: it is never repeated.
        expect(error?.message).not.toContain('s3cr3t');
      },
      30_000,
    );

    it('names every bad setting at once', async () => {
      const error = await coldStart(entry, {
        LOG_LEVEL: 'loud',
        SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: '-2',
      });
      expect(error?.issues?.map((issue) => issue.variable).sort()).toEqual([
        'LOG_LEVEL',
        'SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS',
      ]);
    }, 30_000);
  },
);

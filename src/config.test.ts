import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  documentedSettings,
  drainSettingsFrom,
  loadConfig,
  parseOptionsFrom,
} from './config.ts';
import { defaultDrainSettings } from './drain/settings.ts';
import { defaultParseOptions } from './events/options.ts';

const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig defaults', () => {
  it('gives the drain engine and the parsers their own defaults when nothing is set', () => {
    const config = loadConfig({});

    expect(drainSettingsFrom(config)).toEqual(defaultDrainSettings);
    expect(parseOptionsFrom(config)).toEqual(defaultParseOptions);
    expect(config).toMatchObject({ aksClusters: {}, notifyTimeoutMs: 5000, logLevel: 'info' });
    expect(config.slackUrl).toBeUndefined();
    expect(config.kubeconfigSource).toBeUndefined();
  });

  it('treats empty and blank variables as unset', () => {
    expect(
      loadConfig({ SPOT_DRAINER_EVICTION_CONCURRENCY: '', SPOT_DRAINER_DRY_RUN: '  ', SLACK_URL: '' }),
    ).toEqual(loadConfig({}));
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', SPOT_DRAINER_CACHE: '/tmp' })).toEqual(loadConfig({}));
  });

  it.each(documentedSettings().filter((setting) => setting.default !== undefined))(
    'documents the real default of $variable',
    ({ variable, default: documented }) => {
      expect(loadConfig({ [variable]: documented })).toEqual(loadConfig({}));
    },
  );
});

describe('loadConfig values', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
    [' NO ', false],
  ])('reads the boolean %j as %s', (value, expected) => {
    expect(loadConfig({ SPOT_DRAINER_DRY_RUN: value }).dryRun).toBe(expected);
  });

  it('reads every drain setting into its field, seconds as milliseconds', () => {
    const config = loadConfig({
      SPOT_DRAINER_DRY_RUN: 'yes',
      SPOT_DRAINER_DEADLINE_POLICY: 'Force-Delete',
      SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: '2.5',
      SPOT_DRAINER_EVICT_DAEMONSET_PODS: 'true',
      SPOT_DRAINER_DELETE_EMPTYDIR_DATA: 'false',
      SPOT_DRAINER_EVICTION_CONCURRENCY: '500',
      SPOT_DRAINER_EXCLUDE_FROM_LOAD_BALANCERS: '0',
      SPOT_DRAINER_WAIT_FOR_EMPTY: 'no',
      SPOT_DRAINER_POD_EVENTS: 'false',
      SPOT_DRAINER_DEADLINE_SAFETY_SECONDS: '0',
      SPOT_DRAINER_CORDON_ONLY: 'TRUE',
      SPOT_DRAINER_TAINT_NODE: 'no',
      SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: '15',
      SPOT_DRAINER_OUT_OF_SERVICE_TAINT: '1',
    });

    expect(drainSettingsFrom(config)).toEqual({
      dryRun: true,
      deadlinePolicy: 'force-delete',
      forceDeleteLeadMs: 2500,
      evictDaemonSetPods: true,
      deleteEmptyDirData: false,
      evictionConcurrency: 500,
      excludeFromLoadBalancers: false,
      waitForEmpty: false,
      podEvents: false,
      deadlineSafetyMs: 0,
      cordonOnly: true,
      taintNode: false,
      podTerminationGracePeriodSeconds: 15,
      outOfServiceTaint: true,
    });
  });

  it("takes -1 as the pod grace period override (the pod's own) and refuses 0, -2 and fractions", () => {
    expect(
      loadConfig({ SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: '-1' })
        .podTerminationGracePeriodSeconds,
    ).toBe(-1);
    expect(loadConfig({ SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: '7200' })).toMatchObject({
      podTerminationGracePeriodSeconds: 7200,
    });
    for (const value of ['0', '-2', '1.5', '7201', 'pod']) {
      expect(() => loadConfig({ SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: value }), value).toThrow(
        /SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: expected -1, or an integer from 1 to 7200/,
      );
    }
  });

  it('reads webhook headers and a proxy, refusing bad ones without repeating their values', () => {
    const config = loadConfig({
      SPOT_DRAINER_WEBHOOK_HEADERS: '{"Authorization":"Bearer hdr-secret-1","X-Team":"spot"}',
      SPOT_DRAINER_WEBHOOK_PROXY: 'http://user:proxy-secret-2@proxy.internal:3128',
    });
    expect(config.webhookHeaders).toBe('{"Authorization":"Bearer hdr-secret-1","X-Team":"spot"}');
    expect(config.webhookProxy).toBe('http://user:proxy-secret-2@proxy.internal:3128');
    expect(loadConfig({ SPOT_DRAINER_WEBHOOK_HEADERS: 'ssm:/spot/headers' }).webhookHeaders).toBe(
      'ssm:/spot/headers',
    );
    const refused = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    const cases: [Record<string, string>, RegExp][] = [
      [{ SPOT_DRAINER_WEBHOOK_HEADERS: '{"Authorization": "Bearer hdr-secret-1' }, /not valid JSON/],
      [{ SPOT_DRAINER_WEBHOOK_HEADERS: '["hdr-secret-1"]' }, /not a JSON object/],
      [
        { SPOT_DRAINER_WEBHOOK_HEADERS: '{"Bad Name":"hdr-secret-1"}' },
        /"Bad Name" is not a valid header name/,
      ],
      [{ SPOT_DRAINER_WEBHOOK_HEADERS: '{"Host":"hdr-secret-1"}' }, /"Host" is set by the HTTP client/],
      [{ SPOT_DRAINER_WEBHOOK_HEADERS: '{"X-Key":"hdr-secret-1\\r\\nX-Evil: 1"}' }, /line break/],
      [{ SPOT_DRAINER_WEBHOOK_HEADERS: '{"X-Key":"a","x-key":"hdr-secret-1"}' }, /appears twice/],
      [{ SPOT_DRAINER_WEBHOOK_HEADERS: '{"X-Key":42}' }, /is not a string/],
      [{ SPOT_DRAINER_WEBHOOK_PROXY: 'socks5://user:proxy-secret-2@proxy:1080' }, /not an http/],
      [{ SPOT_DRAINER_WEBHOOK_PROXY: 'proxy-secret-2' }, /not an http/],
    ];
    for (const [env, expected] of cases) {
      const message = refused(env);
      expect(message, JSON.stringify(env)).toMatch(expected);
      expect(message).not.toContain('hdr-secret-1');
      expect(message).not.toContain('proxy-secret-2');
    }
  });

  it('reads the parse options', () => {
    const config = loadConfig({
      SPOT_DRAINER_REBALANCE_ACTION: 'drain',
      SPOT_DRAINER_MAINTENANCE_ACTION: 'ignore',
      SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS: '900',
    });

    expect(parseOptionsFrom(config)).toEqual({
      rebalanceAction: 'drain',
      maintenanceAction: 'ignore',
      lifecycleHookTimeoutSeconds: 900,
    });
  });

  it('accepts the upper-case log levels the infrastructure writes', () => {
    expect(loadConfig({ LOG_LEVEL: 'INFO' }).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'Debug' }).logLevel).toBe('debug');
  });

  it.each([
    ['team', { key: 'team' }],
    ['spot-drainer/managed=true', { key: 'spot-drainer/managed', value: 'true' }],
    ['env = prod', { key: 'env', value: 'prod' }],
    ['owner=', { key: 'owner', value: '' }],
  ])('reads the managed tag %j', (value, expected) => {
    expect(loadConfig({ SPOT_DRAINER_MANAGED_TAG: value }).managedTag).toEqual(expected);
  });

  it.each([
    'ssm:/spot-drainer/kubeconfig',
    'secretsmanager:arn:aws:secretsmanager:eu-west-1:111122223333:secret:kubeconfig-AbCdEf',
    'keyvault:https://kv-ops.vault.azure.net/secrets/aks-kubeconfig',
    'file:./kubeconfig.yaml',
  ])('accepts the kubeconfig source %s', (source) => {
    expect(loadConfig({ SPOT_DRAINER_KUBECONFIG_SOURCE: source }).kubeconfigSource).toBe(source);
  });

  it.each([
    'https://hooks.slack.com/services/T000/B000/XXXX',
    'ssm:/spot-drainer/slack-url',
    'secretsmanager:spot-drainer/slack',
    'keyvault:https://kv-ops.vault.azure.net/secrets/slack-url',
    'http://127.0.0.1:8080/hook',
  ])('accepts the webhook URL setting %s', (url) => {
    expect(loadConfig({ SLACK_URL: url, SPOT_DRAINER_WEBHOOK_URL: url })).toMatchObject({
      slackUrl: url,
      webhookUrl: url,
    });
  });

  it('keys AKS clusters by lower-case node resource group, in both forms', () => {
    const config = loadConfig({
      SPOT_DRAINER_AKS_CLUSTERS: JSON.stringify({
        MC_rg_prod_westeurope: { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg', name: 'prod' },
        'mc_rg_edge ': { server: 'https://edge.hcp.westeurope.azmk8s.io:443', caData: 'TFMwdExTMUNSVWQ=' },
      }),
    });

    expect(config.aksClusters).toEqual({
      mc_rg_prod_westeurope: { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg', name: 'prod' },
      mc_rg_edge: { server: 'https://edge.hcp.westeurope.azmk8s.io:443', caData: 'TFMwdExTMUNSVWQ=' },
    });
  });

  it('accepts a JSON webhook template whose placeholders are quoted or numeric', () => {
    const template = '{"text": "{{summary}}", "evicted": {{evicted}}, "cordonMs": "{{cordonMs}}"}';
    expect(loadConfig({ SPOT_DRAINER_WEBHOOK_TEMPLATE: template }).webhookTemplate).toBe(template);
  });
});

describe('loadConfig errors', () => {
  it('names the variable, what it expects and what it got', () => {
    const error = configError({ SPOT_DRAINER_EVICTION_CONCURRENCY: '-3' });

    expect(error.message).toContain(
      'SPOT_DRAINER_EVICTION_CONCURRENCY: expected an integer from 1 to 500, got "-3"',
    );
    expect(error.issues).toEqual([
      {
        variable: 'SPOT_DRAINER_EVICTION_CONCURRENCY',
        message: 'SPOT_DRAINER_EVICTION_CONCURRENCY: expected an integer from 1 to 500, got "-3"',
      },
    ]);
  });

  it('lists every bad setting at once', () => {
    const error = configError({
      SPOT_DRAINER_DRY_RUN: 'maybe',
      SPOT_DRAINER_DEADLINE_POLICY: 'force',
      SPOT_DRAINER_EVICTION_CONCURRENCY: '501',
      SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: '-1',
      SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS: '10',
      SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS: '0',
      SPOT_DRAINER_CLUSTER_NAME: 'my cluster',
      LOG_LEVEL: 'verbose',
    });

    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'SPOT_DRAINER_DRY_RUN',
      'SPOT_DRAINER_DEADLINE_POLICY',
      'SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS',
      'SPOT_DRAINER_EVICTION_CONCURRENCY',
      'SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS',
      'SPOT_DRAINER_CLUSTER_NAME',
      'SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS',
      'LOG_LEVEL',
    ]);
    expect(error.message).toContain(
      'SPOT_DRAINER_DRY_RUN: expected true or false (also 1/0, yes/no), got "maybe"',
    );
    expect(error.message).toContain(
      'LOG_LEVEL: expected debug, info, warn or error (any case), got "verbose"',
    );
  });

  it.each([
    ['http://hooks.example.com/T000/B000/s3cr3t-path', /https URL/],
    ['hooks.slack.com/services/s3cr3t-path', /https URL/],
    ['ssm:', /https URL/],
  ])('refuses the webhook URL %s without repeating it', (url, message) => {
    const error = configError({ SLACK_URL: url, SPOT_DRAINER_WEBHOOK_URL: url });

    expect(error.issues.map((issue) => issue.variable)).toEqual(['SLACK_URL', 'SPOT_DRAINER_WEBHOOK_URL']);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('not shown');
    expect(error.message).not.toContain('s3cr3t');
  });

  it('explains an App Service Key Vault reference left unresolved', () => {
    const error = configError({
      SLACK_URL: '@Microsoft.KeyVault(SecretUri=https://kv-ops.vault.azure.net/secrets/slack/)',
    });

    expect(error.message).toMatch(/Key Vault reference unresolved: check that the function identity/);
  });

  it('does not repeat a kubeconfig pasted into the kubeconfig source', () => {
    const error = configError({
      SPOT_DRAINER_KUBECONFIG_SOURCE: 'apiVersion: v1\nusers:\n- user:\n    token: s3cr3t-token',
    });

    expect(error.message).toContain('SPOT_DRAINER_KUBECONFIG_SOURCE: expected ssm:<parameter>');
    expect(error.message).not.toContain('s3cr3t');
  });

  it('shortens long values it repeats', () => {
    const error = configError({ SPOT_DRAINER_DEADLINE_POLICY: 'x'.repeat(500) });
    expect(error.message.length).toBeLessThan(300);
  });

  it.each([
    ['not JSON', '{mc_rg: 1}', /not valid JSON/],
    ['an array', '[]', /not a JSON object/],
    [
      'a subscription that is not a GUID',
      JSON.stringify({ mc_rg: { subscriptionId: 'prod', resourceGroup: 'rg', name: 'c' } }),
      /"mc_rg"\.subscriptionId: must be a subscription id/,
    ],
    [
      'a misspelled key',
      JSON.stringify({ mc_rg: { subscriptionId: SUBSCRIPTION, resourcegroup: 'rg', name: 'c' } }),
      /"mc_rg"/,
    ],
    [
      'an endpoint over http',
      JSON.stringify({ mc_rg: { server: 'http://10.0.0.1', caData: 'QUJD' } }),
      /"mc_rg"\.server: must be an https URL/,
    ],
    [
      'a group named twice in different case',
      JSON.stringify({
        MC_rg: { subscriptionId: SUBSCRIPTION, resourceGroup: 'a', name: 'a' },
        mc_RG: { subscriptionId: SUBSCRIPTION, resourceGroup: 'b', name: 'b' },
      }),
      /"mc_RG" appears twice/,
    ],
  ])('refuses AKS clusters given as %s', (_case, value, message) => {
    const error = configError({ SPOT_DRAINER_AKS_CLUSTERS: value });

    expect(error.issues.map((issue) => issue.variable)).toEqual(['SPOT_DRAINER_AKS_CLUSTERS']);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['=value', /tag key must be 1 to 128 characters/],
    [`${'k'.repeat(129)}=v`, /tag key must be 1 to 128 characters/],
  ])('refuses the managed tag %j', (value, message) => {
    expect(configError({ SPOT_DRAINER_MANAGED_TAG: value }).message).toMatch(message);
  });

  it.each([
    ['an unknown placeholder', '{"text": "{{nodename}}"}', /unknown placeholder \{\{nodename\}\}/],
    ['an unquoted text placeholder', '{"text": {{node}}}', /does not render valid JSON/],
    ['an unquoted placeholder that can be empty', '{"ms": {{cordonMs}}}', /does not render valid JSON/],
  ])('refuses a webhook template with %s', (_case, template, message) => {
    expect(configError({ SPOT_DRAINER_WEBHOOK_TEMPLATE: template }).message).toMatch(message);
  });
});

describe('docs/configuration.md', () => {
  it('documents every setting', () => {
    const documented = documentedSettings();
    expect(documented.length).toBeGreaterThanOrEqual(24);
    for (const setting of documented) {
      expect(setting.description, setting.variable).not.toBe('');
      expect(
        setting.serverless ?? setting.bicep ?? setting.fromTemplate,
        `${setting.variable} is set by no infrastructure`,
      ).toBeDefined();
    }
  });

  // That the file is up to date is checked in test/unit/docs/configuration-doc.test.ts, next to the
  // generator in scripts/: src/ imports nothing from scripts/.
});

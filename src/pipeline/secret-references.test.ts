import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { allProviders } from '../providers/all.ts';
import { awsSecretReferenceProblem } from '../providers/aws/secret-reference.ts';
import { checkSecretReferences } from './secret-references.ts';

describe('awsSecretReferenceProblem', () => {
  it.each([
    ['ssm:/spot-drainer/slack', undefined],
    ['ssm:slack-url', undefined],
    ['ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/spot-drainer/slack', undefined],
    ['secretsmanager:prod/spot-drainer/kubeconfig', undefined],
    ['secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:kubeconfig-AbCdEf', undefined],
    [
      'ssm:spot-drainer/slack',
      'SSM parameter "spot-drainer/slack" has a path but does not start with "/" (hierarchical names are fully qualified)',
    ],
    ['ssm:/aws/reserved', 'SSM parameter names may not begin with "aws" or "ssm": "/aws/reserved"'],
    ['ssm:with space', '"with space" is not an SSM parameter name (letters, digits and . - _ /)'],
    ['ssm:', 'ssm: names no parameter'],
    [
      'secretsmanager:bad#name',
      '"bad#name" is not a Secrets Manager secret name or ARN (letters, digits and / _ + = . @ -)',
    ],
    ['keyvault:https://kv.vault.azure.net/secrets/x', undefined],
  ])('%s → %s', (reference, problem) => {
    expect(awsSecretReferenceProblem(reference)).toBe(problem);
  });
});

describe('checkSecretReferences (cold start)', () => {
  const [aws, azure] = allProviders(loadConfig({}), { cloudCalls: false }) as [never, never];

  it('passes plain URLs, files, unset settings and well-formed references of its own cloud', () => {
    expect(() =>
      checkSecretReferences(
        {
          SLACK_URL: 'https://hooks.slack.com/services/T0/B0/x',
          SPOT_DRAINER_KUBECONFIG_SOURCE: 'ssm:/spot-drainer/kubeconfig',
          SPOT_DRAINER_WEBHOOK_URL: undefined,
        },
        [aws],
      ),
    ).not.toThrow();
    expect(() =>
      checkSecretReferences({ SPOT_DRAINER_KUBECONFIG_SOURCE: 'file:/etc/kubeconfig' }, [azure]),
    ).not.toThrow();
  });

  it('names the setting of a malformed reference', () => {
    expect(() => checkSecretReferences({ SLACK_URL: 'ssm:team/slack' }, [aws])).toThrow(
      'SLACK_URL: SSM parameter "team/slack" has a path but does not start with "/"',
    );
    expect(() =>
      checkSecretReferences({ SPOT_DRAINER_KUBECONFIG_SOURCE: 'keyvault:https://example.com/x' }, [azure]),
    ).toThrow(
      /^SPOT_DRAINER_KUBECONFIG_SOURCE: Key Vault reference host "example.com" is not an https Key Vault/,
    );
  });

  it("refuses another cloud's store: the Azure Function cannot read ssm:", () => {
    expect(() => checkSecretReferences({ SPOT_DRAINER_WEBHOOK_URL: 'ssm:/hooks/teams' }, [azure])).toThrow(
      'SPOT_DRAINER_WEBHOOK_URL: ssm: references cannot be read by this function (it reads keyvault:)',
    );
  });
});

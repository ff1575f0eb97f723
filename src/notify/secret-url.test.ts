import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { awsSecretReader } from '../providers/aws/secret-reader.ts';
import { resolverReading } from './secret-url.fixture.ts';
import { isAcceptableWebhookUrl, isSecretReference } from './secret-url.ts';

const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXXXXXX';

describe('createSecretUrlResolver', () => {
  const ssmMock = mockClient(SSMClient);
  afterEach(() => ssmMock.reset());

  it('returns a plain URL without reading anything', async () => {
    const resolve = resolverReading({
      readAwsReference: () => Promise.reject(new Error('not expected')),
      readKeyVaultReference: () => Promise.reject(new Error('not expected')),
    });
    await expect(resolve(` ${SLACK} `)).resolves.toBe(SLACK);
  });

  it('reads an ssm: or secretsmanager: reference once, trimmed', async () => {
    const reads: string[] = [];
    const resolve = resolverReading({
      readAwsReference: async (reference) => {
        reads.push(reference);
        return `${SLACK}\n`;
      },
    });

    const [first, second] = await Promise.all([resolve('ssm:/slack'), resolve('ssm:/slack')]);
    await expect(resolve('secretsmanager:slack')).resolves.toBe(SLACK);

    expect([first, second]).toEqual([SLACK, SLACK]);
    expect(reads).toEqual(['ssm:/slack', 'secretsmanager:slack']);
  });

  it('reads a keyvault: reference from Key Vault', async () => {
    const reference = 'keyvault:https://kv-ops.vault.azure.net/secrets/slack-url';
    const resolve = resolverReading({
      readKeyVaultReference: async (ref) => (ref === reference ? SLACK : ''),
    });
    await expect(resolve(reference)).resolves.toBe(SLACK);
  });

  it('tries a failed read again next time', async () => {
    let attempts = 0;
    const resolve = resolverReading({
      readAwsReference: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('ThrottlingException');
        return SLACK;
      },
    });

    await expect(resolve('ssm:/slack')).rejects.toThrow('ThrottlingException');
    await expect(resolve('ssm:/slack')).resolves.toBe(SLACK);
  });

  it('refuses a secret that is not an https URL without quoting it', async () => {
    const resolve = resolverReading({
      readAwsReference: async () => 'http://hooks.example.com/s3cr3t',
    });

    const attempt = resolve('ssm:/slack');
    await expect(attempt).rejects.toThrow(
      'the secret named by the ssm: reference does not hold an https URL',
    );
    await expect(attempt).rejects.not.toThrow(/s3cr3t/);
  });

  it('reads SSM through the AWS secret reader the Lambda passes', async () => {
    ssmMock.on(GetParameterCommand, { Name: '/spot-drainer/slack', WithDecryption: true }).resolves({
      Parameter: { Value: SLACK },
    });
    await expect(
      resolverReading({ readAwsReference: awsSecretReader })('ssm:/spot-drainer/slack'),
    ).resolves.toBe(SLACK);
  });

  it('refuses a reference to a store the function does not read, without showing it', async () => {
    const resolve = resolverReading({ readAwsReference: awsSecretReader });
    await expect(resolve('keyvault:https://kv.vault.azure.net/secrets/slack')).rejects.toThrow(
      /keyvault: references cannot be read here/,
    );
  });
});

describe('URL setting rules', () => {
  it.each([
    ['ssm:/x', true],
    ['secretsmanager:x', true],
    ['keyvault:https://kv.vault.azure.net/secrets/x', true],
    ['ssm:', false],
    ['https://ssm:x', false],
  ])('isSecretReference(%j) is %s', (value, expected) => {
    expect(isSecretReference(value)).toBe(expected);
  });

  it.each([
    [SLACK, true],
    ['http://127.0.0.1:9000/hook', true],
    ['http://localhost/hook', true],
    ['http://[::1]:8080/hook', true],
    ['http://hooks.slack.com/services/x', false],
    ['ftp://example.com/x', false],
    ['hooks.slack.com/services/x', false],
  ])('isAcceptableWebhookUrl(%j) is %s', (value, expected) => {
    expect(isAcceptableWebhookUrl(value)).toBe(expected);
  });
});

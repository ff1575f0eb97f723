import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readKubeconfigReference } from './kubeconfig-secret.ts';

const ssmMock = mockClient(SSMClient);
const secretsManagerMock = mockClient(SecretsManagerClient);
const clients = {
  ssm: new SSMClient({ region: 'eu-west-1' }),
  secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
};
const kubeconfig = 'apiVersion: v1\nkind: Config\nclusters: []\n';

beforeEach(() => {
  ssmMock.reset();
  secretsManagerMock.reset();
});

describe('readKubeconfigReference', () => {
  it('reads an SSM parameter with decryption', async () => {
    ssmMock
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: '/spot-drainer/kubeconfig', Value: kubeconfig } });

    await expect(readKubeconfigReference('ssm:/spot-drainer/kubeconfig', clients)).resolves.toBe(kubeconfig);
    expect(ssmMock.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/spot-drainer/kubeconfig',
      WithDecryption: true,
    });
  });

  it('reads a Secrets Manager secret by ARN, colons included', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:spot-drainer/kubeconfig-AbCdEf';
    secretsManagerMock.on(GetSecretValueCommand).resolves({ SecretString: kubeconfig });

    await expect(readKubeconfigReference(`secretsmanager:${arn}`, clients)).resolves.toBe(kubeconfig);
    expect(secretsManagerMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: arn,
    });
  });

  it('refuses a secret that only has a binary value', async () => {
    secretsManagerMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    await expect(readKubeconfigReference('secretsmanager:kubeconfig', clients)).rejects.toThrow(
      /has no SecretString/,
    );
  });

  it('refuses a parameter without a value', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: '/empty' } });

    await expect(readKubeconfigReference('ssm:/empty', clients)).rejects.toThrow(
      'SSM parameter "/empty" has no value',
    );
  });

  it('names an unknown scheme without echoing the rest of the setting', async () => {
    const attempt = readKubeconfigReference('vault:secret/data/kubeconfig-with-password-hunter2', clients);

    await expect(attempt).rejects.toThrow('unknown kubeconfig reference scheme "vault:"');
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });

  it('does not echo a kubeconfig pasted into the setting by mistake', async () => {
    const pasted = 'apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: s3cr3t-token';
    const attempt = readKubeconfigReference(pasted, clients);

    await expect(attempt).rejects.toThrow('unknown kubeconfig reference scheme "apiVersion:"');
    await expect(attempt).rejects.not.toThrow(/s3cr3t/);
  });

  it('shows no scheme at all when the text before the colon does not look like one', async () => {
    const attempt = readKubeconfigReference('{"users":[{"user":{"token":"s3cr3t"}}]}', clients);

    await expect(attempt).rejects.toThrow('kubeconfig reference has no scheme');
    await expect(attempt).rejects.not.toThrow(/s3cr3t|users/);
  });

  it('refuses a reference that names nothing', async () => {
    await expect(readKubeconfigReference('ssm:', clients)).rejects.toThrow(/names no parameter/);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  it('lets SDK errors propagate', async () => {
    ssmMock
      .on(GetParameterCommand)
      .rejects(Object.assign(new Error('Parameter not found'), { name: 'ParameterNotFound' }));

    await expect(readKubeconfigReference('ssm:/missing', clients)).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });
});

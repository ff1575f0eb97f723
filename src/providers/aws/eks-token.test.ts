import { describe, expect, it, vi } from 'vitest';
import { createTestAwsIdentity, testAwsCredentials } from '../../local-cluster/authn/test-identities.ts';
import { createEksToken, EKS_TOKEN_PREFIX, eksTokenProvider } from './eks-token.ts';

const identity = createTestAwsIdentity();
const credentials = testAwsCredentials(identity);
const signedAt = new Date('2025-03-04T05:06:07.890Z');

function decodeTokenUrl(token: string): URL {
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

describe('createEksToken', () => {
  it('is k8s-aws-v1. followed by unpadded base64url', async () => {
    const { token } = await createEksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials,
      now: signedAt,
    });

    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token.slice(EKS_TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('encodes a presigned GetCallerIdentity URL on the regional STS host that signs x-k8s-aws-id', async () => {
    const { token } = await createEksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials,
      now: signedAt,
    });
    const url = decodeTokenUrl(token);
    const query = url.searchParams;

    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(query.get('Action')).toBe('GetCallerIdentity');
    expect(query.get('Version')).toBe('2011-06-15');
    expect(query.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(query.get('X-Amz-Expires')).toBe('60');
    expect(query.get('X-Amz-Date')).toBe('20250304T050607Z');
    expect(query.get('X-Amz-Credential')).toBe(`${identity.accessKeyId}/20250304/eu-west-1/sts/aws4_request`);
    expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['host', 'x-k8s-aws-id']);
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(query.has('X-Amz-Security-Token')).toBe(false);
  });

  it('carries the session token of temporary credentials', async () => {
    const { token } = await createEksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials: async () => ({ ...(await credentials()), sessionToken: 'session/token+1=' }),
      now: signedAt,
    });

    expect(decodeTokenUrl(token).searchParams.get('X-Amz-Security-Token')).toBe('session/token+1=');
  });

  it('uses the .com.cn STS host in the China partition', async () => {
    const { token } = await createEksToken({
      clusterName: 'prod',
      region: 'cn-north-1',
      credentials,
      now: signedAt,
    });

    expect(decodeTokenUrl(token).host).toBe('sts.cn-north-1.amazonaws.com.cn');
  });

  it('expires 15 minutes after the signing second', async () => {
    const { expiresAt } = await createEksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials,
      now: signedAt,
    });

    expect(expiresAt.toISOString()).toBe('2025-03-04T05:21:07.000Z');
  });

  it('expires with the credentials when they run out first', async () => {
    const credentialExpiry = new Date('2025-03-04T05:10:00.000Z');
    const { expiresAt } = await createEksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials: async () => ({ ...(await credentials()), expiration: credentialExpiry }),
      now: signedAt,
    });

    expect(expiresAt).toEqual(credentialExpiry);
  });

  it('refuses a region that could not be an STS host name', async () => {
    await expect(
      createEksToken({ clusterName: 'prod', region: 'evil.example.com/x', credentials, now: signedAt }),
    ).rejects.toThrow(/not an AWS region/);
  });
});

describe('eksTokenProvider', () => {
  it('returns the cached token until renewAfterMs has passed, then signs a new one', async () => {
    let now = new Date('2025-03-04T05:06:07Z');
    const countedCredentials = vi.fn(credentials);
    const getToken = eksTokenProvider({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials: countedCredentials,
      renewAfterMs: 30_000,
      clock: () => now,
    });

    const first = await getToken();
    now = new Date(now.getTime() + 29_000);
    const second = await getToken();
    now = new Date(now.getTime() + 1_000);
    const third = await getToken();

    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(decodeTokenUrl(third).searchParams.get('X-Amz-Date')).toBe('20250304T050637Z');
    expect(countedCredentials).toHaveBeenCalledTimes(2);
  });

  it('renews at 14 minutes by default', async () => {
    let now = new Date('2025-03-04T05:06:07Z');
    const getToken = eksTokenProvider({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials,
      clock: () => now,
    });

    const first = await getToken();
    now = new Date(now.getTime() + 14 * 60_000 - 1);
    const beforeRenewal = await getToken();
    now = new Date(now.getTime() + 1);
    const renewed = await getToken();

    expect(beforeRenewal).toBe(first);
    expect(renewed).not.toBe(first);
  });

  it('shares one signing between concurrent callers', async () => {
    const countedCredentials = vi.fn(credentials);
    const getToken = eksTokenProvider({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials: countedCredentials,
    });

    const tokens = await Promise.all([getToken(), getToken(), getToken()]);

    expect(new Set(tokens).size).toBe(1);
    expect(countedCredentials).toHaveBeenCalledTimes(1);
  });

  it('does not cache a failure', async () => {
    const flakyCredentials = vi
      .fn(credentials)
      .mockRejectedValueOnce(new Error('IMDS timeout'))
      .mockImplementation(credentials);
    const getToken = eksTokenProvider({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials: flakyCredentials,
    });

    await expect(getToken()).rejects.toThrow('IMDS timeout');
    await expect(getToken()).resolves.toMatch(/^k8s-aws-v1\./);
  });

  it('refuses a renewal period longer than the token lifetime', () => {
    expect(() =>
      eksTokenProvider({ clusterName: 'prod', region: 'eu-west-1', credentials, renewAfterMs: 16 * 60_000 }),
    ).toThrow(/renewAfterMs/);
  });
});

import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createTestAwsIdentity,
  createTestEntraIssuer,
  parseTestAwsIdentity,
  parseTestEntraIssuer,
  serializeTestAwsIdentity,
  serializeTestEntraIssuer,
  TEST_AWS_ROLE_SESSION_ARN,
  TestTokenCredential,
  testAwsCredentials,
} from '../../../src/local-cluster/authn/test-identities.ts';

describe('createTestAwsIdentity', () => {
  it('makes a fresh AKIA access key for the spot-drainer role session', () => {
    const first = createTestAwsIdentity();
    const second = createTestAwsIdentity();

    expect(first.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(first.secretAccessKey).toHaveLength(40);
    expect(first.arn).toBe('arn:aws:sts::111122223333:assumed-role/spot-drainer-lambda/spot-drainer');
    expect(first.username).toBe(TEST_AWS_ROLE_SESSION_ARN);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(second.secretAccessKey).not.toBe(first.secretAccessKey);
  });

  it('survives a trip through its JSON file', () => {
    const identity = createTestAwsIdentity({ username: 'spot-drainer', groups: ['drainers'] });

    expect(parseTestAwsIdentity(serializeTestAwsIdentity(identity))).toEqual(identity);
  });

  it('refuses a file that is not an identity', () => {
    expect(() => parseTestAwsIdentity('{"accessKeyId":"AKIA"}')).toThrow();
  });

  it('serves as an SDK credential provider', async () => {
    const identity = createTestAwsIdentity();

    await expect(testAwsCredentials(identity)()).resolves.toEqual({
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
    });
  });
});

describe('createTestEntraIssuer', () => {
  it('makes a v1 issuer for the tenant with an RS256 key pair', async () => {
    const issuer = await createTestEntraIssuer({ tenantId: 'tenant-1' });

    expect(issuer.issuer).toBe('https://sts.windows.net/tenant-1/');
    expect(issuer.publicJwk).toMatchObject({ kty: 'RSA' });
    expect(issuer.publicJwk).not.toHaveProperty('d');
    expect(issuer.privateJwk).toHaveProperty('d');
  });

  it('survives a trip through its JSON file', async () => {
    const issuer = await createTestEntraIssuer();

    expect(parseTestEntraIssuer(serializeTestEntraIssuer(issuer))).toEqual(issuer);
  });

  it('refuses a file whose private key is missing', async () => {
    const { privateJwk: _, ...withoutPrivateKey } = await createTestEntraIssuer();

    expect(() => parseTestEntraIssuer(JSON.stringify(withoutPrivateKey))).toThrow();
  });
});

describe('TestTokenCredential', () => {
  it('issues a JWT for the scope without /.default, with oid, tid and the configured lifetime', async () => {
    const issuer = await createTestEntraIssuer();
    const issuedAt = Date.parse('2025-03-04T05:06:07Z');
    const credential = new TestTokenCredential({
      issuer,
      objectId: 'oid-1',
      lifetimeMs: 10 * 60_000,
      clock: () => issuedAt,
    });

    const accessToken = await credential.getToken(['6dae42f8-4368-4678-94ff-3960e28e3630/.default']);

    expect(accessToken.expiresOnTimestamp).toBe(issuedAt + 10 * 60_000);
    expect(decodeProtectedHeader(accessToken.token)).toMatchObject({ alg: 'RS256', kid: issuer.keyId });
    expect(decodeJwt(accessToken.token)).toMatchObject({
      aud: '6dae42f8-4368-4678-94ff-3960e28e3630',
      iss: issuer.issuer,
      oid: 'oid-1',
      tid: issuer.tenantId,
      exp: issuedAt / 1000 + 600,
    });
    expect(credential.issuedCount).toBe(1);
  });

  it('refuses to issue one token for several scopes', async () => {
    const credential = new TestTokenCredential({ issuer: await createTestEntraIssuer(), objectId: 'oid-1' });

    await expect(credential.getToken(['a/.default', 'b/.default'])).rejects.toThrow(/exactly one scope/);
  });
});

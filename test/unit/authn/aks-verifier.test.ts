import { beforeAll, describe, expect, it } from 'vitest';
import { aksVerifier } from '../../../src/local-cluster/authn/aks-verifier.ts';
import {
  createTestEntraIssuer,
  type TestEntraIssuer,
  TestTokenCredential,
} from '../../../src/local-cluster/authn/test-identities.ts';
import type { TokenVerifier, VerifyResult } from '../../../src/local-cluster/authn/verifier.ts';
import {
  AKS_SERVER_APP_ID,
  AKS_SERVER_APP_SCOPE,
  aksTokenProvider,
} from '../../../src/providers/azure/aks-token.ts';

const DRAINER_OID = '3f2d1c0b-aaaa-4bbb-8ccc-000000000001';
const now = new Date('2025-03-04T05:06:07Z');
const clock = () => now.getTime();

let issuer: TestEntraIssuer;
let verifier: TokenVerifier;

beforeAll(async () => {
  issuer = await createTestEntraIssuer();
  verifier = aksVerifier({
    issuer: issuer.issuer,
    audience: AKS_SERVER_APP_ID,
    publicKey: issuer.publicJwk,
    users: [
      { objectId: DRAINER_OID, groups: ['spot-drainer:drainers'] },
      { objectId: '3f2d1c0b-aaaa-4bbb-8ccc-000000000002', username: 'ops@example.com', groups: [] },
    ],
  });
});

async function tokenFor(
  scope: string,
  options: { objectId?: string; issuedAtMs?: number; lifetimeMs?: number } = {},
) {
  const credential = new TestTokenCredential({
    issuer,
    objectId: options.objectId ?? DRAINER_OID,
    clock: () => options.issuedAtMs ?? clock(),
    ...(options.lifetimeMs ? { lifetimeMs: options.lifetimeMs } : {}),
  });
  return (await credential.getToken(scope)).token;
}

function reasonOf(result: VerifyResult | undefined): string {
  if (result?.ok !== false) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return result.reason;
}

describe('aksVerifier', () => {
  it('accepts a token for the AKS scope and names the user by object id', async () => {
    const result = await verifier.verify(await tokenFor(AKS_SERVER_APP_SCOPE), now);

    expect(result).toEqual({
      ok: true,
      user: {
        username: DRAINER_OID,
        uid: DRAINER_OID,
        groups: ['spot-drainer:drainers'],
        extra: { oid: [DRAINER_OID], tid: [issuer.tenantId] },
      },
    });
  });

  it('accepts what aksTokenProvider hands out for a TestTokenCredential', async () => {
    const getToken = aksTokenProvider(new TestTokenCredential({ issuer, objectId: DRAINER_OID }));

    const result = await verifier.verify(await getToken(), new Date());

    expect(result?.ok).toBe(true);
  });

  it('uses the configured username when there is one', async () => {
    const token = await tokenFor(AKS_SERVER_APP_SCOPE, { objectId: '3f2d1c0b-aaaa-4bbb-8ccc-000000000002' });

    const result = await verifier.verify(token, now);

    expect(result?.ok && result.user.username).toBe('ops@example.com');
  });

  it('refuses a token for Azure Resource Manager', async () => {
    const reason = reasonOf(
      await verifier.verify(await tokenFor('https://management.azure.com/.default'), now),
    );

    expect(reason).toMatch(/aud/);
  });

  it('refuses an expired token', async () => {
    const token = await tokenFor(AKS_SERVER_APP_SCOPE, {
      issuedAtMs: clock() - 2 * 60 * 60_000,
      lifetimeMs: 60 * 60_000,
    });

    expect(reasonOf(await verifier.verify(token, now))).toMatch(/exp/);
  });

  it('refuses a token that is not valid yet', async () => {
    const token = await tokenFor(AKS_SERVER_APP_SCOPE, { issuedAtMs: clock() + 10 * 60_000 });

    expect(reasonOf(await verifier.verify(token, now))).toMatch(/nbf/);
  });

  it('refuses a token signed by another key of the same tenant', async () => {
    const impostor = await createTestEntraIssuer({ tenantId: issuer.tenantId });
    const credential = new TestTokenCredential({ issuer: impostor, objectId: DRAINER_OID, clock });

    const token = (await credential.getToken(AKS_SERVER_APP_SCOPE)).token;

    expect(reasonOf(await verifier.verify(token, now))).toMatch(/signature verification failed/);
  });

  it('refuses a token from another tenant', async () => {
    const otherTenant = await createTestEntraIssuer();
    const foreignVerifier = aksVerifier({
      issuer: issuer.issuer,
      audience: AKS_SERVER_APP_ID,
      publicKey: otherTenant.publicJwk,
      users: [{ objectId: DRAINER_OID, groups: [] }],
    });
    const credential = new TestTokenCredential({ issuer: otherTenant, objectId: DRAINER_OID, clock });

    const token = (await credential.getToken(AKS_SERVER_APP_SCOPE)).token;

    expect(reasonOf(await foreignVerifier.verify(token, now))).toMatch(/iss/);
  });

  it('refuses an object id it does not know', async () => {
    const token = await tokenFor(AKS_SERVER_APP_SCOPE, { objectId: '99999999-0000-0000-0000-000000000000' });

    expect(reasonOf(await verifier.verify(token, now))).toMatch(/not a known user/);
  });

  it.each([
    ['an EKS token', 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8'],
    ['a static token', 'abcdef.0123456789abcdef'],
    ['three segments that are not a JWT', 'not.a.jwt'],
  ])('leaves %s to the next verifier', async (_case, token) => {
    await expect(verifier.verify(token, now)).resolves.toBeUndefined();
  });
});

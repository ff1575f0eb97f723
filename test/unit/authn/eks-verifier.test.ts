import { describe, expect, it } from 'vitest';
import { eksVerifier } from '../../../src/local-cluster/authn/eks-verifier.ts';
import {
  createTestAwsIdentity,
  testAwsCredentials,
} from '../../../src/local-cluster/authn/test-identities.ts';
import type { VerifyResult } from '../../../src/local-cluster/authn/verifier.ts';
import { createEksToken, EKS_TOKEN_PREFIX } from '../../../src/providers/aws/eks-token.ts';

const identity = createTestAwsIdentity({ username: 'spot-drainer', groups: ['spot-drainer:drainers'] });
const stranger = createTestAwsIdentity();
const now = new Date('2025-03-04T05:06:07Z');
const verifier = eksVerifier({ clusterName: 'prod', region: 'eu-west-1', identities: [identity] });

async function tokenFor(options: { clusterName?: string; signedAt?: Date; signer?: typeof identity } = {}) {
  const { token } = await createEksToken({
    clusterName: options.clusterName ?? 'prod',
    region: 'eu-west-1',
    credentials: testAwsCredentials(options.signer ?? identity),
    now: options.signedAt ?? now,
  });
  return token;
}

/** Decodes the token's URL, lets the test change it, and encodes it back. */
function rewriteUrl(token: string, change: (url: URL) => void): string {
  const url = new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  change(url);
  return EKS_TOKEN_PREFIX + Buffer.from(url.toString()).toString('base64url');
}

function reasonOf(result: VerifyResult | undefined): string {
  if (result?.ok !== false) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return result.reason;
}

describe('eksVerifier', () => {
  it('accepts a token from createEksToken and maps it to the identity', async () => {
    const result = await verifier.verify(await tokenFor(), now);

    expect(result).toEqual({
      ok: true,
      user: {
        username: 'spot-drainer',
        groups: ['spot-drainer:drainers'],
        extra: { arn: [identity.arn], accessKeyId: [identity.accessKeyId] },
      },
    });
  });

  it('accepts a token up to 15 minutes old', async () => {
    const result = await verifier.verify(await tokenFor(), new Date(now.getTime() + 15 * 60_000));

    expect(result?.ok).toBe(true);
  });

  it('accepts temporary credentials whose session token matches', async () => {
    const temporary = { ...createTestAwsIdentity(), sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDA+/=' };
    const withSession = eksVerifier({ clusterName: 'prod', region: 'eu-west-1', identities: [temporary] });

    const result = await withSession.verify(await tokenFor({ signer: temporary }), now);

    expect(result?.ok).toBe(true);
  });

  it('fills the EKS username placeholders from the identity', async () => {
    const templated = createTestAwsIdentity({
      arn: 'arn:aws:sts::111122223333:assumed-role/spot-drainer-lambda/drainer@eu-west-1',
      username: 'eks:{{AccountID}}:{{SessionName}}:{{SessionNameRaw}}:{{AccessKeyID}}',
    });
    const withTemplate = eksVerifier({ clusterName: 'prod', region: 'eu-west-1', identities: [templated] });

    const result = await withTemplate.verify(await tokenFor({ signer: templated }), now);

    expect(result?.ok && result.user.username).toBe(
      `eks:111122223333:drainer-eu-west-1:drainer@eu-west-1:${templated.accessKeyId}`,
    );
  });

  it('refuses to start with a placeholder it cannot fill', () => {
    const iamUser = createTestAwsIdentity({
      arn: 'arn:aws:iam::111122223333:user/ops',
      username: '{{SessionName}}',
    });

    expect(() => eksVerifier({ clusterName: 'prod', region: 'eu-west-1', identities: [iamUser] })).toThrow(
      /cannot fill \{\{SessionName\}\}/,
    );
  });

  it('leaves tokens of another format to the next verifier', async () => {
    await expect(verifier.verify('eyJhbGciOiJSUzI1NiJ9.e30.c2ln', now)).resolves.toBeUndefined();
  });

  it('refuses a token signed for another cluster', async () => {
    const reason = reasonOf(await verifier.verify(await tokenFor({ clusterName: 'staging' }), now));

    expect(reason).toMatch(/signature does not match/);
  });

  it('refuses a token signed 16 minutes ago', async () => {
    const signedAt = new Date(now.getTime() - 16 * 60_000);

    const reason = reasonOf(await verifier.verify(await tokenFor({ signedAt }), now));

    expect(reason).toMatch(/expired/);
  });

  it('refuses a token dated in the future beyond the clock skew', async () => {
    const signedAt = new Date(now.getTime() + 6 * 60_000);

    expect(reasonOf(await verifier.verify(await tokenFor({ signedAt }), now))).toMatch(/future/);
  });

  it('refuses a tampered signature', async () => {
    const tampered = rewriteUrl(await tokenFor(), (url) => {
      const signature = url.searchParams.get('X-Amz-Signature') ?? '';
      const flipped = signature.endsWith('0') ? '1' : '0';
      url.searchParams.set('X-Amz-Signature', signature.slice(0, -1) + flipped);
    });

    expect(reasonOf(await verifier.verify(tampered, now))).toMatch(/signature does not match/);
  });

  it('refuses a token signed with an unknown access key', async () => {
    const reason = reasonOf(await verifier.verify(await tokenFor({ signer: stranger }), now));

    expect(reason).toMatch(/unknown access key/);
  });

  it('refuses a URL on another host', async () => {
    const moved = rewriteUrl(await tokenFor(), (url) => {
      url.host = 'sts.attacker.example';
    });

    expect(reasonOf(await verifier.verify(moved, now))).toMatch(/unexpected host "sts\.attacker\.example"/);
  });

  it('refuses plain http', async () => {
    const insecure = rewriteUrl(await tokenFor(), (url) => {
      url.protocol = 'http:';
    });

    expect(reasonOf(await verifier.verify(insecure, now))).toMatch(/unexpected scheme http:/);
  });

  it('refuses a query parameter aws-iam-authenticator does not allow', async () => {
    const extended = rewriteUrl(await tokenFor(), (url) => {
      url.searchParams.set('Foo', 'bar');
    });

    expect(reasonOf(await verifier.verify(extended, now))).toMatch(/unexpected query parameter "Foo"/);
  });

  it('refuses an action other than GetCallerIdentity', async () => {
    const otherAction = rewriteUrl(await tokenFor(), (url) => {
      url.searchParams.set('Action', 'AssumeRole');
    });

    expect(reasonOf(await verifier.verify(otherAction, now))).toMatch(/not a GetCallerIdentity call/);
  });

  it('refuses a token that does not sign x-k8s-aws-id', async () => {
    const unsigned = rewriteUrl(await tokenFor(), (url) => {
      url.searchParams.set('X-Amz-SignedHeaders', 'host');
    });

    expect(reasonOf(await verifier.verify(unsigned, now))).toMatch(
      /x-k8s-aws-id header is not among the signed/,
    );
  });

  it('refuses an X-Amz-Expires beyond 15 minutes', async () => {
    const longLived = rewriteUrl(await tokenFor(), (url) => {
      url.searchParams.set('X-Amz-Expires', '3600');
    });

    expect(reasonOf(await verifier.verify(longLived, now))).toMatch(/X-Amz-Expires/);
  });

  it('refuses padded base64', async () => {
    expect(reasonOf(await verifier.verify(`${await tokenFor()}=`, now))).toMatch(/unpadded base64url/);
  });

  it('refuses an oversized token', async () => {
    expect(reasonOf(await verifier.verify(`${EKS_TOKEN_PREFIX}${'A'.repeat(5000)}`, now))).toMatch(
      /too large/,
    );
  });
});

/**
 * Verifies aws-iam-authenticator v1 tokens the way the EKS authenticator does, except for the last
 * step: instead of replaying the presigned URL to STS, it recomputes the SigV4 signature with the
 * secret of a known test identity. The signature is computed here from the SigV4 specification, not
 * with the SDK signer the production code uses, so a signing bug there cannot verify itself.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type AuthenticatedUser, refuse, type TokenVerifier, type VerifyResult } from './verifier.ts';

/** An AWS access key the EKS verifier knows, and the Kubernetes user its tokens authenticate as. */
export interface EksTestIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary credentials; the token must then carry the same X-Amz-Security-Token. */
  sessionToken?: string;
  arn: string;
  /**
   * May use the aws-iam-authenticator / EKS access entry placeholders {{AccountID}}, {{AccessKeyID}},
   * {{SessionName}} (with `@` made `-`) and {{SessionNameRaw}}, filled from arn and accessKeyId.
   */
  username: string;
  groups: string[];
}

/** What an EKS-style verifier checks tokens against: the cluster name, the STS region, the known keys. */
export interface EksVerifierConfig {
  clusterName: string;
  region: string;
  identities: readonly EksTestIdentity[];
}

const TOKEN_PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_LENGTH = 4096;
const URL_LIFETIME_MS = 15 * 60_000;
const MAX_EXPIRES_SECONDS = 900;
const MAX_FUTURE_SKEW_MS = 5 * 60_000;
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const GLOBAL_STS_HOST = 'sts.amazonaws.com';
const GLOBAL_STS_SIGNING_REGION = 'us-east-1';
const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');
const ALLOWED_PARAMETERS: ReadonlySet<string> = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

/** A query parameter as it appeared in the URL, decoded, with its original name. */
interface QueryParameter {
  name: string;
  value: string;
}

/** What the presigned URL claims, once its shape has been checked. */
interface PresignedCall {
  host: string;
  query: QueryParameter[];
  signedHeaderNames: string[];
  amzDate: string;
  signedAt: Date;
  scope: CredentialScope;
  sessionToken: string | undefined;
  signature: string;
}

interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
}

/**
 * A TokenVerifier for aws-iam-authenticator v1 tokens (`k8s-aws-v1.` + base64url presigned STS
 * GetCallerIdentity URL, at most 4096 characters): undefined for other tokens; a refusal with the reason
 * for a malformed URL, a URL older than 15 minutes or dated more than 5 minutes ahead, an unknown key,
 * a mismatched session token or signature (signed for another cluster name); else the identity's user
 * with `extra.arn` and `extra.accessKeyId`. Throws at creation for a username template it cannot fill.
 */
export function eksVerifier(config: EksVerifierConfig): TokenVerifier {
  const regionalHost = `sts.${config.region}.amazonaws.com`;
  const signingRegions = new Map([
    [GLOBAL_STS_HOST, GLOBAL_STS_SIGNING_REGION],
    [regionalHost, config.region],
  ]);
  const known = new Map(
    config.identities.map((identity) => [identity.accessKeyId, { identity, user: userOf(identity) }]),
  );

  return {
    name: 'eks',
    async verify(token: string, now: Date): Promise<VerifyResult | undefined> {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      if (token.length > MAX_TOKEN_LENGTH) return refuse('token is too large');

      const url = decodeTokenUrl(token.slice(TOKEN_PREFIX.length));
      if (typeof url === 'string') return refuse(url);
      const call = readPresignedCall(url, signingRegions);
      if (typeof call === 'string') return refuse(call);

      if (now.getTime() - call.signedAt.getTime() > URL_LIFETIME_MS) {
        return refuse('the token has expired: X-Amz-Date is more than 15 minutes old');
      }
      if (call.signedAt.getTime() - now.getTime() > MAX_FUTURE_SKEW_MS) {
        return refuse('X-Amz-Date is in the future');
      }

      const signer = known.get(call.scope.accessKeyId);
      if (!signer) return refuse('the token is signed with an unknown access key');
      if (!sameSecret(signer.identity.sessionToken, call.sessionToken)) {
        return refuse('X-Amz-Security-Token does not match the access key');
      }
      const expected = computeSignature(call, config.clusterName, signer.identity.secretAccessKey);
      if (!timingSafeEqual(Buffer.from(call.signature, 'hex'), Buffer.from(expected, 'hex'))) {
        return refuse(
          `the signature does not match: not signed for cluster "${config.clusterName}" with this key`,
        );
      }
      return { ok: true, user: structuredClone(signer.user) };
    },
  };
}

function decodeTokenUrl(payload: string): URL | string {
  // aws-iam-authenticator writes unpadded base64url; anything else is not its token.
  if (!/^[A-Za-z0-9_-]+$/.test(payload)) return 'the token is not unpadded base64url';
  const decoded = Buffer.from(payload, 'base64url');
  if (decoded.toString('base64url') !== payload) return 'the token is not canonical base64url';
  try {
    return new URL(decoded.toString('utf8'));
  } catch {
    return 'the token does not decode to a URL';
  }
}

/**
 * The checks aws-iam-authenticator makes before it calls STS: an https GetCallerIdentity call on an STS
 * host, only the parameters a presigned call has, and the cluster id header among the signed ones.
 * `signingRegions` maps each accepted host to the region its credential scope must name.
 */
function readPresignedCall(url: URL, signingRegions: ReadonlyMap<string, string>): PresignedCall | string {
  if (url.protocol !== 'https:') return `unexpected scheme ${url.protocol} in the presigned URL`;
  const signingRegion = signingRegions.get(url.host);
  if (signingRegion === undefined) return `unexpected host "${url.host}" in the presigned URL`;
  if (url.username || url.password || url.hash) return 'the presigned URL has user info or a fragment';
  if (url.pathname !== '/') return 'unexpected path in the presigned URL';

  const query = parseQuery(url.search);
  if (typeof query === 'string') return query;
  const param = (name: string) => query.find((p) => p.name.toLowerCase() === name)?.value ?? '';

  if (param('action') !== 'GetCallerIdentity') return 'the presigned URL is not a GetCallerIdentity call';
  if (param('version') !== '2011-06-15') return 'unexpected STS API version in the presigned URL';
  if (param('x-amz-algorithm') !== ALGORITHM) return `the presigned URL is not signed with ${ALGORITHM}`;

  const signedHeaderNames = param('x-amz-signedheaders').split(';');
  const missingHeader = ['host', CLUSTER_ID_HEADER].find((name) => !signedHeaderNames.includes(name));
  if (missingHeader !== undefined) return `the ${missingHeader} header is not among the signed headers`;
  // The API server replays only host and the cluster id; no other signed header could be reproduced.
  const otherHeader = signedHeaderNames.find((name) => name !== 'host' && name !== CLUSTER_ID_HEADER);
  if (otherHeader !== undefined) return `the presigned URL signs an unexpected header "${otherHeader}"`;

  const expires = param('x-amz-expires');
  if (!/^\d{1,4}$/.test(expires) || Number(expires) > MAX_EXPIRES_SECONDS) {
    return `X-Amz-Expires must be 0..${MAX_EXPIRES_SECONDS} seconds`;
  }
  const amzDate = param('x-amz-date');
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return 'X-Amz-Date is missing or malformed';

  const scope = parseCredentialScope(param('x-amz-credential'));
  if (scope === undefined) return 'X-Amz-Credential is malformed';
  if (scope.date !== amzDate.slice(0, 8)) return 'the credential scope date differs from X-Amz-Date';
  if (scope.region !== signingRegion) return `the credential scope region is not ${signingRegion}`;
  if (scope.service !== 'sts' || scope.terminator !== 'aws4_request')
    return 'the credential scope is not for sts';

  const signature = param('x-amz-signature');
  if (!/^[0-9a-f]{64}$/.test(signature)) return 'X-Amz-Signature is missing or malformed';
  const sessionToken = param('x-amz-security-token') || undefined;
  return { host: url.host, query, signedHeaderNames, amzDate, signedAt, scope, sessionToken, signature };
}

function parseQuery(search: string): QueryParameter[] | string {
  if (search === '' || search === '?') return 'the presigned URL has no query';
  const seen = new Set<string>();
  const parameters: QueryParameter[] = [];
  for (const [name, value] of new URLSearchParams(search)) {
    const lower = name.toLowerCase();
    if (!ALLOWED_PARAMETERS.has(lower)) return `unexpected query parameter "${name.slice(0, 40)}"`;
    if (seen.has(lower)) return `query parameter "${name}" appears more than once`;
    seen.add(lower);
    parameters.push({ name, value });
  }
  return parameters;
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 20240231 over to March; a real timestamp survives the round trip.
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '') === text ? date : undefined;
}

function parseCredentialScope(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) return undefined;
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

function sameSecret(expected: string | undefined, presented: string | undefined): boolean {
  if (expected === undefined || presented === undefined) return expected === presented;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** SigV4 of the presigned GET, with the header values the API server sends along: host and cluster name. */
function computeSignature(call: PresignedCall, clusterName: string, secretAccessKey: string): string {
  const headerValue = (name: string) => (name === 'host' ? call.host : clusterName);
  // Names are unique (checked while parsing), so ordering by encoded name alone is canonical.
  const canonicalQuery = call.query
    .filter((p) => p.name.toLowerCase() !== 'x-amz-signature')
    .map((p) => [uriEncode(p.name), uriEncode(p.value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = call.signedHeaderNames
    .map((name) => `${name}:${headerValue(name).trim()}\n`)
    .join('');
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    canonicalHeaders,
    call.signedHeaderNames.join(';'),
    EMPTY_PAYLOAD_SHA256,
  ].join('\n');

  const { date, region, service, terminator } = call.scope;
  const scopeParts = [date, region, service, terminator];
  const stringToSign = [
    ALGORITHM,
    call.amzDate,
    scopeParts.join('/'),
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');

  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`);
  for (const part of scopeParts) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 percent-encoding, as SigV4 canonicalisation requires. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Built when the verifier is created, so a bad username template fails the control plane's start-up. */
function userOf(identity: EksTestIdentity): AuthenticatedUser {
  return {
    username: renderUsername(identity),
    groups: [...identity.groups],
    extra: { arn: [identity.arn], accessKeyId: [identity.accessKeyId] },
  };
}

function renderUsername({ username, arn, accessKeyId }: EksTestIdentity): string {
  // arn:aws:sts::<account>:assumed-role/<role>/<session>
  const [, , service, , accountId, resource = ''] = arn.split(':');
  const assumedRole = /^assumed-role\/[^/]+\/(.+)$/.exec(resource);
  const sessionName = service === 'sts' ? assumedRole?.[1] : undefined;
  const values: Record<string, string | undefined> = {
    AccountID: accountId,
    AccessKeyID: accessKeyId,
    SessionName: sessionName?.replaceAll('@', '-'),
    SessionNameRaw: sessionName,
  };
  return username.replace(/\{\{(\w+)\}\}/g, (_placeholder, name: string) => {
    const value = values[name];
    if (!value) {
      throw new Error(`EKS test identity ${arn}: cannot fill {{${name}}} in username "${username}"`);
    }
    return value;
  });
}

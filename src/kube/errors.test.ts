import { describe, expect, it } from 'vitest';
import { admissionDenial, classifyError, describeApiError, type ErrorClass, mayPassLater } from './errors.ts';

/** An ApiException as @kubernetes/client-node throws it. */
const api = (code: number, body: unknown = '', headers: Record<string, string> = {}) => ({
  code,
  body,
  headers,
});
const network = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
const named = (name: string) => Object.assign(new Error(name), { name });
const failedTest = JSON.stringify({
  kind: 'Status',
  status: 'Failure',
  message: 'the server rejected our request due to an error in our request',
  reason: 'Invalid',
  details: {},
  code: 422,
});
const invalid = JSON.stringify({
  kind: 'Status',
  message: 'Node "n" is invalid: metadata.taints[0].effect: Unsupported value: "Bogus"',
  reason: 'Invalid',
  details: { name: 'n', kind: 'Node', causes: [{ reason: 'FieldValueNotSupported', field: 'spec.taints' }] },
  code: 422,
});

/** kube-apiserver v1.33's answer to a node patch a ValidatingAdmissionPolicy denies (reason Invalid). */
const policyDenial = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message:
    "nodes \"n\" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: node taints may not be changed",
  reason: 'Invalid',
  details: {
    name: 'n',
    kind: 'nodes',
    causes: [
      {
        message:
          "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: node taints may not be changed",
      },
    ],
  },
  code: 422,
});

describe('admissionDenial', () => {
  it("gives a policy's denial with its message", () => {
    expect(admissionDenial(api(422, policyDenial))).toBe(
      "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: node taints may not be changed",
    );
    expect(
      admissionDenial(api(400, { message: 'admission webhook "v.example.com" denied the request: no' })),
    ).toMatch(/denied the request: no/);
  });

  it('is undefined for a failed JSON Patch test, a validation error and network failures', () => {
    expect(admissionDenial(api(422, failedTest))).toBeUndefined();
    expect(admissionDenial(api(422, invalid))).toBeUndefined();
    expect(admissionDenial(network('ECONNRESET'))).toBeUndefined();
  });
});

describe('classifyError', () => {
  const table: [string, unknown, ErrorClass][] = [
    ['500', api(500), 'transient'],
    ['502', api(502), 'transient'],
    ['503', api(503), 'transient'],
    ['504', api(504), 'transient'],
    ['429 (API Priority and Fairness)', api(429, '{"message":"Too many requests"}'), 'throttled'],
    [
      '429 (PodDisruptionBudget)',
      api(429, '{"message":"Cannot evict pod as it would violate the pod\'s disruption budget."}'),
      'throttled',
    ],
    ['401', api(401), 'forbidden-for-now'],
    ['403', api(403), 'forbidden-for-now'],
    ['404', api(404), 'gone'],
    ['410', api(410), 'gone'],
    ['409', api(409), 'conflict'],
    ['422 failed JSON Patch test', api(422, failedTest), 'conflict'],
    ['422 "test failed" text', api(422, 'testing value /spec/taints failed: test failed'), 'conflict'],
    ['422 validation error', api(422, invalid), 'permanent'],
    ['422 admission policy denial (not a failed test)', api(422, policyDenial), 'permanent'],
    ['400', api(400), 'permanent'],
    ['405', api(405), 'permanent'],
    ['ECONNRESET', network('ECONNRESET'), 'transient'],
    ['ECONNREFUSED', network('ECONNREFUSED'), 'transient'],
    ['EPIPE', network('EPIPE'), 'transient'],
    ['ETIMEDOUT', network('ETIMEDOUT'), 'transient'],
    ['EAI_AGAIN', network('EAI_AGAIN'), 'transient'],
    ['UND_ERR_SOCKET', network('UND_ERR_SOCKET'), 'transient'],
    ['UND_ERR_HEADERS_TIMEOUT', network('UND_ERR_HEADERS_TIMEOUT'), 'transient'],
    ['any other UND_ERR_', network('UND_ERR_RESPONSE_STATUS_CODE'), 'transient'],
    [
      'a code in the cause chain',
      Object.assign(new TypeError('fetch failed'), { cause: network('ECONNRESET') }),
      'transient',
    ],
    ['fetch failed', new TypeError('fetch failed'), 'transient'],
    ['AbortError', named('AbortError'), 'transient'],
    ['TimeoutError', named('TimeoutError'), 'transient'],
    ['ENOTFOUND', network('ENOTFOUND'), 'permanent'],
    ['CERT_HAS_EXPIRED', network('CERT_HAS_EXPIRED'), 'permanent'],
    ['a plain Error', new Error('boom'), 'permanent'],
    ['a string', 'boom', 'permanent'],
    ['undefined', undefined, 'permanent'],
  ];
  it.each(table)('%s → %s', (_label, error, expected) => {
    expect(classifyError(error).class).toBe(expected);
  });

  it('reads status, Retry-After (seconds or HTTP date, in ms) and the Status message', () => {
    expect(classifyError(api(429, '{"message":"slow down"}', { 'retry-after': '2' }))).toEqual({
      class: 'throttled',
      status: 429,
      retryAfterMs: 2000,
      message: 'slow down',
    });
    const later = new Date(Date.now() + 60_000).toUTCString();
    const { retryAfterMs } = classifyError(api(503, '', { 'Retry-After': later }));
    expect(retryAfterMs).toBeGreaterThan(50_000);
    expect(classifyError(network('ECONNRESET'))).toEqual({
      class: 'transient',
      message: 'ECONNRESET: connect ECONNRESET',
    });
  });

  it('redacts bearer tokens a proxy quotes in its message', () => {
    const token = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5';
    const { message } = classifyError(api(502, `upstream refused Authorization: Bearer ${token}`));
    expect(message).not.toContain(token);
    expect(describeApiError(api(502, `Authorization: Bearer ${token}`)).message).not.toContain(token);
  });

  it('says which failures another invocation could pass', () => {
    expect(mayPassLater(api(503))).toBe(true);
    expect(mayPassLater(api(429))).toBe(true);
    expect(mayPassLater(api(403))).toBe(true);
    expect(mayPassLater(api(401))).toBe(true);
    expect(mayPassLater(network('ECONNRESET'))).toBe(true);
    expect(mayPassLater(api(404))).toBe(false);
    expect(mayPassLater(api(409))).toBe(false);
    expect(mayPassLater(api(422, invalid))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { ErrorClass } from '../../kube/errors.ts';
import { awsMayPassLater, classifyAwsError } from './errors.ts';

const network = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
const named = (name: string) => Object.assign(new Error(name), { name });
/** An AWS SDK v3 service error. */
const sdk = (name: string, status?: number, retryable?: unknown) =>
  Object.assign(new Error(name), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    ...(retryable === undefined ? {} : { $retryable: retryable }),
  });

describe('classifyAwsError', () => {
  const table: [string, unknown, ErrorClass][] = [
    ['$retryable', sdk('InternalError', 500, {}), 'transient'],
    ['$retryable throttling', sdk('SlowDown', 503, { throttling: true }), 'throttled'],
    ['ThrottlingException (400)', sdk('ThrottlingException', 400), 'throttled'],
    ['RequestLimitExceeded', sdk('RequestLimitExceeded', 503), 'throttled'],
    ['TooManyRequestsException', sdk('TooManyRequestsException', 429), 'throttled'],
    ['ServiceUnavailable', sdk('ServiceUnavailable'), 'transient'],
    ['HTTP 429', sdk('SomethingElse', 429), 'throttled'],
    ['HTTP 500', sdk('InternalFailure', 500), 'transient'],
    ['HTTP 503', sdk('Unavailable', 503), 'transient'],
    ['AccessDeniedException (403)', sdk('AccessDeniedException', 403), 'forbidden-for-now'],
    ['ResourceNotFoundException (404)', sdk('ResourceNotFoundException', 404), 'gone'],
    ['ValidationError (400)', sdk('ValidationError', 400), 'permanent'],
    ['InvalidInstanceID.NotFound (400)', sdk('InvalidInstanceID.NotFound', 400), 'permanent'],
    ['network failure without metadata', network('ECONNRESET'), 'transient'],
    ['TimeoutError without metadata', named('TimeoutError'), 'transient'],
    ['unknown failure', new Error('boom'), 'permanent'],
  ];
  it.each(table)('%s → %s', (_label, error, expected) => {
    expect(classifyAwsError(error).class).toBe(expected);
  });

  it('keeps the status and message, and retries only transient and throttled failures', () => {
    expect(classifyAwsError(sdk('ThrottlingException', 400))).toMatchObject({
      status: 400,
      message: 'ThrottlingException',
    });
    expect(awsMayPassLater(sdk('ThrottlingException', 400))).toBe(true);
    expect(awsMayPassLater(sdk('InternalFailure', 500))).toBe(true);
    expect(awsMayPassLater(network('ETIMEDOUT'))).toBe(true);
    // IAM changes propagate: thrown for a retry, and the dead-letter queue if it never settles.
    expect(awsMayPassLater(sdk('AccessDeniedException', 403))).toBe(true);
    expect(awsMayPassLater(sdk('ValidationError', 400))).toBe(false);
  });
});

import {
  classifyError,
  classifyHttpStatus,
  type ErrorClassification,
  MAY_PASS_LATER,
} from '../../kube/errors.ts';

interface SdkError {
  name?: string;
  $retryable?: { throttling?: boolean } | unknown;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING_NAMES = /Throttl|RequestLimitExceeded|TooManyRequests/;

/**
 * Classifies an AWS SDK v3 error into the classes of `classifyError` (src/kube/errors.ts), once the SDK's
 * own retries are spent: `$retryable` (the service marked it retryable; `throttling: true` → `throttled`),
 * a throttling error name (ThrottlingException, RequestLimitExceeded, TooManyRequestsException; some
 * services answer those with 400), then `$metadata.httpStatusCode` through the shared HTTP table, and
 * otherwise network failures as `classifyError` sees them. The message is `classifyError`'s (redacted).
 * Never throws.
 */
export function classifyAwsError(error: unknown): ErrorClassification {
  const sdk = (error ?? {}) as SdkError;
  const base = classifyError(error);
  const status = sdk.$metadata?.httpStatusCode;
  const withStatus = status === undefined ? base : { ...base, status };
  if (sdk.$retryable) {
    const throttling = (sdk.$retryable as { throttling?: boolean }).throttling === true;
    return { ...withStatus, class: throttling ? 'throttled' : 'transient' };
  }
  if (typeof sdk.name === 'string' && THROTTLING_NAMES.test(sdk.name))
    return { ...withStatus, class: 'throttled' };
  if (typeof sdk.name === 'string' && /ServiceUnavailable/.test(sdk.name))
    return { ...withStatus, class: 'transient' };
  if (status !== undefined) return { ...withStatus, class: classifyHttpStatus(status) };
  return base;
}

/**
 * Whether a failed AWS call may succeed on a later delivery: throttling, server and network errors that
 * outlasted the SDK's own retries, and 401/403, which settle once IAM changes propagate (new roles and
 * access entries take seconds). One that never settles ends in the on-failure destination, with its
 * alarm, instead of being acknowledged.
 */
export function awsMayPassLater(error: unknown): boolean {
  return MAY_PASS_LATER.has(classifyAwsError(error).class);
}

import { classifyError, classifyHttpStatus, type ErrorClassification } from '../../kube/errors.ts';

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
 * Whether an AWS call is worth another invocation: throttling, server errors and network failures that
 * outlasted the SDK's own retries (`classifyAwsError` says `transient` or `throttled`). Unlike
 * `mayPassLater`, an AWS 401/403 is believed at once.
 */
export function isRetryableAwsError(error: unknown): boolean {
  const { class: kind } = classifyAwsError(error);
  return kind === 'transient' || kind === 'throttled';
}

import { isTransient } from '../../kube/errors.ts';

interface SdkError {
  name?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Throttling, server errors and network failures that outlasted the SDK's own retries. */
export function isRetryableAwsError(error: unknown): boolean {
  const sdk = error as SdkError;
  if (sdk?.$retryable) return true;
  const status = sdk?.$metadata?.httpStatusCode;
  if (status !== undefined) return status === 429 || status >= 500;
  if (typeof sdk?.name === 'string' && /Throttl|RequestLimitExceeded|ServiceUnavailable/.test(sdk.name))
    return true;
  return isTransient(error);
}

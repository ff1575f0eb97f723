/** Azure SDK errors (ARM, Entra, Key Vault) in the shared classes of src/kube/errors.ts. */
import { classifyError, classifyHttpStatus, type ErrorClassification } from '../../kube/errors.ts';

/**
 * Classifies an Azure SDK error: `RestError` carries the HTTP status as `statusCode` (408 request timeout
 * counts as transient); anything else (network failures, credential errors) as the shared classifier
 * says.
 */
export function classifyAzureError(error: unknown): ErrorClassification {
  const base = classifyError(error);
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== 'number') return base;
  return { ...base, status, class: status === 408 ? 'transient' : classifyHttpStatus(status) };
}

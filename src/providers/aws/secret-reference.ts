/**
 * The shape of `ssm:` and `secretsmanager:` references, checked at cold start so a misspelt name fails
 * the deployment's first invocation with the setting's name instead of every notification or drain.
 * Names as the services define them: SSM parameter names
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html)
 * and Secrets Manager secret names (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
 */

const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/;
const SSM_NAME = /^[A-Za-z0-9_.\-/]{1,2048}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Why an SSM parameter reference (after `ssm:`) is not one, or undefined when it is well formed. */
function ssmProblem(name: string): string | undefined {
  if (SSM_ARN.test(name)) return undefined;
  if (!SSM_NAME.test(name)) return `"${name}" is not an SSM parameter name (letters, digits and . - _ /)`;
  if (name.includes('/') && !name.startsWith('/')) {
    return `SSM parameter "${name}" has a path but does not start with "/" (hierarchical names are fully qualified)`;
  }
  if (/^\/?(aws|ssm)/i.test(name)) return `SSM parameter names may not begin with "aws" or "ssm": "${name}"`;
  return undefined;
}

/**
 * Why `reference` is not a usable `ssm:` or `secretsmanager:` reference; undefined when it is, or when it
 * is another scheme's. Pure.
 */
export function awsSecretReferenceProblem(reference: string): string | undefined {
  const separator = reference.indexOf(':');
  const scheme = reference.slice(0, separator);
  const name = reference.slice(separator + 1).trim();
  if (scheme === 'ssm') return name ? ssmProblem(name) : 'ssm: names no parameter';
  if (scheme === 'secretsmanager') {
    if (!name) return 'secretsmanager: names no secret';
    return SECRET_ARN.test(name) || SECRET_NAME.test(name)
      ? undefined
      : `"${name}" is not a Secrets Manager secret name or ARN (letters, digits and / _ + = . @ -)`;
  }
  return undefined;
}

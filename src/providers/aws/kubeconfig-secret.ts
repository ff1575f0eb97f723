/**
 * Reads a kubeconfig kept in SSM Parameter Store or Secrets Manager, for clusters that are not EKS or
 * that the Lambda reaches with credentials other than its role.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * SDK clients for readKubeconfigReference; each defaults to one client per process in the Lambda's region.
 */
export interface KubeconfigSecretClients {
  ssm?: SSMClient;
  secretsManager?: SecretsManagerClient;
}

const SSM_SCHEME = 'ssm';
const SECRETS_MANAGER_SCHEME = 'secretsmanager';
const SCHEME_PATTERN = /^[a-z][a-z0-9+.-]{0,31}$/i;

let defaultSsm: SSMClient | undefined;
let defaultSecretsManager: SecretsManagerClient | undefined;

/**
 * `ssm:<parameter-name-or-arn>` or `secretsmanager:<secret-id-or-arn>` → the kubeconfig YAML text.
 * Errors name the reference, never the value read.
 */
export async function readKubeconfigReference(
  ref: string,
  clients: KubeconfigSecretClients = {},
): Promise<string> {
  const separator = ref.indexOf(':');
  const scheme = separator > 0 ? ref.slice(0, separator) : '';
  const name = ref.slice(separator + 1).trim();

  if (scheme === SSM_SCHEME && name) {
    const ssm = clients.ssm ?? defaultSsmClient();
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return nonEmpty(Parameter?.Value, `SSM parameter "${name}" has no value`);
  }
  if (scheme === SECRETS_MANAGER_SCHEME && name) {
    const secretsManager = clients.secretsManager ?? defaultSecretsManagerClient();
    const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: name }));
    return nonEmpty(
      SecretString,
      `Secrets Manager secret "${name}" has no SecretString (binary secrets are not supported)`,
    );
  }
  throw new Error(describeBadReference(scheme));
}

function describeBadReference(scheme: string): string {
  const expected = `expected "${SSM_SCHEME}:<parameter-name>" or "${SECRETS_MANAGER_SCHEME}:<secret-id>"`;
  if (scheme === SSM_SCHEME || scheme === SECRETS_MANAGER_SCHEME) {
    return `kubeconfig reference "${scheme}:" names no ${scheme === SSM_SCHEME ? 'parameter' : 'secret'}; ${expected}`;
  }
  // The setting may hold a pasted kubeconfig or credential by mistake: show the scheme only, and only
  // when it looks like one.
  if (SCHEME_PATTERN.test(scheme)) return `unknown kubeconfig reference scheme "${scheme}:"; ${expected}`;
  return `kubeconfig reference has no scheme; ${expected}`;
}

function defaultSsmClient(): SSMClient {
  defaultSsm ??= new SSMClient({});
  return defaultSsm;
}

function defaultSecretsManagerClient(): SecretsManagerClient {
  defaultSecretsManager ??= new SecretsManagerClient({});
  return defaultSecretsManager;
}

function nonEmpty(value: string | undefined, message: string): string {
  if (!value) throw new Error(message);
  return value;
}

/**
 * Webhook URL settings (SLACK_URL, SPOT_DRAINER_WEBHOOK_URL). The URL itself is the credential, so a
 * setting may name where it is kept instead: `ssm:<parameter>`, `secretsmanager:<secret-id>` or
 * `keyvault:https://<vault>.vault.azure.net/secrets/<name>`. Nothing here puts a URL in an error message.
 */

const SECRET_REFERENCE_PREFIXES = ['ssm:', 'secretsmanager:', 'keyvault:'] as const;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export type SecretUrlResolver = (setting: string) => Promise<string>;

export interface SecretUrlResolverDeps {
  /** Reads `ssm:` and `secretsmanager:` references. Defaults to readKubeconfigReference. */
  readAwsReference?: (reference: string) => Promise<string>;
  /** Reads `keyvault:` references. Defaults to readKeyVaultKubeconfig. */
  readKeyVaultReference?: (reference: string) => Promise<string>;
}

/** `ssm:`, `secretsmanager:` or `keyvault:` followed by something. */
export function isSecretReference(value: string): boolean {
  return SECRET_REFERENCE_PREFIXES.some((prefix) => value.startsWith(prefix) && value.length > prefix.length);
}

/** An https URL; plain http only to this machine (a local receiver when replaying events). */
export function isAcceptableWebhookUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * A resolver with its own cache: each reference is read once per cold start (a failed read is tried
 * again next time). Plain URLs are returned as they are.
 */
export function createSecretUrlResolver(deps: SecretUrlResolverDeps = {}): SecretUrlResolver {
  const cache = new Map<string, Promise<string>>();
  return (setting) => {
    const value = setting.trim();
    if (!isSecretReference(value)) return Promise.resolve(checkedUrl(value, 'the setting'));

    const cached = cache.get(value);
    if (cached) return cached;
    const lookup = readReference(value, deps);
    cache.set(value, lookup);
    lookup.catch(() => {
      if (cache.get(value) === lookup) cache.delete(value);
    });
    return lookup;
  };
}

/** The process-wide resolver the notifier uses by default. */
export const resolveSecretUrl: SecretUrlResolver = createSecretUrlResolver();

async function readReference(reference: string, deps: SecretUrlResolverDeps): Promise<string> {
  const scheme = reference.slice(0, reference.indexOf(':') + 1);
  const text = scheme === 'keyvault:' ? await readKeyVault(reference, deps) : await readAws(reference, deps);
  return checkedUrl(text.trim(), `the secret named by the ${scheme} reference`);
}

// Loaded on first use: the Lambda bundle never evaluates the Azure SDK, nor the Function the AWS SDK.
async function readAws(reference: string, deps: SecretUrlResolverDeps): Promise<string> {
  if (deps.readAwsReference) return deps.readAwsReference(reference);
  const { readKubeconfigReference } = await import('../cloud/aws/kubeconfig-secret.ts');
  return readKubeconfigReference(reference);
}

async function readKeyVault(reference: string, deps: SecretUrlResolverDeps): Promise<string> {
  if (deps.readKeyVaultReference) return deps.readKeyVaultReference(reference);
  const { readKeyVaultKubeconfig } = await import('../cloud/azure/keyvault-kubeconfig.ts');
  return readKeyVaultKubeconfig(reference);
}

function checkedUrl(value: string, source: string): string {
  if (!isAcceptableWebhookUrl(value)) {
    throw new Error(`${source} does not hold an https URL (value not shown: it is a credential)`);
  }
  return value;
}

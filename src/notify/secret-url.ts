/**
 * Webhook URL settings (SLACK_URL, SPOT_DRAINER_WEBHOOK_URL). The URL itself is the credential, so a
 * setting may name where it is kept instead: `ssm:<parameter>`, `secretsmanager:<secret-id>` or
 * `keyvault:https://<vault>.vault.azure.net/secrets/<name>`. Nothing here puts a URL in an error message.
 */
import { readerFor, type SecretReader } from '../cloud/secret-readers.ts';

const SECRET_REFERENCE_PREFIXES = ['ssm:', 'secretsmanager:', 'keyvault:'] as const;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export type SecretUrlResolver = (setting: string) => Promise<string>;

export interface SecretUrlResolverDeps {
  /** Reads `ssm:` and `secretsmanager:` references (the Lambda passes awsSecretReader). */
  readAwsReference?: SecretReader;
  /** Reads `keyvault:` references (the Azure Function passes keyVaultSecretReader). */
  readKeyVaultReference?: SecretReader;
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
/** Plain URLs only; entry points pass their cloud's secret store to createSecretUrlResolver. */
export const resolveSecretUrl: SecretUrlResolver = createSecretUrlResolver();

async function readReference(reference: string, deps: SecretUrlResolverDeps): Promise<string> {
  const scheme = reference.slice(0, reference.indexOf(':') + 1);
  const read = readerFor(reference, { aws: deps.readAwsReference, keyVault: deps.readKeyVaultReference });
  return checkedUrl((await read(reference)).trim(), `the secret named by the ${scheme} reference`);
}

function checkedUrl(value: string, source: string): string {
  if (!isAcceptableWebhookUrl(value)) {
    throw new Error(`${source} does not hold an https URL (value not shown: it is a credential)`);
  }
  return value;
}

/**
 * Webhook URL settings (SLACK_URL, SPOT_DRAINER_WEBHOOK_URL). The URL itself is the credential, so a
 * setting may name where it is kept instead: `ssm:<parameter>`, `secretsmanager:<secret-id>` or
 * `keyvault:https://<vault>.vault.azure.net/secrets/<name>`. Nothing here puts a URL in an error message.
 */
import { createAsyncCache } from '../async-cache.ts';
import { readerFor, type SecretReaders, secretScheme } from '../secrets.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Turns a URL setting into the URL: a plain URL as it is, a secret reference read from its store. Fails
 * when the value is not an https URL or a loopback http URL (a plain URL throws at the call; a reference
 * rejects, as it does when it cannot be read); the message never contains the value.
 */
export type SecretUrlResolver = (setting: string) => Promise<string>;

/** What a resolver may read secrets with; without readers, any secret reference is rejected. */
export interface SecretUrlResolverDeps {
  /** Readers by scheme; an entry point passes its cloud provider's `secretReaders`. */
  readers?: SecretReaders;
}

/** `<scheme>:<what>` for a scheme other than http, https or file (`ssm:/x`, `keyvault:https://…`). */
export function isSecretReference(value: string): boolean {
  return secretScheme(value) !== undefined;
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
  const cache = createAsyncCache<string>();
  return (setting) => {
    const value = setting.trim();
    // A bad plain URL rejects, as a failed read does: callers await one promise either way.
    if (!isSecretReference(value)) return Promise.resolve().then(() => checkedUrl(value, 'the setting'));

    return cache.get(value, () => readReference(value, deps));
  };
}

/**
 * Turns a setting that may name a secret into its text: a reference is read from its store (once per cold
 * start, as for URLs), anything else is the text itself. Rejects when a reference cannot be read; the
 * message never contains the value.
 */
export type SecretTextResolver = (setting: string) => Promise<string>;

/** A SecretTextResolver with its own cache, reading references with `deps.readers`. */
export function createSecretTextResolver(deps: SecretUrlResolverDeps = {}): SecretTextResolver {
  const cache = createAsyncCache<string>();
  return (setting) => {
    const value = setting.trim();
    if (!isSecretReference(value)) return Promise.resolve(value);
    return cache.get(value, async () => (await readerFor(value, deps.readers ?? {})(value)).trim());
  };
}

/** The notifier's default: plain text only; entry points pass their cloud's secret stores. */
export const resolveSecretText: SecretTextResolver = createSecretTextResolver();

/** The notifier's default: plain URLs only; entry points pass their cloud's secret stores to createSecretUrlResolver. */
export const resolveSecretUrl: SecretUrlResolver = createSecretUrlResolver();

async function readReference(reference: string, deps: SecretUrlResolverDeps): Promise<string> {
  const scheme = reference.slice(0, reference.indexOf(':') + 1);
  const read = readerFor(reference, deps.readers ?? {});
  return checkedUrl((await read(reference)).trim(), `the secret named by the ${scheme} reference`);
}

function checkedUrl(value: string, source: string): string {
  if (!isAcceptableWebhookUrl(value)) {
    throw new Error(`${source} does not hold an https URL (value not shown: it is a credential)`);
  }
  return value;
}

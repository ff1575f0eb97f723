/** Reads a kubeconfig kept as a Key Vault secret, for clusters the Function reaches without Entra tokens. */
import type { TokenCredential } from '@azure/core-auth';
import { defaultAzureCredential } from './aks-token.ts';

/**
 * A Key Vault secret identifier split up
 * (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers);
 * no `version` means the latest.
 */
export interface KeyVaultSecretRef {
  /** `https://<vault>.vault.azure.net` */
  vaultUrl: string;
  secretName: string;
  version?: string;
}

/** The part of SecretClient this module calls. */
export interface SecretReader {
  getSecret(name: string, options?: { version?: string }): Promise<{ value?: string }>;
}

/** Replaceable dependencies of readKeyVaultKubeconfig; the Function passes none, tests pass fakes. */
export interface KeyVaultKubeconfigDeps {
  /** Defaults to defaultAzureCredential(). */
  credential?: TokenCredential;
  /** Defaults to a SecretClient of @azure/keyvault-secrets. */
  createClient?: (vaultUrl: string, credential: TokenCredential) => SecretReader | Promise<SecretReader>;
}

const SCHEME = 'keyvault:';
const VAULT_HOST_SUFFIXES = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net'] as const;
const VAULT_NAME_PATTERN = /^[a-z0-9-]{3,24}$/i;
const SECRET_NAME_PATTERN = /^[0-9a-z-]{1,127}$/i;
const SECRET_VERSION_PATTERN = /^[0-9a-f]{32}$/i;
const EXPECTED_FORM = 'expected keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>]';

let sharedCredential: TokenCredential | undefined;

/** `keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>]` → the kubeconfig YAML text. */
export async function readKeyVaultKubeconfig(
  ref: string,
  deps: KeyVaultKubeconfigDeps = {},
): Promise<string> {
  const { vaultUrl, secretName, version } = parseKeyVaultReference(ref);
  const credential = deps.credential ?? sharedDefaultCredential();
  const client = await (deps.createClient ?? createSecretClient)(vaultUrl, credential);
  const where = `Key Vault secret "${secretName}"${version ? ` version ${version}` : ''} in ${vaultUrl}`;

  let secret: { value?: string };
  try {
    secret = await client.getSecret(secretName, version ? { version } : {});
  } catch (error) {
    throw new Error(`${where} could not be read`, { cause: error });
  }
  if (!secret.value) throw new Error(`${where} has no value`);
  return secret.value;
}

/**
 * Splits a `keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>]` reference (public, China and
 * US Government clouds). Throws when it is not one: wrong scheme, a host that is not a vault, a port, query,
 * fragment or user info, a bad secret name, or a version that is not 32 hex digits.
 */
export function parseKeyVaultReference(ref: string): KeyVaultSecretRef {
  if (!ref.startsWith(SCHEME))
    throw new Error(`kubeconfig reference is not a Key Vault reference; ${EXPECTED_FORM}`);
  let url: URL;
  try {
    url = new URL(ref.slice(SCHEME.length));
  } catch {
    throw new Error(`Key Vault reference is not a URL; ${EXPECTED_FORM}`);
  }

  const suffix = VAULT_HOST_SUFFIXES.find((candidate) => url.hostname.endsWith(candidate));
  const vaultName = suffix ? url.hostname.slice(0, -suffix.length) : '';
  if (url.protocol !== 'https:' || !VAULT_NAME_PATTERN.test(vaultName) || url.port !== '') {
    throw new Error(`Key Vault reference host "${url.host}" is not an https Key Vault; ${EXPECTED_FORM}`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new Error(`Key Vault reference carries a query, fragment or user info; ${EXPECTED_FORM}`);
  }

  const [collection, secretName, version, ...rest] = url.pathname.replace(/^\/|\/$/g, '').split('/');
  if (collection !== 'secrets' || !secretName || !SECRET_NAME_PATTERN.test(secretName) || rest.length > 0) {
    throw new Error(`Key Vault reference path "${url.pathname}" names no secret; ${EXPECTED_FORM}`);
  }
  if (version !== undefined && !SECRET_VERSION_PATTERN.test(version)) {
    throw new Error(
      `Key Vault reference secret version "${version}" is not a 32-digit hex id; ${EXPECTED_FORM}`,
    );
  }
  return { vaultUrl: url.origin, secretName, ...(version ? { version } : {}) };
}

function sharedDefaultCredential(): TokenCredential {
  sharedCredential ??= defaultAzureCredential();
  return sharedCredential;
}

async function createSecretClient(vaultUrl: string, credential: TokenCredential): Promise<SecretReader> {
  const { SecretClient } = await import('@azure/keyvault-secrets');
  return new SecretClient(vaultUrl, credential);
}

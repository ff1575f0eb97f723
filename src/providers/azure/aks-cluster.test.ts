import type { CredentialResults } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AksCredentialsClient, clearAksEndpointCache, getAksEndpoint } from './aks-cluster.ts';

const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString(
  'base64',
);

/** What listClusterUserCredentials returns for an Entra-enabled cluster: kubelogin exec, no secret. */
const userKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443
    certificate-authority-data: ${CA_DATA}
contexts:
- name: prod
  context:
    cluster: prod
    user: clusterUser_rg-prod_prod
current-context: prod
users:
- name: clusterUser_rg-prod_prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]
`;

const credential: TokenCredential = { getToken: async () => null };

function fakeClient(respond: () => Promise<CredentialResults>) {
  const calls: Array<[string, string]> = [];
  const client: AksCredentialsClient = {
    managedClusters: {
      listClusterUserCredentials: async (resourceGroupName, resourceName) => {
        calls.push([resourceGroupName, resourceName]);
        return respond();
      },
    },
  };
  return { client, calls };
}

const kubeconfigResult = (text: string): CredentialResults => ({
  kubeconfigs: [{ name: 'clusterUser', value: new TextEncoder().encode(text) }],
});

const ref = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg-prod',
  clusterName: 'prod',
};

beforeEach(() => {
  clearAksEndpointCache();
});

describe('getAksEndpoint', () => {
  it('returns the server and CA data of the user kubeconfig', async () => {
    const { client, calls } = fakeClient(async () => kubeconfigResult(userKubeconfig));

    await expect(getAksEndpoint({ ...ref, credential, client })).resolves.toEqual({
      server: 'https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443',
      caData: CA_DATA,
    });
    expect(calls).toEqual([['rg-prod', 'prod']]);
  });

  it('asks once per cluster across lookups, whatever the casing of the id', async () => {
    const { client, calls } = fakeClient(async () => kubeconfigResult(userKubeconfig));

    await getAksEndpoint({ ...ref, credential, client });
    await getAksEndpoint({ ...ref, resourceGroup: 'RG-PROD', credential, client });

    expect(calls).toHaveLength(1);
  });

  it('asks again for another cluster', async () => {
    const { client, calls } = fakeClient(async () => kubeconfigResult(userKubeconfig));

    await getAksEndpoint({ ...ref, credential, client });
    await getAksEndpoint({ ...ref, clusterName: 'staging', credential, client });

    expect(calls).toHaveLength(2);
  });

  it('fails when no kubeconfig comes back, and does not cache the failure', async () => {
    let first = true;
    const { client } = fakeClient(async () => {
      const result = first ? { kubeconfigs: [] } : kubeconfigResult(userKubeconfig);
      first = false;
      return result;
    });

    await expect(getAksEndpoint({ ...ref, credential, client })).rejects.toThrow(
      /managedClusters\/prod: listClusterUserCredentials returned no kubeconfig/,
    );
    await expect(getAksEndpoint({ ...ref, credential, client })).resolves.toHaveProperty('caData', CA_DATA);
  });

  it('fails when the kubeconfig has no CA data', async () => {
    const withoutCa = userKubeconfig.replace(/ {4}certificate-authority-data: .*\n/, '');
    const { client } = fakeClient(async () => kubeconfigResult(withoutCa));

    await expect(getAksEndpoint({ ...ref, credential, client })).rejects.toThrow(
      /no certificate-authority-data/,
    );
  });

  it('does not quote an unparseable kubeconfig, which may hold a credential', async () => {
    const { client } = fakeClient(async () => kubeconfigResult('token: s3cr3t\n  - : [unbalanced'));

    const attempt = getAksEndpoint({ ...ref, credential, client });

    await expect(attempt).rejects.toThrow(/could not be parsed/);
    await expect(attempt).rejects.not.toThrow(/s3cr3t/);
  });
});

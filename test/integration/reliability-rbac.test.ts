/**
 * Least privilege, checked from the drainer's side: what the API server says each of its identities may
 * do (SelfSubjectRulesReview, what `kubectl auth can-i --list` shows), compared exactly with what a drain
 * needs plus what Kubernetes grants every authenticated user. Anything more fails the test.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../src/kube/client.ts';
import { readLocalIdentities } from '../../src/local-cluster/authn/local-identities.ts';
import { TestTokenCredential, testAwsCredentials } from '../../src/local-cluster/authn/test-identities.ts';
import { DRAINER_GROUP, kubectl } from '../../src/local-cluster/control-plane.ts';
import { createEksToken } from '../../src/providers/aws/eks-token.ts';
import { AKS_SERVER_APP_SCOPE } from '../../src/providers/azure/aks-token.ts';
import { clusterInfo, grantExtraRole, uniqueName } from './cluster.ts';

const info = clusterInfo();
const identities = readLocalIdentities(info.authnFile);
const ca = readFileSync(info.caFile, 'utf8');

/** What the drain engine does: resolve, mark and watch the node, list, evict (or delete) and watch its pods, record events. */
const DRAINER_NEEDS = [
  '/nodes:get',
  '/nodes:list',
  '/nodes:patch',
  '/nodes:watch',
  '/pods:get',
  '/pods:list',
  '/pods:watch',
  '/pods:delete',
  '/pods/eviction:create',
  'policy/poddisruptionbudgets:list',
  '/events:create',
  '/events:patch',
  'events.k8s.io/events:create',
  'events.k8s.io/events:patch',
];

/** What the default ClusterRoles give every authenticated user (system:basic-user, discovery, public-info). */
const EVERY_AUTHENTICATED_USER = [
  'authorization.k8s.io/selfsubjectaccessreviews:create',
  'authorization.k8s.io/selfsubjectrulesreviews:create',
  'authentication.k8s.io/selfsubjectreviews:create',
  ...[
    '/api',
    '/api/*',
    '/apis',
    '/apis/*',
    '/healthz',
    '/livez',
    '/openapi',
    '/openapi/*',
    '/readyz',
    '/version',
    '/version/',
  ].map((url) => `url ${url}:get`),
];

const ALLOWED = new Set([...DRAINER_NEEDS, ...EVERY_AUTHENTICATED_USER]);

interface RulesReview {
  status?: {
    incomplete?: boolean;
    evaluationError?: string;
    resourceRules?: {
      verbs: string[];
      apiGroups?: string[];
      resources?: string[];
      resourceNames?: string[];
    }[];
    nonResourceRules?: { verbs: string[]; nonResourceURLs?: string[] }[];
  };
}

/** Every (group, resource, verb) and (URL, verb) the identity may use in `namespace`, as flat strings. */
async function permissions(token: string, namespace: string): Promise<Set<string>> {
  const kube = createKubeClient({ server: info.server, caPem: ca, token: async () => token });
  try {
    const review = await kube.request<RulesReview>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      {
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
      },
    );
    expect(review.status?.incomplete, review.status?.evaluationError).toBe(false);
    const out = new Set<string>();
    for (const rule of review.status?.resourceRules ?? []) {
      const names = rule.resourceNames?.length ? rule.resourceNames.map((name) => `#${name}`) : [''];
      for (const group of rule.apiGroups ?? [''])
        for (const resource of rule.resources ?? [])
          for (const name of names)
            for (const verb of rule.verbs) out.add(`${group}/${resource}${name}:${verb}`);
    }
    for (const rule of review.status?.nonResourceRules ?? [])
      for (const url of rule.nonResourceURLs ?? [])
        for (const verb of rule.verbs) out.add(`url ${url}:${verb}`);
    return out;
  } finally {
    await kube.close();
  }
}

const beyondNeeds = (granted: Set<string>) =>
  [...granted].filter((permission) => !ALLOWED.has(permission)).sort();

async function identityTokens(): Promise<Record<string, string>> {
  const { token: eks } = await createEksToken({
    clusterName: identities.eks.clusterName,
    region: identities.eks.region,
    credentials: testAwsCredentials(identities.eks.identity),
  });
  const aks = await new TestTokenCredential({
    issuer: identities.aks.issuer,
    objectId: identities.aks.objectId,
  }).getToken(AKS_SERVER_APP_SCOPE);
  return {
    'static token (kubeconfig)': info.drainerToken,
    'EKS IAM role': eks,
    'AKS managed identity': aks.token,
  };
}

const scratch = uniqueName('rbac');

afterAll(async () => {
  await kubectl(info, ['delete', 'namespace', scratch, '--ignore-not-found', '--wait=false']).catch(
    () => undefined,
  );
});

describe('the drainer identities have exactly what a drain needs', () => {
  it('in every namespace and at cluster scope, for each way the function authenticates', async () => {
    await kubectl(info, ['create', 'namespace', scratch]);
    const tokens = await identityTokens();
    for (const [identity, token] of Object.entries(tokens)) {
      for (const namespace of ['default', 'kube-system', scratch]) {
        const granted = await permissions(token, namespace);
        expect(beyondNeeds(granted), `${identity} in ${namespace}`).toEqual([]);
        // ...and everything it needs is there.
        for (const need of DRAINER_NEEDS)
          expect(granted.has(need), `${identity} in ${namespace}: ${need}`).toBe(true);
      }
    }
  });

  it('notices a grant beyond the needs (the comparison has teeth)', async () => {
    await kubectl(info, ['create', 'namespace', scratch]).catch(() => undefined);
    await grantExtraRole(info, { namespace: scratch, group: DRAINER_GROUP, resource: 'configmaps' });
    try {
      const granted = await permissions(info.drainerToken, scratch);
      expect(beyondNeeds(granted)).toEqual(['/configmaps:get']);
    } finally {
      await kubectl(info, ['-n', scratch, 'delete', 'rolebinding', 'extra']);
    }
  });

  it('agrees with kubectl auth can-i --list', async () => {
    const listed = await kubectl({ ...info, adminKubeconfig: info.drainerKubeconfig }, [
      'auth',
      'can-i',
      '--list',
    ]);
    const resources = listed
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s{2,}/))
      .filter((columns) => columns.length === 4)
      .map(([resource, , , verbs]) => `${resource} ${verbs}`)
      .sort();
    expect(resources).toEqual(
      [
        'events [create patch]',
        'events.events.k8s.io [create patch]',
        'nodes [get list patch watch]',
        'pods [get list watch delete]',
        'pods/eviction [create]',
        'poddisruptionbudgets.policy [list]',
        'selfsubjectaccessreviews.authorization.k8s.io [create]',
        'selfsubjectreviews.authentication.k8s.io [create]',
        'selfsubjectrulesreviews.authorization.k8s.io [create]',
      ].sort(),
    );
  });
});

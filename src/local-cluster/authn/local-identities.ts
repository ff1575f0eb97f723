/**
 * The cloud identities the local cluster's token webhook accepts, saved as authn.json in the cluster dir:
 * an AWS role session (EKS access entry → group spot-drainer) and an Entra managed identity (object id
 * bound as a User by the AKS-style binding). Tests read the same file to act as those identities.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { aksVerifier } from './aks-verifier.ts';
import { eksVerifier } from './eks-verifier.ts';
import {
  createTestAwsIdentity,
  createTestEntraIssuer,
  type TestAwsIdentity,
  type TestEntraIssuer,
} from './test-identities.ts';
import type { TokenVerifier } from './verifier.ts';

/** The AKS server application id: the audience of the Entra tokens AKS accepts. */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/** The contents of authn.json: the EKS cluster, region and role session, the Entra issuer and object id. */
export interface LocalIdentities {
  eks: { clusterName: string; region: string; identity: TestAwsIdentity };
  aks: { issuer: TestEntraIssuer; objectId: string };
}

/**
 * Creates fresh identities (a new access key, a new RS256 issuer key pair, a random object id) and writes
 * them to `file` (mode 0600). Throws on write errors.
 */
export async function writeLocalIdentities(file: string): Promise<void> {
  const identities: LocalIdentities = {
    eks: {
      clusterName: 'spot-drainer-local',
      region: 'us-east-1',
      identity: createTestAwsIdentity({
        username: 'arn:aws:sts::111122223333:assumed-role/spot-drainer-lambda/{{SessionName}}',
        groups: ['spot-drainer'],
      }),
    },
    aks: { issuer: await createTestEntraIssuer(), objectId: randomUUID() },
  };
  writeFileSync(file, JSON.stringify(identities, null, 2), { mode: 0o600 });
}

/** Reads identities written by writeLocalIdentities. Throws when the file is missing or not JSON. */
export function readLocalIdentities(file: string): LocalIdentities {
  return JSON.parse(readFileSync(file, 'utf8')) as LocalIdentities;
}

/** The EKS and AKS verifiers the token webhook asks, in that order, for these identities. */
export function loadVerifiers(identities: LocalIdentities): TokenVerifier[] {
  return [
    eksVerifier({
      clusterName: identities.eks.clusterName,
      region: identities.eks.region,
      identities: [identities.eks.identity],
    }),
    aksVerifier({
      issuer: identities.aks.issuer.issuer,
      audience: AKS_SERVER_APP_ID,
      publicKey: identities.aks.issuer.publicJwk,
      users: [{ objectId: identities.aks.objectId, groups: [] }],
    }),
  ];
}

/** The AKS way of granting a managed identity the drainer's ClusterRole with Kubernetes RBAC. */
export function aksUserBinding(objectId: string): string {
  return JSON.stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'spot-drainer-aks-identity' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'spot-drainer' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: objectId }],
  });
}

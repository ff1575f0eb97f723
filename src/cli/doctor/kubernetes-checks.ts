/**
 * The doctor's Kubernetes checks, the same on both clouds: the ClusterRole and ClusterRoleBinding on the
 * cluster are those of infra/kubernetes/rbac.yaml (read as the person's own identity), and the drainer's
 * identity may do exactly what it needs (SelfSubjectRulesReview as that identity, what
 * `kubectl auth can-i --list` shows; SelfSubjectAccessReviews per need when the authorizer cannot list
 * rules, as AKS with Azure RBAC answers).
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access
 */
import type { KubeClient } from '../../kube/client.ts';
import { checkWrites } from '../access-check.ts';
import { type CheckResult, fail, pass } from './check.ts';
import {
  describePermission,
  permissionsOf,
  type RbacManifest,
  type ResourceRule,
  rulesAllow,
  type Subject,
} from './rbac-manifest.ts';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const APPLY = 'kubectl apply -f infra/kubernetes/rbac.yaml';

/** What the default ClusterRoles give every authenticated user (system:basic-user): not the drainer's doing. */
const EVERY_AUTHENTICATED_USER = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews:create',
  'authorization.k8s.io/selfsubjectrulesreviews:create',
  'authentication.k8s.io/selfsubjectreviews:create',
]);

const list = (permissions: Iterable<string>) => [...permissions].sort().map(describePermission).join(', ');

/** The ClusterRole on the cluster grants exactly the manifest's permissions (read with `get clusterroles`). */
export async function clusterRoleMatches(admin: KubeClient, manifest: RbacManifest): Promise<CheckResult> {
  const name = `ClusterRole ${manifest.clusterRoleName}`;
  const role = await admin
    .request<{ rules?: ResourceRule[] }>('GET', `${RBAC}/clusterroles/${manifest.clusterRoleName}`)
    .catch((error: { code?: number }) => {
      if (error.code === 404) return undefined;
      throw error;
    });
  if (!role) return fail(name, 'not on the cluster', APPLY);
  const want = permissionsOf(manifest.rules);
  const have = permissionsOf(role.rules ?? []);
  const missing = [...want].filter((permission) => !have.has(permission));
  const extra = [...have].filter((permission) => !want.has(permission));
  if (missing.length === 0 && extra.length === 0) {
    return pass(name, `as in infra/kubernetes/rbac.yaml (${want.size} permissions)`);
  }
  const differences = [
    missing.length ? `lacks ${list(missing)}` : '',
    extra.length ? `grants beyond the manifest ${list(extra)}` : '',
  ];
  return fail(name, differences.filter(Boolean).join('; '), APPLY);
}

const sameSubject = (a: Subject, b: Subject) =>
  a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

const describeSubject = (subject: Subject) => `${subject.kind} ${subject.name}`;

/**
 * The ClusterRoleBinding refers to the manifest's ClusterRole and binds each of `expected` (the
 * manifest's subjects, plus the cloud identity's own where the cloud maps it as a User).
 */
export async function bindingBindsSubjects(
  admin: KubeClient,
  manifest: RbacManifest,
  expected: readonly Subject[],
): Promise<CheckResult> {
  const name = `ClusterRoleBinding ${manifest.bindingName}`;
  const binding = await admin
    .request<{ roleRef?: { kind?: string; name?: string }; subjects?: Subject[] }>(
      'GET',
      `${RBAC}/clusterrolebindings/${manifest.bindingName}`,
    )
    .catch((error: { code?: number }) => {
      if (error.code === 404) return undefined;
      throw error;
    });
  if (!binding) return fail(name, 'not on the cluster', APPLY);
  if (binding.roleRef?.kind !== 'ClusterRole' || binding.roleRef.name !== manifest.clusterRoleName) {
    return fail(
      name,
      `refers to ${binding.roleRef?.kind} ${binding.roleRef?.name}, not ClusterRole ${manifest.clusterRoleName}`,
      `kubectl delete clusterrolebinding ${manifest.bindingName} && ${APPLY}`,
    );
  }
  const subjects = binding.subjects ?? [];
  const missing = expected.filter((want) => !subjects.some((have) => sameSubject(have, want)));
  if (missing.length === 0) return pass(name, `binds ${expected.map(describeSubject).join(', ')}`);
  const users = missing.filter((subject) => subject.kind === 'User');
  const fix = users.length
    ? `kubectl patch clusterrolebinding ${manifest.bindingName} --type=json -p '[${users
        .map(
          (user) =>
            `{"op":"add","path":"/subjects/-","value":{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"${user.name}"}}`,
        )
        .join(',')}]'`
    : APPLY;
  return fail(name, `does not bind ${missing.map(describeSubject).join(', ')}`, fix);
}

interface RulesReview {
  status?: { incomplete?: boolean; evaluationError?: string; resourceRules?: ResourceRule[] };
}

/** The rules `drainer` has in `namespace`, as the API server lists them for that identity. */
async function rulesIn(drainer: KubeClient, namespace: string): Promise<RulesReview['status']> {
  const review = await drainer.request<RulesReview>(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } } },
  );
  return review.status ?? {};
}

/** When the authorizer cannot list rules: one SelfSubjectAccessReview per need, extras unknown. */
async function accessReviews(
  drainer: KubeClient,
  needs: readonly string[],
  namespace: string,
): Promise<string[]> {
  const wanted = needs.map((permission) => {
    const [, group = '', resource = '', verb = ''] = /^([^/]*)\/([^:]+):(.+)$/.exec(permission) ?? [];
    return { verb, resource, group, namespace };
  });
  const checks = await checkWrites(drainer, wanted);
  return needs.filter((_, index) => !checks[index]?.allowed);
}

/**
 * The drainer's identity may do what the manifest's ClusterRole grants and nothing more, in each of
 * `namespaces` (cluster-scoped rules show in every one). `identity` says whose rules these are.
 */
export async function drainerMayDoWhatItNeeds(
  drainer: KubeClient,
  manifest: RbacManifest,
  identity: string,
  namespaces: readonly string[] = ['default', 'kube-system'],
): Promise<CheckResult> {
  const name = 'drainer identity on the cluster';
  const needs = [...permissionsOf(manifest.rules)];
  const missing = new Set<string>();
  const extra = new Set<string>();
  let unlisted = '';
  for (const namespace of namespaces) {
    const status = await rulesIn(drainer, namespace);
    if (status?.incomplete) {
      unlisted = status.evaluationError ?? 'the authorizer cannot list rules';
      for (const need of await accessReviews(drainer, needs, namespace)) missing.add(need);
      continue;
    }
    const rules = status?.resourceRules ?? [];
    for (const need of needs) if (!rulesAllow(rules, need)) missing.add(need);
    for (const granted of permissionsOf(rules))
      if (!needs.includes(granted) && !EVERY_AUTHENTICATED_USER.has(granted)) extra.add(granted);
  }
  const where = `${identity}, in namespaces ${namespaces.join(', ')}`;
  if (missing.size > 0) {
    return fail(
      name,
      `${where}: may not ${list(missing)}`,
      `${APPLY}, and bind the identity (see infra/README.md)`,
    );
  }
  if (extra.size > 0) {
    return fail(
      name,
      `${where}: may do more than it needs: ${list(extra)}`,
      'remove the bindings that grant it (kubectl get rolebindings,clusterrolebindings -A -o wide)',
    );
  }
  const how = unlisted
    ? `each need allowed by SelfSubjectAccessReview (rules not listable: ${unlisted})`
    : 'exactly what it needs';
  return pass(name, `${where}: ${how}`);
}

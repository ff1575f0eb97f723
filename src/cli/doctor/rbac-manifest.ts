/**
 * What the drainer needs on a cluster, read from the project's own RBAC manifest
 * (infra/kubernetes/rbac.yaml): the ClusterRole's rules, flattened to one permission per (API group,
 * resource, verb), and the subjects its ClusterRoleBinding binds. The doctor compares the cluster with
 * this, so the manifest stays the one source of truth.
 */
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { projectPath } from '../../local-cluster/project-root.ts';

/** An RBAC PolicyRule (rbac.authorization.k8s.io/v1) or a SelfSubjectRulesReview ResourceRule. */
export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/** A ClusterRoleBinding subject. */
export interface Subject {
  kind: string;
  name: string;
  apiGroup?: string;
  namespace?: string;
}

/** The manifest's ClusterRole and ClusterRoleBinding. */
export interface RbacManifest {
  clusterRoleName: string;
  rules: ResourceRule[];
  bindingName: string;
  subjects: Subject[];
  /** The groups the binding binds (`spot-drainer`): what an EKS access entry must map the role to. */
  groups: string[];
}

interface Manifest {
  kind?: string;
  metadata?: { name?: string };
  rules?: ResourceRule[];
  subjects?: Subject[];
}

/** The manifest at `path` (default: infra/kubernetes/rbac.yaml); throws when it lacks the role or binding. */
export function readRbacManifest(path = projectPath('infra/kubernetes/rbac.yaml')): RbacManifest {
  const documents = loadAll(readFileSync(path, 'utf8')) as Manifest[];
  const role = documents.find((document) => document?.kind === 'ClusterRole');
  const binding = documents.find((document) => document?.kind === 'ClusterRoleBinding');
  if (!role?.metadata?.name || !binding?.metadata?.name) {
    throw new Error(`${path} holds no ClusterRole and ClusterRoleBinding`);
  }
  const subjects = binding.subjects ?? [];
  return {
    clusterRoleName: role.metadata.name,
    rules: role.rules ?? [],
    bindingName: binding.metadata.name,
    subjects,
    groups: subjects.filter((subject) => subject.kind === 'Group').map((subject) => subject.name),
  };
}

/**
 * Every `group/resource:verb` the rules grant (`/pods/eviction:create`, `policy/poddisruptionbudgets:list`;
 * the core group is empty), with `#name` appended when a rule is limited to resource names. Wildcards
 * stay as they are (`*`).
 */
export function permissionsOf(rules: readonly ResourceRule[]): Set<string> {
  const out = new Set<string>();
  for (const rule of rules) {
    const names = rule.resourceNames?.length ? rule.resourceNames.map((name) => `#${name}`) : [''];
    for (const group of rule.apiGroups ?? [''])
      for (const resource of rule.resources ?? [])
        for (const name of names)
          for (const verb of rule.verbs) out.add(`${group}/${resource}${name}:${verb}`);
  }
  return out;
}

/** Whether `rules` allow the permission `group/resource:verb`, wildcards included. */
export function rulesAllow(rules: readonly ResourceRule[], permission: string): boolean {
  const match = /^([^/]*)\/([^:]+):(.+)$/.exec(permission);
  if (!match) return false;
  const [, group, resource, verb] = match;
  const has = (list: readonly string[] | undefined, value: string | undefined) =>
    (list ?? ['']).some((entry) => entry === '*' || entry === value);
  return rules.some(
    (rule) =>
      !rule.resourceNames?.length &&
      has(rule.verbs, verb) &&
      has(rule.apiGroups, group) &&
      (rule.resources ?? []).some((entry) => entry === '*' || entry === resource),
  );
}

/** `create pods/eviction`, `list poddisruptionbudgets.policy`: a permission as kubectl names it. */
export function describePermission(permission: string): string {
  const match = /^([^/]*)\/([^:]+):(.+)$/.exec(permission);
  if (!match) return permission;
  const [, group, resource, verb] = match;
  return `${verb} ${resource}${group ? `.${group}` : ''}`;
}

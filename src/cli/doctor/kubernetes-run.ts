/**
 * The Kubernetes part of a doctor run: the kubeconfig's own identity reads the ClusterRole and the
 * binding, and the drainer's identity is asked what it may do, either through a context holding the
 * drainer's own credentials (`--drainer-context`) or by impersonating the identity the cloud maps the
 * drainer to (the EKS access entry's user and groups, the Azure identity's object id).
 */
import type { KubeClient } from '../../kube/client.ts';
import { checkConnection, kubeClientFor, loadKubeconfig } from '../kubeconfig-file.ts';
import { type CheckResult, runCheck, skip } from './check.ts';
import { bindingBindsSubjects, clusterRoleMatches, drainerMayDoWhatItNeeds } from './kubernetes-checks.ts';
import type { RbacManifest, Subject } from './rbac-manifest.ts';

/** Who the cluster takes the drainer for, and how to say it in a check's detail. */
export interface DrainerIdentity {
  user: string;
  groups: string[];
  describe: string;
}

/** The kubeconfig flags the Kubernetes checks read. */
export interface KubernetesFlags {
  kubeconfig?: string;
  context?: string;
  drainerContext?: string;
}

/** The client that acts as the drainer, and whose rules a check reports. */
function drainerClient(
  flags: KubernetesFlags,
  loaded: ReturnType<typeof loadKubeconfig>,
  identity: DrainerIdentity | undefined,
): { kube: KubeClient; describe: string } | undefined {
  if (flags.drainerContext) {
    const drainer = loadKubeconfig(flags.kubeconfig, flags.drainerContext);
    return { kube: kubeClientFor(drainer), describe: `context ${drainer.context} (user ${drainer.user})` };
  }
  if (!identity) return undefined;
  const impersonate = { user: identity.user, groups: identity.groups };
  return { kube: kubeClientFor(loaded, { impersonate }), describe: `as ${identity.describe} (impersonated)` };
}

/**
 * The ClusterRole, the ClusterRoleBinding (binding `subjects`) and the drainer's permissions on the
 * kubeconfig's cluster. A kubeconfig that cannot be used or a cluster that cannot be reached throws a
 * KubeconfigError (exit 2), as every command does.
 */
export async function kubernetesChecks(
  flags: KubernetesFlags,
  manifest: RbacManifest,
  identity: DrainerIdentity | undefined,
  subjects: readonly Subject[],
): Promise<CheckResult[]> {
  const loaded = loadKubeconfig(flags.kubeconfig, flags.context);
  const admin = kubeClientFor(loaded);
  const drainer = drainerClient(flags, loaded, identity);
  try {
    await checkConnection(admin, loaded);
    const readRbac = 'an identity that may get clusterroles and clusterrolebindings';
    const checks = [
      runCheck(
        `ClusterRole ${manifest.clusterRoleName}`,
        () => clusterRoleMatches(admin, manifest),
        readRbac,
      ),
      runCheck(
        `ClusterRoleBinding ${manifest.bindingName}`,
        () => bindingBindsSubjects(admin, manifest, subjects),
        readRbac,
      ),
    ];
    if (drainer) {
      checks.push(
        runCheck(
          'drainer identity on the cluster',
          () => drainerMayDoWhatItNeeds(drainer.kube, manifest, drainer.describe),
          'an identity that may impersonate the drainer (or --drainer-context)',
        ),
      );
    }
    const results = (await Promise.all(checks)).flat();
    if (!drainer)
      results.push(
        skip('drainer identity on the cluster', 'the identity is unknown: pass --drainer-context'),
      );
    return results;
  } finally {
    await Promise.all([admin.close(), drainer?.kube.close()]);
  }
}

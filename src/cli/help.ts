/** The help of `spot-drainer` and of each of its commands, with their exit codes. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** package.json's version: the nearest package.json above this file (src/cli in a checkout, dist/ installed). */
function packageVersion(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'spot-drainer' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** package.json's version, as `spot-drainer --version` prints it. */
export const VERSION: string = packageVersion();

const KUBE_FLAGS = `  --kubeconfig PATH   the kubeconfig (default: $KUBECONFIG, merged as kubectl does when it lists
                      several files a:b:c, or ~/.kube/config)
  --context NAME      a context of the kubeconfig (default: its current-context)`;

/** Each command's help, printed by `spot-drainer <command> --help` (exit 0). */
export const COMMAND_HELP: Record<string, string> = {
  parse: `usage: spot-drainer parse <event.json | -> [more.json ...]
  Print the interruptions AWS or Azure events yield (JSON), or why they are ignored. Several files are
  read as one delivery (all of them, or none if one cannot be read); an event file may hold an array.
  Events in an array that are malformed are listed under "invalid", those not ours under "ignored".
exit codes:
  0  interruptions found, or every event ignored
  2  unusable input: no file, an unreadable, empty or invalid JSON file, or no usable event`,
  replay: `usage: spot-drainer replay <event.json | -> [more.json ...] [options]
  Run the function's pipeline (the same code) against the cluster of a kubeconfig context. The node is
  resolved by provider id; no cloud API is called unless --cloud-calls.
${KUBE_FLAGS}
  --dry-run           write nothing: print the plan (each pod, what would happen to it and why) and check
                      with SelfSubjectAccessReviews that every write the run would make is allowed
  --json              print the results as JSON
  --now ISO-TIME      take the event as arriving at this time (full ISO 8601 with a timezone,
                      e.g. 2026-11-20T14:03:11Z); deadlines keep their distance from it
  --force             act on an event past its deadline or dated in the future without --now
  --cloud-calls       call the clouds' APIs (DescribeInstances, CompleteLifecycleAction) as the function would
  --notify            notify (Slack, webhook) even for a dry run or a duplicate delivery
  --verbose           the pipeline's JSON log lines on standard error
exit codes:
  0   every interruption handled to completion (or planned, in a dry run), or the events ignored
  1   partial, failed, the node not found, or (dry run) a write the run would make is not allowed
  2   unusable input, usage, an unusable kubeconfig or unknown context, a cluster that cannot be reached
      or refuses the credentials (nothing was done), or a stale event refused
  75  failed in a way the function would retry (e.g. a node whose spec.providerID is not set yet)`,
  release: `usage: spot-drainer release (--node NAME | <event.json | ->) [options]
  Undo spot-drainer's own marks on a node, by the rule a cancelled Azure event follows: the taints and
  annotations of the interruptions (all of them with --node, the event's with a file), the load-balancer
  exclusion label if spot-drainer added it, and the cordon only if spot-drainer made it and nothing else
  still holds the node. Says what it left: other interruptions' marks, a cordon it did not make.
  --node NAME         the node to release (every interruption spot-drainer recorded on it)
${KUBE_FLAGS}
  --dry-run           say what would be removed, write nothing
  --json              print the result as JSON
  --verbose           the JSON log lines on standard error
exit codes:
  0  released, or nothing of spot-drainer's to remove
  1  the node was not found, or the patch failed
  2  usage, unusable input, an unusable kubeconfig or unknown context, a cluster that cannot be
     reached or refuses the credentials`,
  audit: `usage: spot-drainer audit [options]
  Which workloads on spot nodes would not come through an interruption with that notice, and why, judged
  by the drain engine's own rules: PodDisruptionBudgets that allow 0 disruptions, pods selected by more
  than one PDB, single replicas, every replica on spot nodes, grace periods longer than the notice, bare
  pods, emptyDir data, pods that tolerate every taint. DaemonSet, mirror and finished pods are left out,
  as the drain leaves them. Reads only, as the kubeconfig's own identity (list nodes, pods,
  poddisruptionbudgets, replicasets, deployments and statefulsets, cluster-wide).
${KUBE_FLAGS}
  --notice DURATION   the warning before the machine goes away (default 120s, AWS's; Azure gives 30s at
                      least): 120s, 2m, 30
  --selector SEL      a label selector for the spot nodes (default: any of eks.amazonaws.com/capacityType=SPOT,
                      karpenter.sh/capacity-type=spot, kubernetes.azure.com/scalesetpriority=spot)
  --format FORMAT     table (default) or markdown
  --json              print the findings as JSON (for CI)
  The drain settings it judges by (SPOT_DRAINER_EVICT_DAEMONSET_PODS, SPOT_DRAINER_DELETE_EMPTYDIR_DATA,
  SPOT_DRAINER_DEADLINE_SAFETY_SECONDS) are read from the environment, as the function reads them.
exit codes:
  0  no findings, or no spot nodes
  2  usage, an unusable kubeconfig or unknown context, a cluster that cannot be reached or refuses the
     credentials, or a list the identity may not read (nothing was audited)
  3  findings`,
  doctor: `usage: spot-drainer doctor --cloud aws|azure [options]
  Read-only checks of a deployment, each PASS, FAIL (with the fix) or SKIP (switched off). What should be
  there is read from this package's serverless.yml / infra/azure and infra/kubernetes/rbac.yaml, with the
  deployment's own --param values. Cloud calls use the SDKs' default credentials (AWS profile or
  environment, AWS_ENDPOINT_URL_*; Azure CLI login or environment).
  --cloud aws|azure   the deployment to check
  --param NAME=VALUE  a deployment param as given to serverless deploy (AWS: clusterName is required) or
                      to az deployment sub create (Azure: resourceGroupName, namePrefix, enable...); repeatable
  --stage NAME        AWS: the stack's stage
  --region NAME       AWS: its region (default: $AWS_REGION)
  --subscription ID   Azure: the subscription (default: $AZURE_SUBSCRIPTION_ID)
  --cluster RG/NAME   Azure: an AKS cluster of the deployment (resource group/name); repeatable
${KUBE_FLAGS}
                      (the cluster to check, read as your identity, which must be allowed to read
                      ClusterRoles and to impersonate the drainer's identity)
  --drainer-context NAME  a kubeconfig context with the drainer's own credentials, instead of impersonation
  --json              print the checks as JSON
exit codes:
  0  every check passed (or was skipped)
  1  a check failed
  2  usage, an unusable kubeconfig or unknown context, a cluster that cannot be reached or refuses the
     credentials`,
  demo: `usage: spot-drainer demo
  Start a local control plane, fire an AWS spot warning and an Azure Preempt at the bundled handlers, and
  stop it again.
exit codes:
  0  both nodes drained before their deadlines
  1  the demo did not complete
  2  usage, or the control plane could not be started`,
  cluster: `usage: spot-drainer cluster up [--foreground] | down | status | env
  The local control plane the demo and the tests use (npm run cluster -- …): up starts it in the
  background (or attached with --foreground), down stops it, status shows it, env prints the variables
  that point at it.
exit codes:
  0  done
  1  status: not running or a component down; env: no cluster running
  2  usage`,
};

/** \`spot-drainer --help\`. */
export const USAGE = `spot-drainer ${VERSION}: cordon and drain Kubernetes nodes on spot interruptions
usage: spot-drainer <command> [options]   (spot-drainer <command> --help for its options and exit codes)
  parse <event.json | ->        the interruptions an AWS or Azure event yields, or why it is ignored
  replay <event.json | ->       run the function's pipeline against a cluster in a kubeconfig
  release (--node NAME | <event.json>)   remove spot-drainer's own marks from a node
  audit                         which workloads on spot nodes would not survive an interruption, and why
  doctor --cloud aws|azure      read-only checks of a deployment, each with its fix
  demo                          a local control plane, an AWS and an Azure interruption, end to end
  cluster up | down | status | env      the local control plane the demo and tests use
  --version                     print the version
  --verbose                     (replay, release) the JSON log lines on standard error`;

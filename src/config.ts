/**
 * Every setting of spot-drainer, read from environment variables once per cold start and validated by
 * one zod schema. Each variable's schema carries its documentation (settingDocs), from which
 * scripts/config-doc.ts generates docs/configuration.md.
 *
 * A variable that is unset, empty or only whitespace takes its default.
 */
import { type DrainSettings, defaultDrainSettings } from './drain/settings.ts';
import { defaultParseOptions, type ParseOptions } from './events/options.ts';
import type { LogLevel } from './logging.ts';
import { webhookHeadersProblems } from './notify/headers.ts';
import { isAcceptableWebhookUrl, isSecretReference } from './notify/secret-url.ts';
import { templateProblems } from './notify/template.ts';
import * as z from './zod.ts';

export type { LogLevel } from './logging.ts';

/** Only instances carrying this tag (any value when `value` is absent) are handled. */
export interface ManagedTag {
  key: string;
  value?: string;
}

/** An AKS cluster whose API server and CA are looked up with the function's identity. */
export interface AksManagedClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** An AKS API server given directly: its URL and CA (base64 of the PEM, kubeconfig `certificate-authority-data`). */
export interface AksServerRef {
  server: string;
  caData: string;
}

/** How the function reaches the cluster of a node resource group (SPOT_DRAINER_AKS_CLUSTERS): by its ARM id, or a given endpoint. */
export type AksClusterTarget = AksManagedClusterRef | AksServerRef;

/**
 * Every setting, validated, as loadConfig returns it. Durations are in ms here although the variables are in
 * seconds (`notifyTimeoutMs` ← SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS), except `lifecycleHookTimeoutSeconds`.
 * Variables, defaults and limits: docs/configuration.md.
 */
export interface Config extends DrainSettings, Required<ParseOptions> {
  /** `ssm:<name>`, `secretsmanager:<id>`, `keyvault:<secret url>` or `file:<path>`. */
  kubeconfigSource?: string;
  /** EKS cluster name. */
  clusterName?: string;
  managedTag?: ManagedTag;
  /** `none`: resolve the node from the instance id alone, without EC2 DescribeInstances. */
  instanceLookup: 'ec2' | 'none';
  /** Node resource group, in lower case → the cluster its nodes belong to. */
  aksClusters: Record<string, AksClusterTarget>;
  /** CLUSTER: the cluster name shown in notifications. */
  clusterDisplayName?: string;
  /** An https URL, or a reference to the secret that holds it. */
  slackUrl?: string;
  slackChannel?: string;
  webhookUrl?: string;
  webhookTemplate?: string;
  /** A JSON object of header names to values, or a reference to the secret that holds one. */
  webhookHeaders?: string;
  /** An http(s) proxy URL the notifications go through. */
  webhookProxy?: string;
  notifyTimeoutMs: number;
  /** The continuation queue: an SQS queue URL, or an Azure Storage queue URL. */
  continuationQueueUrl?: string;
  continuationDelaySeconds: number;
  /** Where a continuation that fails for good goes, with its reason: an SQS queue URL, or an Azure Storage queue URL. */
  deadLetterQueueUrl?: string;
  /** The deliveries of one continuation message before it is dead-lettered (SQS maxReceiveCount, host maxDequeueCount). */
  continuationMaxDeliveries: number;
  logLevel: LogLevel;
}

/**
 * The documentation of one environment variable, attached to its schema in `settingDocs`: rendered into
 * docs/configuration.md by scripts/config-doc.ts and quoted by ConfigError messages.
 */
export interface SettingDoc {
  /** What the value must be, in words: the Type column of the docs and the "expected ..." of errors. */
  expects: string;
  /** The default, as it would be written in the variable. */
  default?: string;
  description: string;
  /** The serverless.yml param(s) (`${param:<name>}`) that set the variable; absent when none does. */
  serverless?: string | readonly string[];
  /** The Bicep parameter(s) of infra/azure/main.bicep that set the variable. */
  bicep?: string | readonly string[];
  /** The value is never repeated in an error: it may be a credential. */
  secret?: boolean;
  /**
   * Set by the templates from a resource they create rather than from a parameter: what each sets it to,
   * in words (settings-wiring.test.ts checks that both do).
   */
  fromTemplate?: { serverless: string; bicep: string };
}

/** One bad variable: its name and a message that starts with it (`LOG_LEVEL: expected debug, info, ...`). */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/**
 * Thrown by loadConfig (at cold start, so the function fails before handling any event) with every bad
 * variable at once in `issues`. Messages never repeat the value of a secret setting.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `invalid spot-drainer configuration (see docs/configuration.md):\n${issues.map((issue) => `  ${issue.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

/** The documentation of each variable's schema, keyed by the schema. */
export const settingDocs = z.registry<SettingDoc>();

// ---------------------------------------------------------------------------------------------------
// Value kinds
// ---------------------------------------------------------------------------------------------------

/** An issue whose message says more than "expected ..., got ...". */
function detail(message: string) {
  return { code: 'custom', message, params: { detail: true } } as const;
}

/** Adds a detail issue from a refinement. */
function addDetail(ctx: z.core.$RefinementCtx, message: string): void {
  ctx.addIssue(detail(message));
}

/** Adds a detail issue from a transform, which (in zod/mini) gets no `addIssue`. */
function pushDetail(payload: z.core.ParsePayload, message: string): void {
  payload.issues.push({ ...detail(message), input: payload.value });
}

function blankToUndefined(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function setting<T extends z.core.$ZodType>(schema: T, doc: SettingDoc) {
  const documented = z.pipe(z.transform(blankToUndefined), schema);
  // Widened: the registry's metadata type cannot be resolved against a still generic schema.
  settingDocs.add(documented as z.core.$ZodType, doc);
  return documented;
}

const flag = () =>
  z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'], case: 'insensitive' });

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((value: string) => value.toLowerCase()),
    ),
    z.enum(values),
  );

const integer = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number)),
    z.number().check(z.int(), z.gte(min), z.lte(max)),
  );

/** -1, or an integer from `min` to `max`. */
const minusOneOr = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^-?\d+$/)), z.transform(Number)),
    z.number().check(z.refine((value: number) => value === -1 || (value >= min && value <= max))),
  );

/** Seconds, fractions allowed, as milliseconds. */
const secondsAsMs = (check: (seconds: number) => boolean) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d+(\.\d+)?$/)), z.transform(Number)).check(z.refine(check)),
    z.transform((seconds: number) => Math.round(seconds * 1000)),
  );

const webhookUrl = z.string().check(
  z.superRefine((value, ctx) => {
    if (isSecretReference(value) || isAcceptableWebhookUrl(value)) return;
    if (value.startsWith('@Microsoft.KeyVault(')) {
      addDetail(
        ctx,
        'App Service left the Key Vault reference unresolved: check that the function identity may read the secret',
      );
      return;
    }
    ctx.addIssue({ code: 'custom', message: 'not a URL or reference' });
  }),
);

const webhookHeaders = z.string().check(
  z.superRefine((value, ctx) => {
    if (isSecretReference(value)) return;
    for (const problem of webhookHeadersProblems(value)) addDetail(ctx, problem);
  }),
);

const webhookProxy = z.string().check(
  z.superRefine((value, ctx) => {
    if (!URL.canParse(value) || !['http:', 'https:'].includes(new URL(value).protocol)) {
      addDetail(ctx, 'not an http:// or https:// URL (value not shown: it may hold credentials)');
    }
  }),
);

/** A queue URL: https, or http to a loopback stand-in (moto, Azurite). */
const continuationQueueUrl = z.string().check(
  z.refine((value: string) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
  }),
);

const KUBECONFIG_SOURCE = /^(ssm|secretsmanager|keyvault|file):\S/;
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

const managedTag = z.pipe(
  z.string(),
  z.transform((value: string, payload): ManagedTag => {
    const separator = value.indexOf('=');
    const key = (separator < 0 ? value : value.slice(0, separator)).trim();
    const tagValue = separator < 0 ? undefined : value.slice(separator + 1).trim();
    if (key === '' || key.length > 128) pushDetail(payload, 'the tag key must be 1 to 128 characters');
    if (tagValue !== undefined && tagValue.length > 256) {
      pushDetail(payload, 'the tag value is over 256 characters');
    }
    return tagValue === undefined ? { key } : { key, value: tagValue };
  }),
);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const aksManagedCluster = z.strictObject({
  subscriptionId: z.string().check(z.regex(GUID, 'must be a subscription id (a GUID)')),
  resourceGroup: z.string().check(z.minLength(1), z.maxLength(90)),
  name: z.string().check(z.minLength(1), z.maxLength(63)),
});

const aksEndpoint = z.strictObject({
  server: z
    .string()
    .check(
      z.refine(
        (server: string) => server.startsWith('https://') && URL.canParse(server),
        'must be an https URL',
      ),
    ),
  caData: z.string().check(z.regex(BASE64, 'must be the base64 of the PEM CA bundle')),
});

const aksClusters = z.pipe(
  z.string(),
  z.transform((text: string, payload): Record<string, AksClusterTarget> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      pushDetail(payload, 'not valid JSON');
      return z.NEVER;
    }
    if (!isPlainObject(parsed)) {
      pushDetail(payload, 'not a JSON object');
      return z.NEVER;
    }
    // A Map, then fromEntries: a "__proto__" key stays an ordinary key.
    const clusters = new Map<string, AksClusterTarget>();
    const seen = new Set<string>();
    for (const [group, value] of Object.entries(parsed)) {
      const key = group.trim().toLowerCase();
      if (key === '') pushDetail(payload, 'a node resource group name is empty');
      else if (seen.has(key)) pushDetail(payload, `"${group}" appears twice (names are not case-sensitive)`);
      seen.add(key);
      const schema = isPlainObject(value) && 'server' in value ? aksEndpoint : aksManagedCluster;
      const result = schema.safeParse(value);
      if (!result.success) {
        for (const issue of result.error.issues) {
          pushDetail(
            payload,
            `"${group}"${issue.path.map((part) => `.${String(part)}`).join('')}: ${issue.message}`,
          );
        }
        continue;
      }
      clusters.set(key, result.data);
    }
    return Object.fromEntries(clusters);
  }),
);

const webhookTemplate = z.string().check(
  z.superRefine((template, ctx) => {
    for (const problem of templateProblems(template)) addDetail(ctx, problem);
  }),
);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// The settings
// ---------------------------------------------------------------------------------------------------

const drain = defaultDrainSettings;
const parse = defaultParseOptions;
const BOOLEAN = 'true or false (also 1/0, yes/no)';
const NOTIFY_TIMEOUT_MAX_SECONDS = 60;
/** The longest delay both continuation queues accept for a message (SQS `DelaySeconds` stops at 900). */
export const CONTINUATION_DELAY_MAX_SECONDS = 900;
/** The most deliveries of one continuation both queues accept (SQS `maxReceiveCount` stops at 1000). */
export const CONTINUATION_MAX_DELIVERIES_LIMIT = 1000;

const environmentSchema = z.object({
  // --- drain --------------------------------------------------------------------------------------
  SPOT_DRAINER_DRY_RUN: setting(z._default(flag(), drain.dryRun), {
    expects: BOOLEAN,
    default: String(drain.dryRun),
    description: 'Log what would be done and change nothing on the cluster.',
    serverless: 'dryRun',
    bicep: 'dryRun',
  }),
  SPOT_DRAINER_DEADLINE_POLICY: setting(
    z._default(oneOf(['respect-pdb', 'force-delete']), drain.deadlinePolicy),
    {
      expects: 'respect-pdb or force-delete',
      default: drain.deadlinePolicy,
      description:
        'Pods still protected by a PodDisruptionBudget near the deadline: `respect-pdb` keeps retrying the eviction, `force-delete` deletes them `SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS` before the deadline.',
      serverless: 'deadlinePolicy',
      bicep: 'deadlinePolicy',
    },
  ),
  SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: setting(
    z._default(
      secondsAsMs((seconds) => seconds >= 0),
      drain.forceDeleteLeadMs,
    ),
    {
      expects: 'a number of seconds, 0 or more',
      default: String(drain.forceDeleteLeadMs / 1000),
      description:
        'With `force-delete`: how long before the deadline the pods a PodDisruptionBudget still holds (one refusing, or several selecting the pod) are deleted. A lead at or below `SPOT_DRAINER_DEADLINE_SAFETY_SECONDS` plus 0.5 s (0 included) deletes them at the latest moment the drain still reaches: 0.5 s before it stops.',
      serverless: 'forceDeleteLeadSeconds',
      bicep: 'forceDeleteLeadSeconds',
    },
  ),
  SPOT_DRAINER_EVICT_DAEMONSET_PODS: setting(z._default(flag(), drain.evictDaemonSetPods), {
    expects: BOOLEAN,
    default: String(drain.evictDaemonSetPods),
    description: 'Evict DaemonSet pods too (`kubectl drain` leaves them).',
    serverless: 'evictDaemonSetPods',
    bicep: 'evictDaemonSetPods',
  }),
  SPOT_DRAINER_DELETE_EMPTYDIR_DATA: setting(z._default(flag(), drain.deleteEmptyDirData), {
    expects: BOOLEAN,
    default: String(drain.deleteEmptyDirData),
    description:
      'Evict pods with emptyDir volumes, whose data is lost (`kubectl drain --delete-emptydir-data`); the machine is going away either way.',
    serverless: 'deleteEmptyDirData',
    bicep: 'deleteEmptyDirData',
  }),
  SPOT_DRAINER_EVICTION_CONCURRENCY: setting(z._default(integer(1, 500), drain.evictionConcurrency), {
    expects: 'an integer from 1 to 500',
    default: String(drain.evictionConcurrency),
    description: 'Eviction requests in flight at once.',
    serverless: 'evictionConcurrency',
    bicep: 'evictionConcurrency',
  }),
  SPOT_DRAINER_EXCLUDE_FROM_LOAD_BALANCERS: setting(z._default(flag(), drain.excludeFromLoadBalancers), {
    expects: BOOLEAN,
    default: String(drain.excludeFromLoadBalancers),
    description:
      'Label the node `node.kubernetes.io/exclude-from-external-load-balancers` so load balancers stop sending it traffic.',
    serverless: 'excludeFromLoadBalancers',
    bicep: 'excludeFromLoadBalancers',
  }),
  SPOT_DRAINER_WAIT_FOR_EMPTY: setting(z._default(flag(), drain.waitForEmpty), {
    expects: BOOLEAN,
    default: String(drain.waitForEmpty),
    description: 'After evicting, wait until the evicted pods have left the node (or time runs out).',
    serverless: 'waitForEmpty',
    bicep: 'waitForEmpty',
  }),
  SPOT_DRAINER_POD_EVENTS: setting(z._default(flag(), drain.podEvents), {
    expects: BOOLEAN,
    default: String(drain.podEvents),
    description:
      "Record a Kubernetes Event on each pod evicted, saying why, besides the drain's one Event on the node that names them all: one more API request per pod. A pod force-deleted past its PodDisruptionBudget always gets one.",
    serverless: 'podEvents',
    bicep: 'podEvents',
  }),
  SPOT_DRAINER_DEADLINE_SAFETY_SECONDS: setting(
    z._default(
      secondsAsMs((seconds) => seconds >= 0),
      drain.deadlineSafetyMs,
    ),
    {
      expects: 'a number of seconds, 0 or more',
      default: String(drain.deadlineSafetyMs / 1000),
      description: 'Stop working this long before the interruption deadline.',
      serverless: 'deadlineSafetySeconds',
      bicep: 'deadlineSafetySeconds',
    },
  ),
  SPOT_DRAINER_CORDON_ONLY: setting(z._default(flag(), drain.cordonOnly), {
    expects: BOOLEAN,
    default: String(drain.cordonOnly),
    description:
      "Every kind of interruption only cordons and taints the node (aws-node-termination-handler `cordonOnly`): nothing is evicted or deleted, whatever the kind's action (`SPOT_DRAINER_REBALANCE_ACTION`, `SPOT_DRAINER_MAINTENANCE_ACTION`, a cleanup); the pods are left to the cluster. A cancelled interruption is still released.",
    serverless: 'cordonOnly',
    bicep: 'cordonOnly',
  }),
  SPOT_DRAINER_TAINT_NODE: setting(z._default(flag(), drain.taintNode), {
    expects: BOOLEAN,
    default: String(drain.taintNode),
    description:
      'Add the `spot-drainer.io/<kind>` NoSchedule taint with the cordon (aws-node-termination-handler `taintNode`). `false`: the node is cordoned only; pods that tolerate `node.kubernetes.io/unschedulable` may still land on it.',
    serverless: 'taintNode',
    bicep: 'taintNode',
  }),
  SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: setting(
    z._default(minusOneOr(1, 7200), drain.podTerminationGracePeriodSeconds),
    {
      expects: '-1, or an integer from 1 to 7200',
      default: String(drain.podTerminationGracePeriodSeconds),
      description:
        "Grace period sent with each eviction (Eviction `deleteOptions.gracePeriodSeconds`) instead of the pod's own `terminationGracePeriodSeconds` (aws-node-termination-handler `podTerminationGracePeriod`); -1 keeps the pod's own. Either way it is cut to end before the deadline (less `SPOT_DRAINER_DEADLINE_SAFETY_SECONDS`), never below 1 s. 0 is refused: it would skip graceful termination. Cleanup deletes with 0 regardless: the machine is gone.",
      serverless: 'podTerminationGracePeriodSeconds',
      bicep: 'podTerminationGracePeriodSeconds',
    },
  ),
  SPOT_DRAINER_OUT_OF_SERVICE_TAINT: setting(z._default(flag(), drain.outOfServiceTaint), {
    expects: BOOLEAN,
    default: String(drain.outOfServiceTaint),
    description:
      'Once the cloud confirms the machine is gone (AWS: EC2 reports the instance `terminated`) and the node is not Ready, taint it `node.kubernetes.io/out-of-service=nodeshutdown:NoExecute` (Kubernetes non-graceful node shutdown): its volumes are detached at once and StatefulSet pods start elsewhere without the 6-minute wait. Never on a node that may still run; see docs/reliability.md.',
    serverless: 'outOfServiceTaint',
    bicep: 'outOfServiceTaint',
  }),

  // --- events -------------------------------------------------------------------------------------
  SPOT_DRAINER_REBALANCE_ACTION: setting(z._default(oneOf(['cordon', 'drain']), parse.rebalanceAction), {
    expects: 'cordon or drain',
    default: parse.rebalanceAction,
    description: 'What an EC2 rebalance recommendation does to the node.',
    serverless: 'rebalanceAction',
  }),
  SPOT_DRAINER_MAINTENANCE_ACTION: setting(
    z._default(oneOf(['cordon', 'drain', 'ignore']), parse.maintenanceAction),
    {
      expects: 'cordon, drain or ignore',
      default: parse.maintenanceAction,
      description: 'What an Azure Redeploy, Reboot or Freeze scheduled event does to the node.',
      bicep: 'maintenanceAction',
    },
  ),
  SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS: setting(
    z._default(integer(30, 7200), parse.lifecycleHookTimeoutSeconds),
    {
      expects: 'an integer from 30 to 7200',
      default: String(parse.lifecycleHookTimeoutSeconds),
      description:
        'Heartbeat timeout of the Auto Scaling terminate lifecycle hook; the drain deadline is the event time plus this.',
      serverless: 'lifecycleHookTimeoutSeconds',
    },
  ),

  // --- cluster ------------------------------------------------------------------------------------
  SPOT_DRAINER_KUBECONFIG_SOURCE: setting(z.optional(z.string().check(z.regex(KUBECONFIG_SOURCE))), {
    expects: 'ssm:<parameter>, secretsmanager:<secret-id>, keyvault:<secret URL> or file:<path>',
    description:
      'Read a kubeconfig from there instead of using EKS IAM or AKS Entra authentication (self-managed clusters). `file:` is for local replay.',
    serverless: 'kubeconfigSource',
    bicep: 'kubeconfigSecretUrl',
    secret: true,
  }),
  SPOT_DRAINER_CLUSTER_NAME: setting(z.optional(z.string().check(z.regex(EKS_CLUSTER_NAME))), {
    expects: 'an EKS cluster name',
    description: 'The EKS cluster whose nodes are drained; instances of other clusters are left alone.',
    serverless: 'clusterName',
  }),
  SPOT_DRAINER_MANAGED_TAG: setting(z.optional(managedTag), {
    expects: 'key or key=value',
    description: 'Only handle instances that carry this tag (with this value, when given).',
    serverless: 'managedTag',
  }),
  SPOT_DRAINER_INSTANCE_LOOKUP: setting(z._default(oneOf(['ec2', 'none']), 'ec2'), {
    expects: 'ec2 or none',
    default: 'ec2',
    description:
      '`none` finds the node from the instance id alone, without EC2 DescribeInstances (`serverless invoke local` against a kubeconfig cluster); needs `SPOT_DRAINER_CLUSTER_NAME`.',
    serverless: 'instanceLookup',
  }),
  SPOT_DRAINER_AKS_CLUSTERS: setting(z._default(aksClusters, {}), {
    expects:
      'a JSON object mapping node resource groups to {"subscriptionId","resourceGroup","name"} or {"server","caData"}',
    default: '{}',
    description:
      'The AKS cluster of each node resource group (names are not case-sensitive): the managed cluster to look up, or its API server and base64 CA directly.',
    bicep: 'aksClusters',
  }),

  // --- notifications ------------------------------------------------------------------------------
  CLUSTER: setting(z.optional(z.string()), {
    expects: 'text',
    description: 'Cluster name shown in notifications (as in aws-node-termination-handler).',
    serverless: 'clusterDisplayName',
    bicep: 'clusterDisplayName',
  }),
  SLACK_URL: setting(z.optional(webhookUrl), {
    expects: 'an https URL, or an ssm:, secretsmanager: or keyvault: reference to the secret holding it',
    description: 'Slack incoming webhook notified after each drain.',
    serverless: 'slackUrl',
    bicep: 'slackUrl',
    secret: true,
  }),
  SLACK_CHANNEL: setting(z.optional(z.string()), {
    expects: 'a channel name or id',
    description: "Channel to post to, instead of the webhook's own.",
    serverless: 'slackChannel',
    bicep: 'slackChannel',
  }),
  SPOT_DRAINER_WEBHOOK_URL: setting(z.optional(webhookUrl), {
    expects: 'an https URL, or an ssm:, secretsmanager: or keyvault: reference to the secret holding it',
    description: 'Generic webhook (Microsoft Teams workflow, alerting...) notified after each drain.',
    serverless: 'webhookUrl',
    bicep: 'webhookUrl',
    secret: true,
  }),
  SPOT_DRAINER_WEBHOOK_TEMPLATE: setting(z.optional(webhookTemplate), {
    expects: 'a template with known {{placeholders}}',
    description:
      'Body of the generic webhook, with `{{placeholders}}` (see below). Empty: the summary as JSON.',
    serverless: 'webhookTemplate',
    bicep: 'webhookTemplate',
  }),
  SPOT_DRAINER_WEBHOOK_HEADERS: setting(z.optional(webhookHeaders), {
    expects:
      'a JSON object of header names to string values, or an ssm:, secretsmanager: or keyvault: reference to the secret holding one',
    description:
      'Headers added to each generic webhook request (aws-node-termination-handler `webhookHeaders`), e.g. `{"Authorization":"Bearer ..."}`; a `Content-Type` replaces the one the template implies. Values are never logged.',
    serverless: 'webhookHeaders',
    bicep: 'webhookHeaders',
    secret: true,
  }),
  SPOT_DRAINER_WEBHOOK_PROXY: setting(z.optional(webhookProxy), {
    expects: 'an http:// or https:// proxy URL',
    description:
      'HTTP proxy every notification (Slack and the generic webhook) goes through, tunnelled with CONNECT (aws-node-termination-handler `webhookProxy`), e.g. `http://proxy.internal:3128`. Credentials in it are never logged.',
    serverless: 'webhookProxy',
    bicep: 'webhookProxy',
    secret: true,
  }),
  SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS: setting(
    z._default(
      secondsAsMs((seconds) => seconds > 0 && seconds <= NOTIFY_TIMEOUT_MAX_SECONDS),
      5000,
    ),
    {
      expects: `a number of seconds above 0, at most ${NOTIFY_TIMEOUT_MAX_SECONDS}`,
      default: '5',
      description:
        "Time each notification request may take; cut to end 0.25 s before the function's own time does.",
      serverless: 'notifyTimeoutSeconds',
      bicep: 'notifyTimeoutSeconds',
    },
  ),

  // --- continuations ------------------------------------------------------------------------------
  SPOT_DRAINER_CONTINUATION_QUEUE_URL: setting(z.optional(continuationQueueUrl), {
    expects: 'an https SQS queue URL or Azure Storage queue URL (http to loopback for local stand-ins)',
    description:
      "Where a drain that outlives one invocation goes on: the function sends itself a continuation there when its own time runs short with the interruption's deadline ahead (docs/reliability.md). Unset: such a drain is handed back to the platform for a retry.",
    fromTemplate: {
      serverless: "the stack's continuation SQS queue",
      bicep: "the app's continuation Storage queue",
    },
  }),
  SPOT_DRAINER_CONTINUATION_DELAY_SECONDS: setting(
    z._default(integer(0, CONTINUATION_DELAY_MAX_SECONDS), 10),
    {
      expects: `an integer from 0 to ${CONTINUATION_DELAY_MAX_SECONDS}`,
      default: '10',
      description:
        'How long a continuation waits on the queue before the drain goes on (PodDisruptionBudgets get time to let pods go); a continuation is sent only while the deadline is further away than this.',
      serverless: 'continuationDelaySeconds',
      bicep: 'continuationDelaySeconds',
    },
  ),

  SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES: setting(
    z._default(integer(1, CONTINUATION_MAX_DELIVERIES_LIMIT), 3),
    {
      expects: `an integer from 1 to ${CONTINUATION_MAX_DELIVERIES_LIMIT}`,
      default: '3',
      description:
        "How many times one continuation is delivered before it is dead-lettered: the continuation queue's redrive maxReceiveCount (AWS) and the queue trigger's maxDequeueCount (Azure) are set from it, and the function dead-letters a continuation whose last delivery fails, with the reason.",
      serverless: 'continuationMaxDeliveries',
      bicep: 'continuationMaxDeliveries',
    },
  ),
  SPOT_DRAINER_DEAD_LETTER_QUEUE_URL: setting(z.optional(continuationQueueUrl), {
    expects: 'an https SQS queue URL or Azure Storage queue URL (http to loopback for local stand-ins)',
    description:
      'Where a continuation that fails for good (a refusal no retry fixes, or a failure on its last delivery) is sent with its reason, and then acknowledged (docs/reliability.md). Unset: such a continuation is left to the queue: dead-lettered by its redrive policy or the Functions host without a reason, or acknowledged and logged when a retry cannot help.',
    fromTemplate: {
      serverless: "the stack's dead-letter queue (FailedEventsQueue)",
      bicep: "the continuation queue's poison queue",
    },
  }),

  // --- runtime ------------------------------------------------------------------------------------
  LOG_LEVEL: setting(z._default(oneOf(['debug', 'info', 'warn', 'error']), 'info'), {
    expects: 'debug, info, warn or error (any case)',
    default: 'info',
    description: 'Least severe level logged.',
    serverless: 'logLevel',
    bicep: 'logLevel',
  }),
});

/** The one schema: environment variables in, Config out. */
export const configSchema = z.pipe(
  environmentSchema,
  z.transform(
    (env: z.output<typeof environmentSchema>): Config => ({
      dryRun: env.SPOT_DRAINER_DRY_RUN,
      deadlinePolicy: env.SPOT_DRAINER_DEADLINE_POLICY,
      forceDeleteLeadMs: env.SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS,
      evictDaemonSetPods: env.SPOT_DRAINER_EVICT_DAEMONSET_PODS,
      deleteEmptyDirData: env.SPOT_DRAINER_DELETE_EMPTYDIR_DATA,
      evictionConcurrency: env.SPOT_DRAINER_EVICTION_CONCURRENCY,
      excludeFromLoadBalancers: env.SPOT_DRAINER_EXCLUDE_FROM_LOAD_BALANCERS,
      waitForEmpty: env.SPOT_DRAINER_WAIT_FOR_EMPTY,
      podEvents: env.SPOT_DRAINER_POD_EVENTS,
      deadlineSafetyMs: env.SPOT_DRAINER_DEADLINE_SAFETY_SECONDS,
      cordonOnly: env.SPOT_DRAINER_CORDON_ONLY,
      taintNode: env.SPOT_DRAINER_TAINT_NODE,
      podTerminationGracePeriodSeconds: env.SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS,
      outOfServiceTaint: env.SPOT_DRAINER_OUT_OF_SERVICE_TAINT,
      rebalanceAction: env.SPOT_DRAINER_REBALANCE_ACTION,
      maintenanceAction: env.SPOT_DRAINER_MAINTENANCE_ACTION,
      lifecycleHookTimeoutSeconds: env.SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS,
      kubeconfigSource: env.SPOT_DRAINER_KUBECONFIG_SOURCE,
      clusterName: env.SPOT_DRAINER_CLUSTER_NAME,
      managedTag: env.SPOT_DRAINER_MANAGED_TAG,
      instanceLookup: env.SPOT_DRAINER_INSTANCE_LOOKUP,
      aksClusters: env.SPOT_DRAINER_AKS_CLUSTERS,
      clusterDisplayName: env.CLUSTER,
      slackUrl: env.SLACK_URL,
      slackChannel: env.SLACK_CHANNEL,
      webhookUrl: env.SPOT_DRAINER_WEBHOOK_URL,
      webhookTemplate: env.SPOT_DRAINER_WEBHOOK_TEMPLATE,
      webhookHeaders: env.SPOT_DRAINER_WEBHOOK_HEADERS,
      webhookProxy: env.SPOT_DRAINER_WEBHOOK_PROXY,
      notifyTimeoutMs: env.SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS,
      continuationQueueUrl: env.SPOT_DRAINER_CONTINUATION_QUEUE_URL,
      continuationDelaySeconds: env.SPOT_DRAINER_CONTINUATION_DELAY_SECONDS,
      continuationMaxDeliveries: env.SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES,
      deadLetterQueueUrl: env.SPOT_DRAINER_DEAD_LETTER_QUEUE_URL,
      logLevel: env.LOG_LEVEL,
    }),
  ),
);

/**
 * A SettingDoc with the environment variable it documents and its schema (variable's text in, the
 * setting's value out), from which the deployment templates' rules are checked (test/unit/infra).
 */
export interface DocumentedSetting extends SettingDoc {
  variable: string;
  schema: z.ZodMiniType;
}

/** Every variable with its documentation, in schema order. */
export function documentedSettings(): DocumentedSetting[] {
  return Object.entries(environmentSchema.shape).map(([variable, schema]) => {
    const doc = settingDocs.get(schema);
    if (!doc) throw new Error(`${variable} has no documentation`);
    return { variable, schema, ...doc };
  });
}

// ---------------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------------

/** Reads and validates every setting; a ConfigError lists all the bad ones at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(describeIssues(result.error.issues, env));
}

function describeIssues(issues: readonly z.core.$ZodIssue[], env: NodeJS.ProcessEnv): ConfigIssue[] {
  const details = new Map<string, string[]>();
  for (const issue of issues) {
    const variable = String(issue.path[0] ?? '');
    const list = details.get(variable) ?? [];
    if (issue.code === 'custom' && issue.params?.detail === true) list.push(issue.message);
    details.set(variable, list);
  }
  return [...details].map(([variable, variableDetails]) => {
    const doc = settingDocs.get(environmentSchema.shape[variable as keyof typeof environmentSchema.shape]);
    const expected = `${variable}: expected ${doc?.expects ?? 'a valid value'}`;
    const message =
      variableDetails.length > 0
        ? `${expected} (${variableDetails.join('; ')})`
        : `${expected}, ${shownValue(env[variable], doc?.secret === true)}`;
    return { variable, message };
  });
}

const SHOWN_VALUE_MAX = 80;

function shownValue(value: string | undefined, secret: boolean): string {
  if (secret) return 'got a value that is not shown (it may be a credential)';
  const text = (value ?? '').trim();
  const shown = text.length > SHOWN_VALUE_MAX ? `${text.slice(0, SHOWN_VALUE_MAX)}…` : text;
  return `got ${JSON.stringify(shown)}`;
}

// ---------------------------------------------------------------------------------------------------
// Views for the parts that use a subset
// ---------------------------------------------------------------------------------------------------

/** The drain engine's subset of the configuration (durations in ms, as in Config). */
export function drainSettingsFrom(config: Config): DrainSettings {
  return {
    dryRun: config.dryRun,
    deadlinePolicy: config.deadlinePolicy,
    forceDeleteLeadMs: config.forceDeleteLeadMs,
    evictDaemonSetPods: config.evictDaemonSetPods,
    deleteEmptyDirData: config.deleteEmptyDirData,
    evictionConcurrency: config.evictionConcurrency,
    excludeFromLoadBalancers: config.excludeFromLoadBalancers,
    waitForEmpty: config.waitForEmpty,
    podEvents: config.podEvents,
    deadlineSafetyMs: config.deadlineSafetyMs,
    cordonOnly: config.cordonOnly,
    taintNode: config.taintNode,
    podTerminationGracePeriodSeconds: config.podTerminationGracePeriodSeconds,
    outOfServiceTaint: config.outOfServiceTaint,
  };
}

/** The `options` of the event parsers' ParseContext. */
export function parseOptionsFrom(config: Config): Required<ParseOptions> {
  return {
    rebalanceAction: config.rebalanceAction,
    maintenanceAction: config.maintenanceAction,
    lifecycleHookTimeoutSeconds: config.lifecycleHookTimeoutSeconds,
  };
}

// ---------------------------------------------------------------------------------------------------
// Deployment parameters that set no variable of the function
// ---------------------------------------------------------------------------------------------------

/**
 * A parameter of serverless.yml (`params.default`) and/or infra/azure/main.bicep that shapes the stack
 * rather than the function: documented in docs/configuration.md, and its defaults checked against both
 * templates by test/unit/infra/settings-wiring.test.ts.
 */
export interface DeploymentParameter {
  /** The serverless.yml param and its default, as `params.default` writes it (switches are strings). */
  serverless?: { name: string; default: string };
  /** The Bicep parameter and its default. */
  bicep?: { name: string; default: string | number | boolean };
  expects: string;
  description: string;
}

/** Every DeploymentParameter. */
export const DEPLOYMENT_PARAMETERS: readonly DeploymentParameter[] = [
  {
    serverless: { name: 'createDashboard', default: 'true' },
    bicep: { name: 'createWorkbook', default: true },
    expects: 'true or false',
    description:
      'Create the CloudWatch dashboard (AWS) or the Azure Monitor workbook (Azure) of interruptions, time to cordon and deadlines met or missed (docs/metrics.md). On by default: they only read metrics the function writes anyway (a dashboard costs a few dollars a month beyond the free ones, a workbook nothing). The missed-deadline alarm exists either way.',
  },
];

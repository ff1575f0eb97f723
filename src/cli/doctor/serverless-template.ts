/**
 * What an AWS deployment should hold, read from the same source the deployed template comes from:
 * serverless.yml with its params (`params.default`, then `params.<stage>`, then `--param name=value`,
 * as osls resolves them) and infra/aws/render.cjs for the parts rendered at package time. The doctor
 * never keeps its own list of rule names or patterns.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineMappingTag, defineScalarTag, defineSequenceTag, load, Schema, YAML11_SCHEMA } from 'js-yaml';
import { projectPath } from '../../local-cluster/project-root.ts';
import { UsageError } from '../input.ts';

/** One EventBridge rule of the template. */
export interface ExpectedRule {
  /** The CloudFormation logical id, e.g. `SpotInterruptionWarningRule`. */
  logicalId: string;
  /** The rule name, e.g. `spot-drainer-prod-spot-interruption-warning`. */
  name: string;
  /** The event pattern, with the package-time parts rendered. */
  pattern: Record<string, unknown>;
  /** The param that switches it (`enableSpotInterruptionWarning`), and whether it is on. */
  switchParam: string;
  enabled: boolean;
}

/** The deployment serverless.yml describes for one stage and region. */
export interface AwsDeployment {
  stage: string;
  region: string;
  params: Record<string, string>;
  clusterName: string;
  /** `spot-drainer-<stage>-drainer`. */
  functionName: string;
  /** The function's IAM role name (osls: `<service>-<stage>-<region>-lambdaRole`). */
  roleName: string;
  rules: ExpectedRule[];
  /** The Kubernetes groups of the EKS access entry; undefined when `createEksAccessEntry` is off. */
  accessEntryGroups?: string[];
  lifecycleHookNames: string[];
  asgNamePrefix: string;
  /** SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS as deployed: the deadline the handler assumes. */
  lifecycleHookTimeoutSeconds: number;
  /** `key` or `key=value`; '' when unset. */
  managedTag: string;
}

// biome-ignore lint/suspicious/noExplicitAny: serverless.yml is walked loosely on purpose
type Json = Record<string, any>;

/** `!Sub x` → `{ 'Fn::Sub': x }`, `!Ref x` → `{ Ref: x }`: CloudFormation's short forms, loaded as data. */
const intrinsic = (tagName: string, value: unknown) => {
  const name = tagName.slice(1);
  return { [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value };
};

/** YAML 1.1 (what osls reads) plus every `!Tag` of CloudFormation's short forms, scalar, list or map. */
const CFN_SCHEMA = new Schema([
  ...YAML11_SCHEMA.tags,
  defineScalarTag('!', {
    matchByTagPrefix: true,
    resolve: (source, _explicit, tagName) => intrinsic(tagName, source),
    identify: () => false,
  }),
  defineSequenceTag<{ tag: string; items: unknown[] }, unknown>('!', {
    matchByTagPrefix: true,
    create: (tag) => ({ tag, items: [] }),
    addItem: (carrier, item) => {
      carrier.items.push(item);
    },
    finalize: (carrier) => intrinsic(carrier.tag, carrier.items),
    identify: () => false,
  }),
  defineMappingTag<{ tag: string; map: Json }, Json>('!', {
    matchByTagPrefix: true,
    create: (tag) => ({ tag, map: {} }),
    addPair: (carrier, key, value) => {
      carrier.map[String(key)] = value;
      return '';
    },
    has: (carrier, key) => String(key) in carrier.map,
    keys: (result) => Object.keys(result),
    get: (result, key) => result[String(key)],
    finalize: (carrier) => intrinsic(carrier.tag, carrier.map),
    identify: () => false,
  }),
]);

// `${self:custom.<fragment>.${param:<switch>}}`, or `${switch(<switch>):<fragment>}` (infra/aws/deployment-check.cjs).
const SWITCHED = /^\$\{self:custom\.(\w+)\.\$\{param:(\w+)\}\}$/;
const SWITCH_SOURCE = /^\$\{switch\((\w+)\):(\w+)\}$/;
const RENDERED = /^\$\{file\(\.\/infra\/aws\/render\.cjs\):(\w+)\}$/;

/** The params osls would resolve: the defaults, the stage's block, then the command line's. */
function resolveParams(template: Json, stage: string, overrides: Record<string, string>) {
  const params: Record<string, string> = {};
  for (const block of [template.params?.default, template.params?.[stage], overrides])
    for (const [key, value] of Object.entries(block ?? {})) params[key] = String(value);
  return params;
}

function substitute(text: string, vars: { service: string; stage: string; params: Record<string, string> }) {
  // osls variables, not template literals.
  return text
    .replace(/\$\{self:service\}/g, vars.service)
    .replace(/\$\{sls:stage\}/g, vars.stage)
    .replace(/\$\{param:(\w+)\}/g, (_, name: string) => vars.params[name] ?? '');
}

/** A rule's pattern with `${file(./infra/aws/render.cjs):x}` rendered by render.cjs itself. */
async function renderPattern(pattern: Json, params: Record<string, string>): Promise<Json> {
  const render = createRequire(import.meta.url)(projectPath('infra/aws/render.cjs')) as Record<
    string,
    (context: { resolveVariable: (name: string) => Promise<string | undefined> }) => Promise<unknown>
  >;
  const resolveVariable = async (variable: string) => params[variable.replace(/^param:/, '')];
  const out: Json = {};
  for (const [key, value] of Object.entries(pattern)) {
    const rendered = typeof value === 'string' ? RENDERED.exec(value)?.[1] : undefined;
    if (rendered && render[rendered]) out[key] = await render[rendered]({ resolveVariable });
    else if (value && typeof value === 'object' && !Array.isArray(value))
      out[key] = await renderPattern(value, params);
    else out[key] = value;
  }
  return out;
}

/** The switched fragments of `resources`: `${self:custom.<fragment>.${param:<switch>}}` or `${switch(<switch>):<fragment>}`. */
function switchedFragments(template: Json) {
  return ((template.resources ?? []) as unknown[]).flatMap((entry) => {
    if (typeof entry !== 'string') return [];
    const custom = SWITCHED.exec(entry);
    const source = SWITCH_SOURCE.exec(entry);
    const fragment = custom?.[1] ?? source?.[2];
    const switchParam = custom?.[2] ?? source?.[1];
    if (!fragment || !switchParam) return [];
    const resources = (template.custom?.[fragment]?.true?.Resources ?? {}) as Json;
    return [{ switchParam, resources }];
  });
}

/**
 * Reads serverless.yml (default: the project's) for `stage` and `region` with the `--param` overrides.
 * Throws a UsageError when clusterName is not given (serverless.yml's default is empty on purpose).
 */
export async function readAwsDeployment(
  stage: string,
  region: string,
  overrides: Record<string, string>,
  path = projectPath('serverless.yml'),
): Promise<AwsDeployment> {
  const template = load(readFileSync(path, 'utf8'), { schema: CFN_SCHEMA }) as Json;
  const service = String(template.service);
  const params = resolveParams(template, stage, overrides);
  if (!params.clusterName) throw new UsageError('doctor --cloud aws: pass --param clusterName=<EKS cluster>');
  const vars = { service, stage, params };
  const rules: ExpectedRule[] = [];
  let accessEntryGroups: string[] | undefined;
  for (const { switchParam, resources } of switchedFragments(template)) {
    const enabled = params[switchParam] === 'true';
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type === 'AWS::Events::Rule') {
        const name = substitute(String(resource.Properties.Name), vars);
        const pattern = await renderPattern(resource.Properties.EventPattern, params);
        rules.push({ logicalId, name, pattern, switchParam, enabled });
      }
      if (resource.Type === 'AWS::EKS::AccessEntry' && enabled)
        accessEntryGroups = resource.Properties.KubernetesGroups as string[];
    }
  }
  const split = (value = '') =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  return {
    stage,
    region,
    params,
    clusterName: params.clusterName,
    functionName: `${service}-${stage}-${Object.keys(template.functions ?? { drainer: {} })[0]}`,
    roleName: template.provider?.iam?.role?.name ?? `${service}-${stage}-${region}-lambdaRole`,
    rules,
    ...(accessEntryGroups ? { accessEntryGroups } : {}),
    lifecycleHookNames: split(params.lifecycleHookName),
    asgNamePrefix: params.asgNamePrefix ?? '',
    lifecycleHookTimeoutSeconds: Number(params.lifecycleHookTimeoutSeconds),
    managedTag: params.managedTag ?? '',
  };
}

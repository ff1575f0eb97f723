/**
 * What an Azure deployment should hold, read from the Bicep it was deployed from: main.bicep's parameter
 * defaults (overridden by `--param name=value`, as `az deployment sub create --parameters` does),
 * modules/events.bicep's system topics and event subscriptions (names, topic types, the switch of each),
 * modules/app.bicep's names for the Function App and its identity, and the data actions of the custom
 * role. Read from source with patterns: no Bicep compiler installs from the npm registry.
 */
import { readFileSync } from 'node:fs';
import { projectPath } from '../../local-cluster/project-root.ts';

/** One event subscription of a system topic. */
export interface ExpectedSubscription {
  name: string;
  /** The main.bicep parameter that switches it (`enableScheduledEvents`), and whether it is on. */
  switchParam: string;
  enabled: boolean;
}

/** One system topic and its subscriptions. */
export interface ExpectedTopic {
  name: string;
  topicType: string;
  subscriptions: ExpectedSubscription[];
}

/** The deployment main.bicep describes with the given parameters. */
export interface AzureDeployment {
  params: Record<string, string>;
  resourceGroupName: string;
  namePrefix: string;
  /** `func-<namePrefix>-` and `id-<namePrefix>-func-`: the names before the deployment's own suffix. */
  functionAppPrefix: string;
  identityPrefix: string;
  /** The function Event Grid delivers to (`spotDrainer`). */
  functionName: string;
  topics: ExpectedTopic[];
  /** The custom role's data actions for Azure RBAC for Kubernetes authorization. */
  aksRbacDataActions: string[];
}

const read = (path: string) => readFileSync(projectPath(path), 'utf8');

/** `param name type = default` (strings, booleans, numbers) of a Bicep file. */
function parameterDefaults(source: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [, name = '', value = ''] of source.matchAll(/^param (\w+) \w+ = ('[^']*'|true|false|\d+)$/gm))
    params[name] = value.replace(/^'|'$/g, '');
  return params;
}

/** `'evgt-${namePrefix}-health-resources'` with the parameters filled in. */
function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\$\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
}

/** The subscriptions of one `var all<Kind>Subscriptions = [...]` list. */
function subscriptionsOf(source: string, list: string, params: Record<string, string>) {
  const block = new RegExp(`^var ${list} = \\[([\\s\\S]*?)^\\]`, 'm').exec(source)?.[1] ?? '';
  return [...block.matchAll(/name: '([^']+)'\s+enabled: (\w+)/g)].map(([, name = '', switchParam = '']) => ({
    name,
    switchParam,
    enabled: params[switchParam] !== 'false',
  }));
}

/** The system topics of events.bicep: `resource x 'Microsoft.EventGrid/systemTopics@…' = if (!empty(<list>))`. */
function topicsOf(source: string, params: Record<string, string>): ExpectedTopic[] {
  const names = new Map(
    [...source.matchAll(/^var (\w+TopicName) = '([^']+)'$/gm)].map(([, variable = '', value = '']) => [
      variable,
      fill(value, params),
    ]),
  );
  const resource =
    /^resource \w+ 'Microsoft\.EventGrid\/systemTopics@[^']+' = if \(!empty\((\w+)\)\) \{\s+name: (\w+)[\s\S]*?topicType: '([^']+)'/gm;
  return [...source.matchAll(resource)].map(([, filtered = '', nameVariable = '', topicType = '']) => {
    const list = new RegExp(`^var ${filtered} = filter\\((\\w+),`, 'm').exec(source)?.[1] ?? '';
    return {
      name: names.get(nameVariable) ?? nameVariable,
      topicType,
      subscriptions: subscriptionsOf(source, list, params),
    };
  });
}

/** Reads infra/azure for the given `--param` overrides. */
export function readAzureDeployment(overrides: Record<string, string>): AzureDeployment {
  const main = read('infra/azure/main.bicep');
  const events = read('infra/azure/modules/events.bicep');
  const app = read('infra/azure/modules/app.bicep');
  const params = { ...parameterDefaults(main), ...overrides };
  const prefix = (pattern: RegExp, source: string) =>
    fill((pattern.exec(source)?.[1] ?? '').replace(/\$\{suffix\}$/, ''), params);
  const actions = /^param aksRbacDataActions array = \[([\s\S]*?)^\]/m.exec(main)?.[1] ?? '';
  return {
    params,
    resourceGroupName: params.resourceGroupName ?? '',
    namePrefix: params.namePrefix ?? '',
    functionAppPrefix: prefix(/^var functionAppName = '([^']+)'$/m, app),
    identityPrefix: prefix(/^resource functionIdentity [^\n]+\n\s+name: '([^']+)'$/m, app),
    functionName: parameterDefaults(events).functionName ?? 'spotDrainer',
    topics: topicsOf(events, params),
    aksRbacDataActions: [...actions.matchAll(/'([^']+)'/g)].map(([, action = '']) => action),
  };
}

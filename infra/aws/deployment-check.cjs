// osls plugin (serverless.yml `plugins`): before `package` (so also `deploy`) and `deploy function`
// build anything, checks the resolved configuration with infra/aws/deployment-check.ts, which validates
// the function's environment with the same schema as the function's cold start (src/config.ts). A
// problem fails the command with one line per problem, each naming the param to change.
'use strict';

const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

/** Params as `${param:...}` resolves them: `--param`, then `params.<stage>`, then `params.default`. */
function resolvedParams(serverless, stage) {
  const params = {};
  const configured = serverless.configurationInput?.params ?? {};
  for (const source of [configured.default, configured[stage]]) {
    for (const [name, value] of Object.entries(source ?? {})) {
      if (value !== null && value !== undefined) params[name] = String(value);
    }
  }
  for (const item of serverless.processedInput?.options?.param ?? []) {
    const separator = item.indexOf('=');
    if (separator > 0) params[item.slice(0, separator)] = item.slice(separator + 1).trimEnd();
  }
  return params;
}

/** The resources whose names the stack sets: those of `resources`, the functions and the role osls adds. */
function namedResources(serverless, provider, nameProperties) {
  const named = [];
  for (const [logicalId, resource] of Object.entries(serverless.service.resources?.Resources ?? {})) {
    const property = nameProperties[resource?.Type]?.property;
    const name = property && resource.Properties?.[property];
    if (name !== undefined) named.push({ logicalId, type: resource.Type, name });
  }
  for (const [key, fn] of Object.entries(serverless.service.functions ?? {})) {
    named.push({
      logicalId: provider.naming.getLambdaLogicalId(key),
      type: 'AWS::Lambda::Function',
      name: fn.name,
    });
  }
  const role = serverless.service.provider.iam?.role;
  if (typeof role !== 'string') {
    named.push({
      logicalId: provider.naming.getRoleLogicalId(),
      type: 'AWS::IAM::Role',
      name: provider.naming.getRoleName(),
    });
  }
  return named;
}

class SpotDrainerDeploymentCheck {
  constructor(serverless) {
    this.serverless = serverless;
    const check = () => this.check();
    this.hooks = {
      'before:package:initialize': check,
      'before:deploy:function:initialize': check,
    };
    // `${switch(<param>):<fragment>}`: `custom.<fragment>.true` when the param is 'true', `false` (no
    // fragment) when it is 'false', and for anything else an error naming the param: variables are
    // resolved before any hook runs, so this is where a bad switch can be named.
    this.configurationVariablesSources = {
      // `${stackRef:<LogicalId>}`: `{ Ref: <LogicalId> }` in the template. `serverless invoke local`
      // resolves a Ref only against a deployed stack (with credentials); there it is the empty string,
      // which leaves the setting unset, as it is outside AWS.
      stackRef: {
        resolve: async ({ address }) => {
          const [command, subcommand] = serverless.processedInput?.commands ?? [];
          if (command === 'invoke' && subcommand === 'local') return { value: '' };
          return { value: { Ref: address } };
        },
      },
      switch: {
        resolve: async ({ address, params, resolveVariable }) => {
          const [param] = params ?? [];
          if (!param || !address) {
            throw new serverless.classes.Error(
              'switch: name the param and the custom fragment, as in switch(enableVpc):vpc',
            );
          }
          const value = String((await resolveVariable(`param:${param}`)) ?? '').trim();
          if (value === 'false') return { value: false };
          if (value === 'true') return { value: await resolveVariable(`self:custom.${address}.true`) };
          throw new serverless.classes.Error(
            `${param}: expected 'true' or 'false', got ${JSON.stringify(value)} (infra/README.md, Parameters)`,
          );
        },
      },
    };
  }

  async check() {
    const { deploymentProblems, NAME_LIMITS } = await import(
      pathToFileURL(join(__dirname, 'deployment-check.ts')).href
    );
    const serverless = this.serverless;
    const provider = serverless.getProvider('aws');
    const stage = provider.getStage();
    const region = provider.getRegion();
    const params = resolvedParams(serverless, stage);
    const resources = namedResources(serverless, provider, NAME_LIMITS);
    const problems = [];
    for (const fn of Object.values(serverless.service.functions ?? {})) {
      const environment = { ...serverless.service.provider.environment, ...fn.environment };
      problems.push(...deploymentProblems({ stage, region, params, environment, resources }));
    }
    const unique = [...new Set(problems)];
    if (unique.length === 0) return;
    throw new serverless.classes.Error(
      `spot-drainer: this deployment would fail (settings: docs/configuration.md, params: infra/README.md):\n${unique.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
}

module.exports = SpotDrainerDeploymentCheck;

// infra/aws/deployment-check.ts: what packaging refuses before it builds anything. serverless.test.ts
// runs it through osls (the plugin's wiring); this covers each rule without packaging.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  DEPLOY_PARAMS,
  type Deployment,
  deploymentProblems,
  REQUIRED_PARAMS,
} from '../../../infra/aws/deployment-check.ts';
import { DEPLOYMENT_PARAMETERS, documentedSettings } from '../../../src/config.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const defaults = (
  load(readFileSync(join(root, 'serverless.yml'), 'utf8').replace(/!(?:Ref|Sub|GetAtt|Split)\b/g, '')) as {
    params: { default: Record<string, unknown> };
  }
).params.default;

/** The deployment serverless.yml renders from its defaults, with a cluster name and the given changes. */
function deployment(
  params: Record<string, string> = {},
  environment: Record<string, unknown> = {},
  stage = 'prod',
): Deployment {
  const resolved = { ...Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, String(v)])) };
  Object.assign(resolved, { clusterName: 'shop', clusterDisplayName: 'shop' }, params);
  // The environment as serverless.yml sets it from the params.
  const env: Record<string, unknown> = {};
  for (const setting of documentedSettings()) {
    const param = [setting.serverless ?? []].flat()[0];
    if (param !== undefined) env[setting.variable] = resolved[param];
  }
  return {
    stage,
    region: 'eu-west-1',
    params: resolved,
    environment: { ...env, LOG_LEVEL: resolved.logLevel, ...environment },
    resources: [
      {
        logicalId: 'CapacityReservationInterruptionRule',
        type: 'AWS::Events::Rule',
        name: `spot-drainer-${stage}-capacity-reservation-interruption`,
      },
      {
        logicalId: 'IamRoleLambdaExecution',
        type: 'AWS::IAM::Role',
        name: { 'Fn::Join': ['-', ['spot-drainer', stage, { Ref: 'AWS::Region' }, 'lambdaRole']] },
      },
    ],
  };
}

describe('infra/aws/deployment-check.ts', () => {
  it('finds nothing wrong with the defaults and a cluster name', () => {
    expect(deploymentProblems(deployment())).toEqual([]);
  });

  it('refuses what the function would refuse at cold start, naming the param and the variable', () => {
    const problems = deploymentProblems(
      deployment({ dryRun: 'maybe', evictionConcurrency: '-3', rebalanceAction: 'drian' }),
    );
    expect(problems).toEqual([
      'dryRun (SPOT_DRAINER_DRY_RUN): expected true or false (also 1/0, yes/no), got "maybe"',
      'evictionConcurrency (SPOT_DRAINER_EVICTION_CONCURRENCY): expected an integer from 1 to 500, got "-3"',
      'rebalanceAction (SPOT_DRAINER_REBALANCE_ACTION): expected cordon or drain, got "drian"',
    ]);
  });

  it('never repeats the value of a secret setting', () => {
    const [problem] = deploymentProblems(deployment({ slackUrl: 'http://hooks.example.com/T000/XyZzy' }));
    expect(problem).toMatch(/^slackUrl \(SLACK_URL\): expected/);
    expect(problem).not.toContain('XyZzy');
  });

  it('leaves values CloudFormation resolves at deployment to the function', () => {
    expect(
      deploymentProblems(
        deployment(
          {},
          {
            SLACK_URL: '{{resolve:secretsmanager:spot-drainer/slack:SecretString:url}}',
            SPOT_DRAINER_WEBHOOK_URL: { 'Fn::GetAtt': ['Hook', 'Url'] },
          },
        ),
      ),
    ).toEqual([]);
  });

  it('checks numbers and booleans a stage gives as YAML scalars as the text the function reads', () => {
    expect(
      deploymentProblems(
        deployment({}, { SPOT_DRAINER_EVICTION_CONCURRENCY: 0, SPOT_DRAINER_DRY_RUN: true }),
      ),
    ).toEqual([
      'evictionConcurrency (SPOT_DRAINER_EVICTION_CONCURRENCY): expected an integer from 1 to 500, got "0"',
    ]);
  });

  it('says which required param is missing and how to pass it', () => {
    const problems = deploymentProblems(deployment({ clusterName: '' }));
    expect(Object.keys(REQUIRED_PARAMS)).toContain('clusterName');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^clusterName is required: .*`--param clusterName=<value>`.*params\.<stage>/);
  });

  it('needs subnets and security groups with enableVpc=true, and real ids', () => {
    expect(deploymentProblems(deployment({ enableVpc: 'true' }))).toEqual([
      'securityGroupIds: enableVpc=true needs securityGroupIds (comma-separated ids), got ""',
      'subnetIds: enableVpc=true needs subnetIds (comma-separated ids), got ""',
    ]);
    expect(
      deploymentProblems(
        deployment({
          enableVpc: 'true',
          securityGroupIds: 'sg-0123456789abcdef0',
          subnetIds: 'subnet-1,vpc-0a',
        }),
      ),
    ).toEqual(['subnetIds: "subnet-1", "vpc-0a" are not a subnet id, got "subnet-1,vpc-0a"']);
    expect(
      deploymentProblems(
        deployment({
          enableVpc: 'true',
          securityGroupIds: 'sg-0123456789abcdef0',
          subnetIds: 'subnet-0123456789abcdef0, subnet-0fedcba9',
        }),
      ),
    ).toEqual([]);
    // ids without enableVpc are not used, but still checked
    expect(deploymentProblems(deployment({ subnetIds: 'subnet-x' }))).toHaveLength(1);
  });

  it('checks the stack params that are not settings', () => {
    expect(
      deploymentProblems(
        deployment({
          createEksAccessEntry: 'yes',
          reservedConcurrency: 'many',
          alarmTopicArn: 'platform-alerts',
          kubeconfigKmsKeyArn: 'alias/spot-drainer',
          lifecycleHookName: ' , ',
        }),
      ).map((problem) => problem.split(':')[0]),
    ).toEqual([
      'createEksAccessEntry',
      'kubeconfigKmsKeyArn',
      'lifecycleHookName',
      'reservedConcurrency',
      'alarmTopicArn',
    ]);
  });

  it('names the longest stage that fits when the stage makes a name too long', () => {
    // spot-drainer-<stage>-capacity-reservation-interruption: 47 characters besides the stage
    const fits = 'a'.repeat(17);
    expect(deploymentProblems(deployment({}, {}, fits))).toEqual([]);
    const problems = deploymentProblems(deployment({}, {}, `${fits}b`));
    expect(problems).toEqual([
      'stage "aaaaaaaaaaaaaaaaab" (18 characters) makes names longer than AWS allows: use a stage name of at most 17 characters',
      `AWS::Events::Rule CapacityReservationInterruptionRule: the name "spot-drainer-${fits}b-capacity-reservation-interruption" is 65 characters long, AWS allows 64`,
    ]);
  });

  it('evaluates names built with Fn::Join and pseudo parameters (the role osls adds)', () => {
    // spot-drainer-<stage>-eu-west-1-lambdaRole: 34 characters besides the stage; the rule needs 47
    const problems = deploymentProblems(deployment({}, {}, 'x'.repeat(31)));
    expect(problems.some((problem) => problem.startsWith('AWS::IAM::Role IamRoleLambdaExecution'))).toBe(
      true,
    );
    expect(problems[0]).toMatch(/at most 17 characters$/);
  });

  it('documents every param serverless.yml defines, and checks only params it defines', () => {
    const settingParams = documentedSettings().flatMap((setting) => [setting.serverless ?? []].flat());
    const known = new Set([
      ...settingParams,
      ...DEPLOY_PARAMS.map((param) => param.name),
      ...DEPLOYMENT_PARAMETERS.flatMap((param) => (param.serverless ? [param.serverless.name] : [])),
    ]);
    const undocumented = Object.keys(defaults).filter((name) => !known.has(name));
    expect(
      undocumented,
      'add each to DEPLOY_PARAMS (or to the settings or DEPLOYMENT_PARAMETERS in src/config.ts)',
    ).toEqual([]);
    for (const param of DEPLOY_PARAMS) expect(defaults, param.name).toHaveProperty(param.name);
  });
});

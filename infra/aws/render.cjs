// Parts of the CloudFormation template that depend on optional osls params, rendered at package time
// by serverless.yml (`${file(./infra/aws/render.cjs):<name>}`), so the packaged template holds only
// what the params ask for: no `Fn::If` over a package-time value, no empty ARN in a policy that a
// condition switches off (cfn-lint reads both branches), no resource that can never be created.
//
// Each export receives osls' resolver and returns a value or a `resources` fragment (`false` = no
// fragment; osls drops `false` items of the resources list).
'use strict';

const param = async (resolveVariable, name) => {
  const value = await resolveVariable(`param:${name}`);
  return value === undefined || value === null ? '' : String(value).trim();
};

const list = (value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

// ---------------------------------------------------------------------------------------------------
// Secret references: `ssm:<name or ARN>` / `secretsmanager:<name or ARN>` read by the function at run
// time (src/cloud/aws/kubeconfig-secret.ts). Anything else (an https URL, `file:`, a CloudFormation
// dynamic reference resolved at deploy time) needs no permission.
// ---------------------------------------------------------------------------------------------------

const REFERENCE_PARAMS = ['kubeconfigSource', 'slackUrl', 'webhookUrl', 'webhookHeaders'];

/** The IAM resource of one reference, or undefined when the value is not a reference. */
function referenceResource(value) {
  const separator = value.indexOf(':');
  if (separator <= 0) return undefined;
  const scheme = value.slice(0, separator);
  const name = value.slice(separator + 1).trim();
  if (scheme === 'ssm' && name) {
    if (name.startsWith('arn:')) return { service: 'ssm', resource: name };
    // A parameter ARN is `...:parameter/<name without its leading slash>`; hierarchical names start
    // with '/', plain names do not.
    const path = name.startsWith('/') ? name : `/${name}`;
    return {
      service: 'ssm',
      resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${path}`,
      },
    };
  }
  if (scheme === 'secretsmanager' && name) {
    // Secrets Manager appends '-' and 6 random characters to a secret's name in its ARN.
    if (name.startsWith('arn:')) {
      const complete = /:secret:.+-[A-Za-z0-9]{6}$/.test(name);
      return { service: 'secretsmanager', resource: complete ? name : `${name}-??????` };
    }
    return {
      service: 'secretsmanager',
      resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${name}-??????`,
      },
    };
  }
  if ((scheme === 'ssm' || scheme === 'secretsmanager') && !name) {
    throw new Error(`a ${scheme}: reference must name the ${scheme === 'ssm' ? 'parameter' : 'secret'}`);
  }
  return undefined;
}

/** Permissions the configured references need, as described for the tests and docs. */
async function secretReferences({ resolveVariable }) {
  const references = [];
  for (const name of REFERENCE_PARAMS) {
    const found = referenceResource(await param(resolveVariable, name));
    if (found) references.push({ param: name, ...found });
  }
  return references;
}

/**
 * One policy with exactly what the configured references need: ssm:GetParameter on each parameter,
 * secretsmanager:GetSecretValue on each secret, kms:Decrypt on the customer managed keys through the
 * services in use. `false` when nothing is referenced.
 */
async function secretReferencesPolicy({ resolveVariable }) {
  const references = await secretReferences({ resolveVariable });
  const keys = list(await param(resolveVariable, 'kubeconfigKmsKeyArn'));
  if (references.length === 0) return false;
  const statements = [];
  const unique = (items) => {
    const seen = new Set();
    return items.filter((item) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  const of = (service) => unique(references.filter((r) => r.service === service).map((r) => r.resource));
  const parameters = of('ssm');
  const secrets = of('secretsmanager');
  if (parameters.length > 0) {
    statements.push({
      Sid: 'ReadReferencedParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: parameters,
    });
  }
  if (secrets.length > 0) {
    statements.push({
      Sid: 'ReadReferencedSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: secrets,
    });
  }
  if (keys.length > 0) {
    const services = [];
    if (parameters.length > 0) services.push({ 'Fn::Sub': `ssm.\${AWS::Region}.amazonaws.com` });
    if (secrets.length > 0) services.push({ 'Fn::Sub': `secretsmanager.\${AWS::Region}.amazonaws.com` });
    statements.push({
      Sid: 'DecryptReferencedValues',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keys,
      Condition: { StringEquals: { 'kms:ViaService': services } },
    });
  }
  return {
    Resources: {
      SecretReferencesPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'secret-references',
          Roles: [{ Ref: 'IamRoleLambdaExecution' }],
          PolicyDocument: { Version: '2012-10-17', Statement: statements },
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Auto Scaling terminate lifecycle rule: only the hooks spot-drainer was asked to handle
// ---------------------------------------------------------------------------------------------------

/**
 * `detail` of the lifecycle rule's pattern: the hook names (`lifecycleHookName`, comma-separated), and
 * the group name prefix (`asgNamePrefix`) when one is set. EKS managed node groups' own hooks and
 * anybody else's are not matched, so the function never completes them.
 */
async function lifecycleRuleDetail({ resolveVariable }) {
  const hooks = list(await param(resolveVariable, 'lifecycleHookName'));
  if (hooks.length === 0) {
    throw new Error('lifecycleHookName must name the terminate lifecycle hook(s) spot-drainer completes');
  }
  const prefix = await param(resolveVariable, 'asgNamePrefix');
  return {
    LifecycleHookName: hooks,
    LifecycleTransition: ['autoscaling:EC2_INSTANCE_TERMINATING'],
    ...(prefix && { AutoScalingGroupName: [{ prefix }] }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Optional properties
// ---------------------------------------------------------------------------------------------------

/** Reserved concurrency of the function when `reservedConcurrency` is set; `false` otherwise. */
async function reservedConcurrency({ resolveVariable }) {
  const value = await param(resolveVariable, 'reservedConcurrency');
  if (value === '') return false;
  if (!/^\d+$/.test(value)) throw new Error(`reservedConcurrency must be a whole number, got "${value}"`);
  return {
    extensions: { DrainerLambdaFunction: { Properties: { ReservedConcurrentExecutions: Number(value) } } },
  };
}

/** The dead-letter alarm's actions: the SNS topic `alarmTopicArn`, or none. */
async function alarmActions({ resolveVariable }) {
  const topic = await param(resolveVariable, 'alarmTopicArn');
  return topic ? [topic] : [];
}

module.exports = {
  secretReferences,
  secretReferencesPolicy,
  lifecycleRuleDetail,
  reservedConcurrency,
  alarmActions,
};

// infra/aws/render.cjs: the parts of the CloudFormation template serverless.yml renders from optional
// params at package time. Packaging covers the wiring (serverless.test.ts); this covers each case of
// the rules without packaging.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const render = createRequire(import.meta.url)('../../../infra/aws/render.cjs') as Record<
  string,
  (options: { resolveVariable: (name: string) => Promise<unknown> }) => Promise<unknown>
>;

const withParams = (params: Record<string, string>) => ({
  resolveVariable: async (name: string) => params[name.replace(/^param:/, '')] ?? '',
});

const statementsFor = async (params: Record<string, string>) => {
  // biome-ignore lint/suspicious/noExplicitAny: a CloudFormation fragment
  const fragment = (await render.secretReferencesPolicy!(withParams(params))) as any;
  return fragment === false
    ? false
    : fragment.Resources.SecretReferencesPolicy.Properties.PolicyDocument.Statement;
};

describe('infra/aws/render.cjs: permissions for secret references', () => {
  it.each([
    [
      'ssm:/spot-drainer/kubeconfig',
      `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/spot-drainer/kubeconfig`,
    ],
    ['ssm:kubeconfig', `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/kubeconfig`],
  ])('%s: ssm:GetParameter on exactly that parameter', async (reference, arn) => {
    const [statement] = await statementsFor({ kubeconfigSource: reference });
    expect(statement).toEqual({
      Sid: 'ReadReferencedParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: [{ 'Fn::Sub': arn }],
    });
  });

  it('takes a parameter or secret ARN as it is (adding the random suffix a partial secret ARN lacks)', async () => {
    const statements = await statementsFor({
      kubeconfigSource: 'ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/kube/config',
      slackUrl: 'secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbC123',
      webhookUrl: 'secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook',
    });
    expect(statements).toEqual([
      expect.objectContaining({ Resource: ['arn:aws:ssm:eu-west-1:123456789012:parameter/kube/config'] }),
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: [
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbC123',
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-??????',
        ],
      }),
    ]);
  });

  it('grants nothing for URLs, dynamic references and files, and no KMS without a reference', async () => {
    expect(
      await statementsFor({
        slackUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
        webhookUrl: '{{resolve:secretsmanager:spot-drainer/webhook:SecretString:url}}',
        kubeconfigSource: 'file:/tmp/kubeconfig',
        kubeconfigKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/0b7a3e3e-1111-4222-8333-444455556666',
      }),
    ).toBe(false);
  });

  it('decrypts with the customer managed key only through the services in use', async () => {
    const statements = await statementsFor({
      slackUrl: 'secretsmanager:spot-drainer/slack',
      kubeconfigKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/0b7a3e3e-1111-4222-8333-444455556666',
    });
    expect(statements.at(-1)).toEqual({
      Sid: 'DecryptReferencedValues',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: ['arn:aws:kms:us-east-1:123456789012:key/0b7a3e3e-1111-4222-8333-444455556666'],
      Condition: {
        StringEquals: { 'kms:ViaService': [{ 'Fn::Sub': `secretsmanager.\${AWS::Region}.amazonaws.com` }] },
      },
    });
  });

  it('refuses a reference that names nothing', async () => {
    await expect(statementsFor({ kubeconfigSource: 'ssm:' })).rejects.toThrow(/must name the parameter/);
  });
});

describe('infra/aws/render.cjs: lifecycle rule and optional properties', () => {
  it('matches only the named hooks, and the group prefix when set', async () => {
    expect(
      await render.lifecycleRuleDetail!(withParams({ lifecycleHookName: 'spot-drainer-terminate' })),
    ).toEqual({
      LifecycleHookName: ['spot-drainer-terminate'],
      LifecycleTransition: ['autoscaling:EC2_INSTANCE_TERMINATING'],
    });
    expect(
      await render.lifecycleRuleDetail!(
        withParams({ lifecycleHookName: 'a, b', asgNamePrefix: 'eks-spot-' }),
      ),
    ).toEqual({
      LifecycleHookName: ['a', 'b'],
      LifecycleTransition: ['autoscaling:EC2_INSTANCE_TERMINATING'],
      AutoScalingGroupName: [{ prefix: 'eks-spot-' }],
    });
    await expect(render.lifecycleRuleDetail!(withParams({}))).rejects.toThrow(/lifecycleHookName/);
  });

  it('renders reserved concurrency and alarm actions only when set', async () => {
    expect(await render.reservedConcurrency!(withParams({}))).toBe(false);
    expect(await render.reservedConcurrency!(withParams({ reservedConcurrency: '5' }))).toEqual({
      extensions: { DrainerLambdaFunction: { Properties: { ReservedConcurrentExecutions: 5 } } },
    });
    await expect(render.reservedConcurrency!(withParams({ reservedConcurrency: 'many' }))).rejects.toThrow();
    expect(await render.alarmActions!(withParams({}))).toEqual([]);
    expect(await render.alarmActions!(withParams({ alarmTopicArn: 'arn:aws:sns:us-east-1:1:t' }))).toEqual([
      'arn:aws:sns:us-east-1:1:t',
    ]);
  });
});

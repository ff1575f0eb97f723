import { describe, expect, it } from 'vitest';
import { jsonLogger } from './logging.ts';
import { REDACTED, redact, redactText } from './redact.ts';

const EKS_TOKEN =
  'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eQ';
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzcG90LWRyYWluZXIifQ.c2lnbmF0dXJlLXBhcnQ';
const SLACK_URL = 'https://hooks.slack.com/services/T0001/B0001/SlackPathToken0123456789';

describe('redact', () => {
  it.each([
    'token',
    'accessToken',
    'lifecycleActionToken',
    'Authorization',
    'password',
    'clientSecret',
    'kubeconfig',
    'SLACK_URL',
    'slackUrl',
    'SPOT_DRAINER_WEBHOOK_URL',
    'webhook',
    'apiKey',
    'credential',
  ])('replaces the value of %s', (key) => {
    expect(redact({ [key]: 'value', other: 'kept' })).toEqual({ [key]: REDACTED, other: 'kept' });
  });

  it.each(['secretName', 'tokenExpiresAt', 'kubeconfigSource', 'node', 'url'])(
    'keeps the value of %s',
    (key) => {
      expect(redact({ [key]: 'value' })).toEqual({ [key]: 'value' });
    },
  );

  it('looks into nested objects, arrays and errors', () => {
    const error = Object.assign(new Error(`401 with Bearer ${JWT}`), { code: 'Unauthorized' });
    const fields = redact({
      request: { headers: { authorization: `Bearer ${EKS_TOKEN}` }, path: '/api/v1/nodes/n1' },
      attempts: [{ token: 'abc' }, `token ${EKS_TOKEN}`],
      error,
    });

    expect(fields).toEqual({
      request: { headers: { authorization: REDACTED }, path: '/api/v1/nodes/n1' },
      attempts: [{ token: REDACTED }, `token k8s-aws-v1.${REDACTED}`],
      error: { name: 'Error', message: `401 with Bearer ${REDACTED}`, code: 'Unauthorized' },
    });
  });

  it('survives cycles and keeps numbers, booleans and dates', () => {
    const node: Record<string, unknown> = { name: 'n1', ready: false, pods: 3 };
    node.self = node;
    const at = new Date('2025-01-01T00:00:00Z');

    expect(redact({ node, at })).toEqual({
      node: { name: 'n1', ready: false, pods: 3, self: '[Circular]' },
      at,
    });
  });
});

describe('redactText', () => {
  it.each([
    ['an EKS token', `token=${EKS_TOKEN} end`, `token=k8s-aws-v1.${REDACTED} end`],
    ['a JWT', `got ${JWT}.`, `got ${REDACTED}.`],
    ['a bearer header', 'Authorization: Bearer abc.DEF-123_x', `Authorization: Bearer ${REDACTED}`],
    [
      'a Slack webhook URL',
      `posting to ${SLACK_URL} failed`,
      `posting to https://hooks.slack.com/${REDACTED} failed`,
    ],
    [
      'a Teams workflow URL',
      'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=AbC123',
      `https://prod-12.westeurope.logic.azure.com/${REDACTED}`,
    ],
    [
      'a signed query',
      'https://example.com/hook?sig=AbC123&team=ops',
      `https://example.com/hook?sig=${REDACTED}&team=ops`,
    ],
    [
      'a token in a URL path',
      'https://alerts.example.com/hooks/a1b2c3d4e5f6g7h8i9j0k1l2',
      `https://alerts.example.com/hooks/${REDACTED}`,
    ],
    ['user info in a URL', 'https://admin:hunter2@example.com/x', 'https://example.com/x'],
  ])('masks %s', (_case, text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it('leaves ordinary URLs and names as written', () => {
    const text =
      'GET https://ABC.gr7.eu-west-1.eks.amazonaws.com/api/v1/namespaces/default/pods/web-7d9f8c6b5-x2k4z 404';
    expect(redactText(text)).toBe(text);
  });
});

describe('redactingLogger', () => {
  it('keeps tokens out of what the inner logger writes', () => {
    const lines: string[] = [];
    const logger = jsonLogger({ level: 'debug', write: (line) => lines.push(line) });

    logger.debug(`token ${EKS_TOKEN}`);
    logger.info('calling the API', { headers: { Authorization: `Bearer ${JWT}` }, slackUrl: SLACK_URL });
    logger.warn('notification failed', { detail: `POST ${SLACK_URL}` });
    logger.error('eks', { error: new Error(`presigned ${EKS_TOKEN}`) });

    const output = lines.join('\n');
    expect(lines).toHaveLength(4);
    for (const secret of [EKS_TOKEN, JWT, 'SlackPathToken', 'aHR0cHM6Ly9'])
      expect(output).not.toContain(secret);
    expect(JSON.parse(lines[1]!)).toMatchObject({ message: 'calling the API', slackUrl: REDACTED });
  });
});

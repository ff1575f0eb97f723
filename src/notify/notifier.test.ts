import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogFields, Logger } from '../logging.ts';
import {
  createNotifier,
  NOTIFY_MARGIN_MS,
  type NotifySettings,
  requestTimeoutMs,
  shouldNotify,
} from './notifier.ts';
import { blockedPod, drainReport, missedDeadlineReport } from './report.fixture.ts';
import { resolverReading } from './secret-url.fixture.ts';

interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that answers each path as told (default 200 "ok"). */
interface Receiver {
  origin: string;
  requests: ReceivedRequest[];
  answer(path: string, response: { status?: number; body?: string; hang?: boolean; location?: string }): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const answers = new Map<string, { status?: number; body?: string; hang?: boolean; location?: string }>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      requests.push({
        method: request.method ?? '',
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = answers.get(path) ?? {};
      if (answer.hang) return;
      response.writeHead(answer.status ?? 200, answer.location ? { location: answer.location } : {});
      response.end(answer.body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    answer: (path, response) => answers.set(path, response),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface LogEntry {
  level: string;
  message: string;
  fields?: LogFields;
}

function capturingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      entries.push({ level, message, ...(fields ? { fields } : {}) });
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

// The path tokens play the part of the credentials in real webhook URLs.
const SLACK_PATH = '/services/T0001/B0001/SlackPathToken0123456789';
const WEBHOOK_PATH = '/workflows/WebhookPathToken9876543210';
const machine = { noun: 'EC2 instance', id: 'i-0123456789abcdef0' } as const;

let receiver: Receiver;
let log: ReturnType<typeof capturingLogger>;

beforeEach(async () => {
  receiver = await startReceiver();
  log = capturingLogger();
});

afterEach(async () => {
  await receiver.close();
});

function settings(overrides: Partial<NotifySettings> = {}): NotifySettings {
  return {
    slackUrl: `${receiver.origin}${SLACK_PATH}`,
    slackChannel: '#spot',
    webhookUrl: `${receiver.origin}${WEBHOOK_PATH}`,
    notifyTimeoutMs: 2000,
    clusterDisplayName: 'prod-eu',
    ...overrides,
  };
}

function expectNoSecretInLogs(): void {
  const logged = JSON.stringify(log.entries);
  for (const secret of ['SlackPathToken', 'WebhookPathToken', receiver.origin, '127.0.0.1']) {
    expect(logged).not.toContain(secret);
  }
}

describe('createNotifier', () => {
  it('posts exactly one request to each target', async () => {
    const notifier = createNotifier(settings(), { logger: log.logger });

    await notifier.notify(drainReport(), { machine });

    expect(receiver.requests.map((request) => [request.method, request.path]).sort()).toEqual([
      ['POST', SLACK_PATH],
      ['POST', WEBHOOK_PATH],
    ]);
    const slack = receiver.requests.find((request) => request.path === SLACK_PATH)!;
    expect(slack.headers['content-type']).toBe('application/json');
    const message = JSON.parse(slack.body);
    expect(message.channel).toBe('#spot');
    expect(message.text).toBe(
      'Drained node ip-10-0-1-23.eu-west-1.compute.internal (cluster prod-eu) after spot interruption: 14 of 14 pods evicted; deadline met',
    );
    expect(JSON.stringify(message.blocks)).toContain('cordon 85 ms, total 31250 ms');
    expect(log.entries.filter((entry) => entry.message === 'notification sent')).toHaveLength(2);
    expectNoSecretInLogs();
  });

  it('tells Slack which pods PodDisruptionBudgets still held and that the deadline was missed', async () => {
    const notifier = createNotifier(settings({ webhookUrl: undefined }), { logger: log.logger });
    const report = missedDeadlineReport([blockedPod('payments', 'api-0'), blockedPod('payments', 'api-1')]);

    await notifier.notify(report, { machine });

    expect(receiver.requests).toHaveLength(1);
    const message = JSON.parse(receiver.requests[0]!.body);
    expect(message.text).toContain('Partially drained node ip-10-0-1-23.eu-west-1.compute.internal');
    expect(message.text).toContain('12 of 14 pods evicted, 2 blocked by PDBs; deadline missed');
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('deadline missed');
    expect(blocks).toContain('payments/api-0');
    expect(blocks).toContain('payments/api-1');
  });

  it('renders the webhook template, JSON-escaping the values', async () => {
    const node = 'node "quoted" \\ back\nslash';
    const template =
      '{"text": "{{summary}}", "node": "{{node}}", "evicted": {{evicted}}, "met": {{deadlineMet}}}';
    const notifier = createNotifier(settings({ slackUrl: undefined, webhookTemplate: template }), {
      logger: log.logger,
    });

    await notifier.notify(drainReport({ node }), { machine });

    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request.body);
    expect(body).toEqual({ text: expect.stringContaining(node), node, evicted: 14, met: true });
  });

  it('posts the summary as JSON when there is no template', async () => {
    const notifier = createNotifier(settings({ slackUrl: undefined }), { logger: log.logger });

    await notifier.notify(drainReport(), { machine, cluster: 'ignored: CLUSTER wins' });

    const body = JSON.parse(receiver.requests[0]!.body);
    expect(body).toMatchObject({
      node: 'ip-10-0-1-23.eu-west-1.compute.internal',
      cluster: 'prod-eu',
      machineId: 'i-0123456789abcdef0',
      kind: 'spot-interruption',
      outcome: 'completed',
      evicted: 14,
      evictable: 14,
      deadlineStatus: 'met',
      durationMs: 31250,
    });
  });

  it('names the cluster the handler knows when CLUSTER is not set', async () => {
    const notifier = createNotifier(settings({ slackUrl: undefined, clusterDisplayName: undefined }), {
      logger: log.logger,
    });

    await notifier.notify(drainReport(), { machine, cluster: 'aks-prod' });

    expect(JSON.parse(receiver.requests[0]!.body).cluster).toBe('aks-prod');
  });

  it('logs a 500 with its status, Slack error code included, and does not throw', async () => {
    receiver.answer(SLACK_PATH, { status: 500, body: 'no_service' });
    receiver.answer(WEBHOOK_PATH, { status: 500, body: `echo ${WEBHOOK_PATH}` });
    const notifier = createNotifier(settings(), { logger: log.logger });

    await expect(notifier.notify(drainReport(), { machine })).resolves.toBeUndefined();

    const failures = log.entries.filter((entry) => entry.message === 'notification failed');
    expect(failures.map((entry) => [entry.level, entry.fields]).sort()).toEqual([
      ['warn', { target: 'slack', setting: 'SLACK_URL', status: 500, response: 'no_service' }],
      ['warn', { target: 'webhook', setting: 'SPOT_DRAINER_WEBHOOK_URL', status: 500 }],
    ]);
    expectNoSecretInLogs();
  });

  it('gives up on a target that does not answer in time', async () => {
    receiver.answer(WEBHOOK_PATH, { hang: true });
    // Long enough for the answering target (Slack) on a loaded machine, shorter than the others' 2 s.
    const notifier = createNotifier(settings({ notifyTimeoutMs: 1000 }), { logger: log.logger });
    const timeouts = vi.spyOn(AbortSignal, 'timeout');

    // The receiver never answers: notify() returns only because the configured timeout (1 s, not the
    // 2 s of the other tests) aborted the request; no bound on the wall clock is needed to show it.
    await notifier.notify(drainReport(), { machine });

    expect(timeouts.mock.calls.map(([ms]) => ms)).toEqual([1000, 1000]);
    timeouts.mockRestore();
    expect(log.entries).toContainEqual({
      level: 'warn',
      message: 'notification failed',
      fields: { target: 'webhook', setting: 'SPOT_DRAINER_WEBHOOK_URL', error: 'TimeoutError' },
    });
    expect(log.entries).toContainEqual(expect.objectContaining({ message: 'notification sent' }));
    expectNoSecretInLogs();
  });

  it('cuts the request timeout to end before the function time does (notify timeout at its 60 s maximum)', async () => {
    receiver.answer(WEBHOOK_PATH, { hang: true });
    const notifier = createNotifier(settings({ notifyTimeoutMs: 60_000 }), { logger: log.logger });
    const started = Date.now();

    await notifier.notify(drainReport(), { machine, timeLeftMs: () => 400 });

    // Not the configured 60 s: the request ended with the function's time.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(log.entries).toContainEqual({
      level: 'warn',
      message: 'notification failed',
      fields: { target: 'webhook', setting: 'SPOT_DRAINER_WEBHOOK_URL', error: 'TimeoutError' },
    });
  });

  it.each([
    [5000, undefined, 5000],
    [5000, 60_000, 5000],
    [60_000, 10_000, 10_000 - NOTIFY_MARGIN_MS],
    [5000, NOTIFY_MARGIN_MS, 1],
    [5000, 0, 1],
    [1, 10_000, 1],
  ])('request timeout: notify timeout %s ms, function time left %s ms → %s ms', (timeout, left, expected) => {
    expect(requestTimeoutMs(timeout, left)).toBe(expected);
  });

  it('logs a refused connection by its code', async () => {
    const origin = receiver.origin;
    await receiver.close();
    const notifier = createNotifier(settings({ slackUrl: `${origin}${SLACK_PATH}`, webhookUrl: undefined }), {
      logger: log.logger,
    });

    await notifier.notify(drainReport(), { machine });

    expect(log.entries).toEqual([
      {
        level: 'warn',
        message: 'notification failed',
        fields: { target: 'slack', setting: 'SLACK_URL', error: 'TypeError', code: 'ECONNREFUSED' },
      },
    ]);
    expect(JSON.stringify(log.entries)).not.toContain('SlackPathToken');
    receiver = await startReceiver();
  });

  it('does not follow a redirect', async () => {
    receiver.answer(WEBHOOK_PATH, { status: 307, location: '/elsewhere' });
    const notifier = createNotifier(settings({ slackUrl: undefined }), { logger: log.logger });

    await notifier.notify(drainReport(), { machine });

    expect(receiver.requests.map((request) => request.path)).toEqual([WEBHOOK_PATH]);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ fields: expect.objectContaining({ status: 307 }) }),
    );
  });

  it('sends nothing for a duplicate delivery or a dry run', async () => {
    const notifier = createNotifier(settings(), { logger: log.logger });

    await notifier.notify(drainReport({ markedByThisInvocation: false }), { machine });
    await notifier.notify(drainReport({ dryRun: true, outcome: 'dry-run' }), { machine });

    expect(receiver.requests).toEqual([]);
    expect(log.entries.map((entry) => entry.fields?.reason)).toEqual([
      'the marks were written by an earlier delivery',
      'dry run',
    ]);
  });

  it('sends a duplicate or a dry run when forced', async () => {
    const notifier = createNotifier(settings({ webhookUrl: undefined }), { logger: log.logger });

    await notifier.notify(drainReport({ dryRun: true, outcome: 'dry-run', markedByThisInvocation: false }), {
      machine,
      force: true,
    });

    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body).text).toMatch(/^\[dry run\] Would drain node /);
  });

  it('reads a URL kept as a secret once, and logs a secret it cannot use without its value', async () => {
    let reads = 0;
    const resolveUrl = resolverReading({
      readAwsReference: async (reference) => {
        reads += 1;
        return reference === 'ssm:/spot-drainer/slack' ? `${receiver.origin}${SLACK_PATH}\n` : 'not a url';
      },
    });
    const notifier = createNotifier(
      settings({ slackUrl: 'ssm:/spot-drainer/slack', webhookUrl: 'secretsmanager:broken' }),
      { logger: log.logger, resolveUrl },
    );

    await notifier.notify(drainReport(), { machine });
    await notifier.notify(drainReport({ eventId: 'evt-2' }), { machine });

    expect(receiver.requests.map((request) => request.path)).toEqual([SLACK_PATH, SLACK_PATH]);
    expect(reads).toBe(3); // the slack reference once; the failed one again on the next notification
    expect(log.entries).toContainEqual({
      level: 'warn',
      message: 'notification not sent',
      fields: {
        target: 'webhook',
        setting: 'SPOT_DRAINER_WEBHOOK_URL',
        error: 'Error',
        reason:
          'the secret named by the secretsmanager: reference does not hold an https URL (value not shown: it is a credential)',
      },
    });
    expectNoSecretInLogs();
  });

  it('does nothing without targets', async () => {
    const notifier = createNotifier(settings({ slackUrl: undefined, webhookUrl: undefined }), {
      logger: log.logger,
    });

    await notifier.notify(drainReport(), { machine });

    expect(receiver.requests).toEqual([]);
    expect(log.entries).toEqual([]);
  });
});

describe('shouldNotify', () => {
  it.each([
    [true, false, false, true],
    [false, false, false, false],
    [true, true, false, false],
    [false, true, true, true],
  ])('markedByThisInvocation %s, dryRun %s, force %s: %s', (marked, dryRun, force, expected) => {
    expect(shouldNotify(drainReport({ markedByThisInvocation: marked, dryRun }), { force })).toBe(expected);
  });
});

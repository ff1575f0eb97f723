import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../logging.ts';
import { parseWebhookHeaders } from './headers.ts';
import { createNotifier, type NotifySettings } from './notifier.ts';
import { drainReport } from './report.fixture.ts';
import { createSecretTextResolver } from './secret-url.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
}

interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket> = new Set()): Promise<Listening> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A webhook receiver on loopback recording each request's path and headers. */
async function startReceiver() {
  const requests: Received[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests.push({ path: request.url ?? '', headers: request.headers });
      response.end('ok');
    });
  });
  return { requests, ...(await listen(server)) };
}

/**
 * A forward proxy on loopback, as a corporate proxy behaves: CONNECT opens a tunnel to the named host and
 * port (recorded with the Proxy-Authorization it came with); a request in absolute form is recorded too
 * and refused, so a client that does not tunnel is caught. `refuse` answers every CONNECT 407.
 */
async function startProxy(options: { refuse?: boolean } = {}) {
  const connects: { target: string; proxyAuthorization?: string }[] = [];
  const forwarded: string[] = [];
  const server = createServer((request, response) => {
    forwarded.push(request.url ?? '');
    response.writeHead(502).end();
  });
  server.on('connect', (request, client: Socket, head: Buffer) => {
    connects.push({
      target: request.url ?? '',
      ...(request.headers['proxy-authorization']
        ? { proxyAuthorization: request.headers['proxy-authorization'] }
        : {}),
    });
    if (options.refuse) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (request.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return { connects, forwarded, ...(await listen(server)) };
}

function capturingLogger(): {
  logger: Logger;
  entries: { level: string; message: string; fields?: LogFields }[];
} {
  const entries: { level: string; message: string; fields?: LogFields }[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => {
    entries.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

const machine = { noun: 'EC2 instance', id: 'i-0123456789abcdef0' } as const;
const HEADER_SECRET = 'HeaderSecretValue123';
const PROXY_PASSWORD = 'ProxyPassword456';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let log: ReturnType<typeof capturingLogger>;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  receiver = await startReceiver();
  closers.push(receiver.close);
  log = capturingLogger();
});

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function settings(overrides: Partial<NotifySettings> = {}): NotifySettings {
  return {
    webhookUrl: `http://127.0.0.1:${receiver.port}/hook`,
    slackUrl: `http://127.0.0.1:${receiver.port}/slack`,
    notifyTimeoutMs: 3000,
    ...overrides,
  };
}

describe('SPOT_DRAINER_WEBHOOK_HEADERS', () => {
  it('sends the headers with the generic webhook only, a Content-Type replacing the default', async () => {
    const headers = JSON.stringify({
      Authorization: `Bearer ${HEADER_SECRET}`,
      'X-Team': 'platform',
      'Content-Type': 'application/vnd.alerts+json',
    });
    const notifier = createNotifier(settings({ webhookHeaders: headers }), { logger: log.logger });

    await notifier.notify(drainReport(), { machine });

    const hook = receiver.requests.find((request) => request.path === '/hook');
    const slack = receiver.requests.find((request) => request.path === '/slack');
    expect(hook?.headers).toMatchObject({
      authorization: `Bearer ${HEADER_SECRET}`,
      'x-team': 'platform',
      'content-type': 'application/vnd.alerts+json',
    });
    expect(slack?.headers.authorization).toBeUndefined();
    expect(slack?.headers['content-type']).toBe('application/json');
    expect(JSON.stringify(log.entries)).not.toContain(HEADER_SECRET);
  });

  it('reads the headers from the secret store once, and logs an unusable secret without its value', async () => {
    let reads = 0;
    const resolveText = createSecretTextResolver({
      readers: {
        ssm: async (reference) => {
          reads += 1;
          return reference === 'ssm:/spot/headers'
            ? `{"X-Api-Key":"${HEADER_SECRET}"}\n`
            : `{"X-Api-Key":"${HEADER_SECRET}\\r\\nInjected: 1"}`;
        },
      },
    });
    const good = createNotifier(settings({ slackUrl: undefined, webhookHeaders: 'ssm:/spot/headers' }), {
      logger: log.logger,
      resolveText,
    });
    await good.notify(drainReport(), { machine });
    await good.notify(drainReport({ eventId: 'evt-2' }), { machine });
    expect(receiver.requests.map((request) => request.headers['x-api-key'])).toEqual([
      HEADER_SECRET,
      HEADER_SECRET,
    ]);
    expect(reads).toBe(1);

    const bad = createNotifier(settings({ slackUrl: undefined, webhookHeaders: 'ssm:/spot/bad' }), {
      logger: log.logger,
      resolveText,
    });
    await bad.notify(drainReport({ eventId: 'evt-3' }), { machine });
    expect(receiver.requests).toHaveLength(2);
    expect(log.entries).toContainEqual({
      level: 'warn',
      message: 'notification not sent',
      fields: expect.objectContaining({
        target: 'webhook',
        reason: expect.stringContaining('"X-Api-Key" holds a line break or control character'),
      }),
    });
    expect(JSON.stringify(log.entries)).not.toContain(HEADER_SECRET);
  });

  it('parses names case-insensitively into lower case and refuses framing headers', () => {
    expect(parseWebhookHeaders('{"X-Token":"a","Accept":"text/plain"}')).toEqual({
      'x-token': 'a',
      accept: 'text/plain',
    });
    expect(() => parseWebhookHeaders('{"Transfer-Encoding":"chunked"}')).toThrow(/set by the HTTP client/);
  });
});

describe('SPOT_DRAINER_WEBHOOK_PROXY', () => {
  it('sends every notification through the proxy with CONNECT, its credentials as Proxy-Authorization', async () => {
    const proxy = await startProxy();
    closers.push(proxy.close);
    const notifier = createNotifier(
      settings({
        webhookProxy: `http://spot:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`,
        webhookHeaders: JSON.stringify({ Authorization: `Bearer ${HEADER_SECRET}` }),
      }),
      { logger: log.logger },
    );

    await notifier.notify(drainReport(), { machine });

    expect(proxy.forwarded).toEqual([]);
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
    for (const tunnel of proxy.connects) {
      expect(tunnel.target).toBe(`127.0.0.1:${receiver.port}`);
      expect(tunnel.proxyAuthorization).toBe(
        `Basic ${Buffer.from(`spot:${PROXY_PASSWORD}`).toString('base64')}`,
      );
    }
    // Both arrived, through the tunnel, the webhook with its headers.
    expect(receiver.requests.map((request) => request.path).sort()).toEqual(['/hook', '/slack']);
    expect(receiver.requests.find((request) => request.path === '/hook')?.headers.authorization).toBe(
      `Bearer ${HEADER_SECRET}`,
    );
    expect(log.entries.filter((entry) => entry.message === 'notification sent')).toHaveLength(2);
  });

  it('logs a proxy that refuses the tunnel without its credentials, and sends nothing around it', async () => {
    const proxy = await startProxy({ refuse: true });
    closers.push(proxy.close);
    const notifier = createNotifier(
      settings({
        slackUrl: undefined,
        webhookProxy: `http://spot:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`,
      }),
      { logger: log.logger },
    );

    await notifier.notify(drainReport(), { machine });

    expect(proxy.connects).toHaveLength(1);
    expect(receiver.requests).toEqual([]);
    const failures = log.entries.filter((entry) => entry.message === 'notification failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.fields).toMatchObject({ target: 'webhook' });
    expect(JSON.stringify(log.entries)).not.toContain(PROXY_PASSWORD);
  });
});

/**
 * SPOT_DRAINER_WEBHOOK_PROXY: notifications through an HTTP proxy (aws-node-termination-handler
 * `webhookProxy`), tunnelled with https-proxy-agent (https://github.com/TooTallNate/proxy-agents), the
 * proxy agent the Azure SDK uses too. It is loaded on first use only, so a function without a proxy does
 * not pay for it at cold start; and it is small (undici's ProxyAgent brought 740 KB, over half of the
 * Lambda's whole code budget of 1 MiB, for one optional setting).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A fetch that sends every request through one proxy. */
export type ProxiedFetch = typeof globalThis.fetch;

/** Statuses whose answer has no body (a Response refuses one). */
const NO_BODY = new Set([101, 204, 205, 304]);

function toResponse(res: IncomingMessage, body: Buffer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers))
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, one);
  const status = res.statusCode ?? 0;
  return new Response(NO_BODY.has(status) ? null : body, { status, statusText: res.statusMessage, headers });
}

/**
 * A fetch through the proxy at `proxyUrl` (`http://[user:pass@]host:port`, or https), tunnelling every
 * request with CONNECT (also to an http target), as corporate proxies expect for https; the proxy's
 * credentials go in Proxy-Authorization. Supports what the notifier sends: a method, headers, a string
 * body and an abort signal; redirects are never followed (as `redirect: 'manual'`). Made once per URL
 * and kept (one keep-alive agent). Rejects only if the agent cannot be loaded; the URL, which may hold
 * credentials, is never put in an error by this module.
 */
export function proxiedFetch(proxyUrl: string): Promise<ProxiedFetch> {
  let made = agents.get(proxyUrl);
  if (!made) {
    made = import('https-proxy-agent').then(({ HttpsProxyAgent }) => {
      const agent = new HttpsProxyAgent(proxyUrl, { keepAlive: true });
      return ((input: Parameters<ProxiedFetch>[0], init: Parameters<ProxiedFetch>[1] = {}) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const headers = Object.fromEntries(new Headers(init.headers));
        return new Promise<Response>((resolve, reject) => {
          const req = send(
            url,
            { method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('error', reject);
              res.on('end', () => resolve(toResponse(res, Buffer.concat(chunks))));
            },
          );
          req.on('error', reject);
          req.end(init.body === undefined || init.body === null ? undefined : String(init.body));
        });
      }) as ProxiedFetch;
    });
    agents.set(proxyUrl, made);
  }
  return made;
}

const agents = new Map<string, Promise<ProxiedFetch>>();

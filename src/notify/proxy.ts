/**
 * SPOT_DRAINER_WEBHOOK_PROXY: notifications through an HTTP proxy (aws-node-termination-handler
 * `webhookProxy`), with undici's ProxyAgent (https://undici.nodejs.org/#/docs/api/ProxyAgent). undici is
 * loaded on first use only, so a function without a proxy does not pay for it at cold start.
 */

/** A fetch that sends every request through one proxy. */
export type ProxiedFetch = typeof globalThis.fetch;

/**
 * A fetch through the proxy at `proxyUrl` (`http://[user:pass@]host:port`, or https), tunnelling every
 * request with CONNECT (also to an http target), as corporate proxies expect for https. Made once per
 * URL and kept (one connection pool). Rejects only if undici cannot be loaded; the URL, which may hold
 * credentials, is never put in an error by this module.
 */
export function proxiedFetch(proxyUrl: string): Promise<ProxiedFetch> {
  let made = agents.get(proxyUrl);
  if (!made) {
    made = import('undici').then(({ ProxyAgent, fetch }) => {
      const dispatcher = new ProxyAgent({ uri: proxyUrl, proxyTunnel: true });
      return ((input: Parameters<ProxiedFetch>[0], init?: Parameters<ProxiedFetch>[1]) =>
        fetch(input as Parameters<typeof fetch>[0], {
          ...(init as Parameters<typeof fetch>[1]),
          dispatcher,
        })) as unknown as ProxiedFetch;
    });
    agents.set(proxyUrl, made);
  }
  return made;
}

const agents = new Map<string, Promise<ProxiedFetch>>();

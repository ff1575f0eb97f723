/**
 * TLS is always verified. A client pinned to another CA, or to none, fails with a certificate error
 * before any request is sent; so does a server name the certificate does not carry; switching
 * verification off is refused in kubeconfigs and ignored from the environment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../../src/kube/client.ts';
import { clusterAccessFromKubeconfig } from '../../../src/kube/kubeconfig.ts';
import { clusterAccessFromSource } from '../../../src/kube/kubeconfig-source.ts';
import { type ClusterCertificates, createCertificates } from '../../../src/local-cluster/certs.ts';

const TOKEN = 'c2VjcmV0LXRva2VuLWZvci10bHMtdGVzdHM';
const dirs: string[] = [];
const scratch = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
let ours: ClusterCertificates;
let theirs: ClusterCertificates;
let server: Server;
let url: string;
let served = 0;

beforeAll(async () => {
  ours = createCertificates(scratch('spot-drainer-tls-ours-'));
  theirs = createCertificates(scratch('spot-drainer-tls-theirs-'));
  server = createServer(
    { cert: readFileSync(ours.servingCert), key: readFileSync(ours.servingKey) },
    (_req, res) => {
      served++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'Node', apiVersion: 'v1', metadata: { name: 'n1' } }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const CERTIFICATE_ERROR = /CERT|SIGNATURE|ISSUER|ALTNAME|SELF_SIGNED/;

async function readNodeWith(access: Parameters<typeof createKubeClient>[0]) {
  const kube = createKubeClient(access, { requestTimeoutMs: 5000 });
  try {
    return await kube.core.readNode({ name: 'n1' });
  } finally {
    await kube.close();
  }
}

function kubeconfig(cluster: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: url, ...cluster } }],
    users: [{ name: 'u', user: { token: TOKEN } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
}

describe('TLS verification', () => {
  it('talks to the server whose certificate chains to the pinned CA (control)', async () => {
    await expect(
      readNodeWith({ server: url, caPem: readFileSync(ours.caCert, 'utf8') }),
    ).resolves.toMatchObject({
      metadata: { name: 'n1' },
    });
  });

  it('fails with a certificate error against another CA, and sends nothing', async () => {
    const before = served;
    const error = await readNodeWith({
      server: url,
      caPem: readFileSync(theirs.caCert, 'utf8'),
      token: async () => TOKEN,
    }).catch((e: unknown) => e as NodeJS.ErrnoException);
    expect(error).toBeInstanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).toMatch(CERTIFICATE_ERROR);
    expect(served).toBe(before);
  });

  it('fails with a certificate error with no CA pinned (the system roots do not know a private CA)', async () => {
    const error = await readNodeWith({ server: url }).catch((e: unknown) => e as NodeJS.ErrnoException);
    expect((error as NodeJS.ErrnoException).code).toMatch(CERTIFICATE_ERROR);
  });

  it('fails when the certificate does not name the server', async () => {
    const error = await readNodeWith({
      server: url,
      caPem: readFileSync(ours.caCert, 'utf8'),
      tlsServerName: 'api.other-cluster.example.com',
    }).catch((e: unknown) => e as NodeJS.ErrnoException);
    expect((error as NodeJS.ErrnoException).code).toMatch(CERTIFICATE_ERROR);
  });

  it('ignores NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', async () => {
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const error = await readNodeWith({ server: url, caPem: readFileSync(theirs.caCert, 'utf8') }).catch(
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      expect((error as NodeJS.ErrnoException).code).toMatch(CERTIFICATE_ERROR);
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
  });
});

describe('kubeconfigs', () => {
  it('uses the CA a kubeconfig carries (control)', async () => {
    const access = clusterAccessFromKubeconfig(
      kubeconfig({ 'certificate-authority-data': readFileSync(ours.caCert).toString('base64') }),
    );
    await expect(readNodeWith(access)).resolves.toMatchObject({ metadata: { name: 'n1' } });
  });

  it.each([
    ['alone', { 'insecure-skip-tls-verify': true }],
    ['next to a CA', { 'insecure-skip-tls-verify': true, 'certificate-authority-data': 'QUJD' }],
  ])('refuses insecure-skip-tls-verify %s, without repeating the token', (_case, cluster) => {
    let message = '';
    expect(() => {
      try {
        clusterAccessFromKubeconfig(kubeconfig(cluster));
      } catch (error) {
        message = (error as Error).message;
        throw error;
      }
    }).toThrow(/insecure-skip-tls-verify/);
    expect(message).not.toContain(TOKEN);
  });

  it('refuses it through SPOT_DRAINER_KUBECONFIG_SOURCE too', async () => {
    const file = join(scratch('spot-drainer-tls-kc-'), 'kubeconfig');
    writeFileSync(file, kubeconfig({ 'insecure-skip-tls-verify': true }));
    await expect(clusterAccessFromSource(`file:${file}`, {})).rejects.toThrow(/insecure-skip-tls-verify/);
  });
});

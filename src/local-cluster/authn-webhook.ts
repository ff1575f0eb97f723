/**
 * The API server's webhook token authenticator for the local cluster: answers TokenReviews by asking
 * each verifier in turn (EKS IAM authenticator tokens, AKS Entra tokens). Run by control-plane.ts as
 * `node authn-webhook.ts <cluster-dir> <port>`; serves HTTPS with the cluster's serving certificate.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { type LocalIdentities, loadVerifiers } from './authn/local-identities.ts';
import type { TokenVerifier } from './authn/verifier.ts';

interface TokenReview {
  apiVersion?: string;
  kind?: string;
  spec?: { token?: string };
}

async function review(verifiers: TokenVerifier[], token: string) {
  for (const verifier of verifiers) {
    const result = await verifier.verify(token, new Date());
    if (result === undefined) continue;
    if (result.ok) {
      const { username, uid, groups, extra } = result.user;
      return { authenticated: true, user: { username, uid, groups, extra } };
    }
    process.stderr.write(`${new Date().toISOString()} ${verifier.name}: refused: ${result.reason}\n`);
    return { authenticated: false, error: `${verifier.name}: ${result.reason}` };
  }
  return { authenticated: false, error: 'no verifier recognised the token' };
}

async function main(): Promise<void> {
  const [dir, port] = process.argv.slice(2);
  if (!dir || !port) throw new Error('usage: authn-webhook.ts <cluster-dir> <port>');
  const authnFile = join(dir, 'authn.json');
  const verifiers = existsSync(authnFile)
    ? loadVerifiers(JSON.parse(readFileSync(authnFile, 'utf8')) as LocalIdentities)
    : [];
  const server = createServer(
    { cert: readFileSync(join(dir, 'serving.crt')), key: readFileSync(join(dir, 'serving.key')) },
    (req, res) => {
      if (req.method === 'GET' && req.url === '/healthz') {
        res.end('ok');
        return;
      }
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', async () => {
        let status: object;
        try {
          const tokenReview = JSON.parse(body) as TokenReview;
          status = await review(verifiers, tokenReview.spec?.token ?? '');
        } catch (error) {
          status = { authenticated: false, error: `bad TokenReview: ${(error as Error).message}` };
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status }));
      });
    },
  );
  server.listen(Number(port), '127.0.0.1', () => {
    process.stderr.write(
      `token webhook on 127.0.0.1:${port} with ${verifiers.map((v) => v.name).join(', ') || 'no verifiers'}\n`,
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

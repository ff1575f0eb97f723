/**
 * EC2 DescribeInstances and EKS DescribeCluster on loopback, for running the bundled Lambda unmodified
 * (demo, `serverless invoke local`, benchmarks): point AWS_ENDPOINT_URL_EC2 and AWS_ENDPOINT_URL_EKS at it.
 * It answers what the SDK asks with the shapes AWS documents; it does not check signatures (the cluster's
 * webhook authenticator checks the EKS token, which is what matters here).
 */
import { createServer, type Server } from 'node:http';

/** An EC2 instance DescribeInstances answers with (state `running` by default). */
export interface FakeInstance {
  instanceId: string;
  privateDnsName?: string;
  zone: string;
  state?: string;
  tags: Record<string, string>;
}

/** An EKS cluster DescribeCluster answers with: its API endpoint and base64 PEM CA. */
export interface FakeCluster {
  name: string;
  endpoint: string;
  caData: string;
}

/** A running stand-in: its base URL (`http://127.0.0.1:<port>`), its instances, a request count. */
export interface FakeAws {
  url: string;
  instances: Map<string, FakeInstance>;
  requests: number;
  close(): Promise<void>;
}

const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function describeInstancesXml(found: FakeInstance[]): string {
  const items = found
    .map(
      (
        instance,
      ) => `<item><reservationId>r-${instance.instanceId.slice(2)}</reservationId><instancesSet><item>
<instanceId>${xml(instance.instanceId)}</instanceId>
<privateDnsName>${xml(instance.privateDnsName ?? '')}</privateDnsName>
<placement><availabilityZone>${xml(instance.zone)}</availabilityZone></placement>
<instanceState><code>16</code><name>${xml(instance.state ?? 'running')}</name></instanceState>
<tagSet>${Object.entries(instance.tags)
        .map(([key, value]) => `<item><key>${xml(key)}</key><value>${xml(value)}</value></item>`)
        .join('')}</tagSet>
</item></instancesSet></item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId><reservationSet>${items}</reservationSet></DescribeInstancesResponse>`;
}

function notFoundXml(id: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID '${xml(id)}' does not exist</Message></Error></Errors><RequestID>fake</RequestID></Response>`;
}

/**
 * Starts the stand-in on a free loopback port. Answers EKS `GET /clusters/<name>` (404
 * ResourceNotFoundException for unknown names) and EC2 `DescribeInstances` by instance id (400
 * InvalidInstanceID.NotFound when one is unknown); anything else gets a 400. `close()` stops it.
 */
export async function startFakeAws(
  clusters: FakeCluster[],
  instances: FakeInstance[] = [],
): Promise<FakeAws> {
  const fake: FakeAws = {
    url: '',
    instances: new Map(instances.map((instance) => [instance.instanceId, instance])),
    requests: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    fake.requests++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const cluster = url.pathname.match(/^\/clusters\/([^/]+)$/);
      if (req.method === 'GET' && cluster) {
        const found = clusters.find((c) => c.name === decodeURIComponent(cluster[1] ?? ''));
        res.setHeader('content-type', 'application/json');
        if (!found) {
          res.statusCode = 404;
          res.setHeader('x-amzn-errortype', 'ResourceNotFoundException');
          res.end(JSON.stringify({ message: `No cluster found for name: ${cluster[1]}.` }));
          return;
        }
        res.end(
          JSON.stringify({
            cluster: {
              name: found.name,
              status: 'ACTIVE',
              endpoint: found.endpoint,
              certificateAuthority: { data: found.caData },
            },
          }),
        );
        return;
      }
      const form = new URLSearchParams(body);
      if (req.method === 'POST' && form.get('Action') === 'DescribeInstances') {
        const ids = [...form.entries()]
          .filter(([key]) => key.startsWith('InstanceId.'))
          .map(([, value]) => value);
        const found = ids.map((id) => fake.instances.get(id)).filter((instance) => instance !== undefined);
        res.setHeader('content-type', 'text/xml');
        if (found.length < ids.length) {
          res.statusCode = 400;
          res.end(notFoundXml(ids.find((id) => !fake.instances.has(id)) ?? ''));
          return;
        }
        res.end(describeInstancesXml(found));
        return;
      }
      res.statusCode = 400;
      res.end(`fake AWS: unsupported request ${req.method} ${url.pathname} ${form.get('Action') ?? ''}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake AWS did not bind');
  fake.url = `http://127.0.0.1:${address.port}`;
  return fake;
}

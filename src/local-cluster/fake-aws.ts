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
/** A lifecycle action call the stand-in received (CompleteLifecycleAction, RecordLifecycleActionHeartbeat). */
export interface FakeLifecycleCall {
  action: 'CompleteLifecycleAction' | 'RecordLifecycleActionHeartbeat';
  autoScalingGroupName: string | null;
  lifecycleHookName: string | null;
  instanceId: string | null;
  lifecycleActionToken: string | null;
  lifecycleActionResult: string | null;
}

/** The running stand-in: its URL (for AWS_ENDPOINT_URL_*), what it knows and what it was asked. */
export interface FakeAws {
  url: string;
  instances: Map<string, FakeInstance>;
  /** Instance ids whose terminate lifecycle action is pending; a completed one leaves the set. */
  pendingLifecycleActions: Set<string>;
  /** Every lifecycle call answered, in order. */
  lifecycleCalls: FakeLifecycleCall[];
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

const AUTO_SCALING_XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

/**
 * Auto Scaling's Query API for a lifecycle action: records the call; answers as AWS does, with a
 * ValidationError "No active Lifecycle Action found" when no action is pending for the instance.
 */
function answerLifecycleCall(
  fake: FakeAws,
  action: FakeLifecycleCall['action'],
  form: URLSearchParams,
  res: import('node:http').ServerResponse,
): void {
  const instanceId = form.get('InstanceId');
  fake.lifecycleCalls.push({
    action,
    autoScalingGroupName: form.get('AutoScalingGroupName'),
    lifecycleHookName: form.get('LifecycleHookName'),
    instanceId,
    lifecycleActionToken: form.get('LifecycleActionToken'),
    lifecycleActionResult: form.get('LifecycleActionResult'),
  });
  res.setHeader('content-type', 'text/xml');
  if (!instanceId || !fake.pendingLifecycleActions.has(instanceId)) {
    res.statusCode = 400;
    res.end(`<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="${AUTO_SCALING_XMLNS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>No active Lifecycle Action found with instance ID ${xml(instanceId ?? '')}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
    return;
  }
  if (action === 'CompleteLifecycleAction') fake.pendingLifecycleActions.delete(instanceId);
  res.end(`<?xml version="1.0" encoding="UTF-8"?>
<${action}Response xmlns="${AUTO_SCALING_XMLNS}"><${action}Result/><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`);
}

/**
 * Starts the stand-in on a free loopback port. Answers EKS `GET /clusters/<name>` (404
 * ResourceNotFoundException for unknown names) and EC2 `DescribeInstances` by instance id (400
 * InvalidInstanceID.NotFound when one is unknown), and Auto Scaling `CompleteLifecycleAction` and
 * `RecordLifecycleActionHeartbeat` for the instances in `pendingLifecycleActions`; anything else gets a 400. `close()` stops it.
 */
export async function startFakeAws(
  clusters: FakeCluster[],
  instances: FakeInstance[] = [],
): Promise<FakeAws> {
  const fake: FakeAws = {
    url: '',
    instances: new Map(instances.map((instance) => [instance.instanceId, instance])),
    pendingLifecycleActions: new Set(),
    lifecycleCalls: [],
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
      const action = form.get('Action');
      if (
        req.method === 'POST' &&
        (action === 'CompleteLifecycleAction' || action === 'RecordLifecycleActionHeartbeat')
      ) {
        answerLifecycleCall(fake, action, form, res);
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

/**
 * One Lambda invocation in a fresh Node.js process, as Lambda runs a cold one:
 * `node bench/invoke-aws.ts <record.json>` with the EventBridge event in BENCH_EVENT, the instance's facts
 * in BENCH_INSTANCE and, for the EKS path, the cluster in BENCH_CLUSTER. Imports the bundle
 * (dist/aws/handler.mjs) and calls its handler once.
 *
 * EC2 DescribeInstances and EKS DescribeCluster are stubbed at the seam: the bundle carries its own copy
 * of the AWS SDK, which aws-sdk-client-mock cannot reach, so the SDK's standard endpoint overrides
 * (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_EKS) point it at a loopback responder in this process. The cost
 * of real EC2 and EKS calls is not what is measured here. The EKS token is real: signed with the test
 * identity's keys and verified by the cluster's webhook.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { DeliveryOutcome } from '../src/pipeline/results.ts';
import { lambdaContext } from '../test/integration/platform.ts';
import { recordInvocation } from './lib/invocation.ts';

const LAMBDA_TIMEOUT_MS = 900_000; // serverless.yml
const [recordFile] = process.argv.slice(2);
const event: unknown = JSON.parse(process.env.BENCH_EVENT ?? 'null');
const instance = JSON.parse(process.env.BENCH_INSTANCE ?? '{}') as {
  instanceId: string;
  privateDnsName: string;
  zone: string;
};
const cluster = JSON.parse(process.env.BENCH_CLUSTER ?? '{}') as {
  name?: string;
  endpoint?: string;
  caData?: string;
};

const describeInstances = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>bench</requestId>
<reservationSet><item><reservationId>r-bench</reservationId><instancesSet><item>
<instanceId>${instance.instanceId}</instanceId><privateDnsName>${instance.privateDnsName}</privateDnsName>
<placement><availabilityZone>${instance.zone}</availabilityZone></placement>
<instanceState><code>16</code><name>running</name></instanceState><tagSet/>
</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`;
const describeCluster = JSON.stringify({
  cluster: {
    name: cluster.name,
    status: 'ACTIVE',
    endpoint: cluster.endpoint,
    certificateAuthority: { data: cluster.caData },
  },
});

let describeInstancesAt: number | undefined;
const stub = createServer((request, response) => {
  const eks = request.method === 'GET' && request.url?.startsWith('/clusters/');
  if (!eks) describeInstancesAt ??= Date.now();
  request.resume().on('end', () => {
    if (eks) response.writeHead(200, { 'content-type': 'application/json' }).end(describeCluster);
    else response.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' }).end(describeInstances);
  });
});
await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
process.env.AWS_ENDPOINT_URL_EC2 = stubUrl;
process.env.AWS_ENDPOINT_URL_EKS = stubUrl;

const importStart = Date.now();
const bundle = join(import.meta.dirname, '..', 'dist', 'aws', 'handler.mjs');
const { handler } = (await import(bundle)) as {
  handler: (event: unknown, context: Context) => Promise<DeliveryOutcome>;
};
const ready = Date.now();

let outcome: DeliveryOutcome | undefined;
let failure: unknown;
try {
  outcome = await handler(event, lambdaContext(LAMBDA_TIMEOUT_MS));
} catch (error) {
  failure = error;
}
recordInvocation(recordFile ?? 'record.json', { importStart, ready, describeInstancesAt }, outcome, failure);
// Like a Lambda that is frozen after its invocation: keep-alive sockets would hold the process open.
process.exit(0);

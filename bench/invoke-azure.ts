/**
 * One Azure Function invocation in a fresh Node.js process: `node bench/invoke-azure.ts <record.json>` with
 * the Event Grid event in BENCH_EVENT and an Entra-style access token in BENCH_AKS_TOKEN. Imports the bundle
 * (dist/azure/main.mjs) and calls spotDrainer once. The managed identity is stood in for by a credential
 * that hands out that token, signed beforehand by the benchmark with the test issuer the cluster's webhook
 * trusts (one token per process), as the identity endpoint would hand out its token.
 */
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { InvocationContext } from '@azure/functions';
import type { DeliveryOutcome } from '../src/pipeline/results.ts';
import type { AzureProviderOptions } from '../src/providers/azure/provider.ts';
import { invocationContext } from '../test/integration/platform.ts';
import { recordInvocation } from './lib/invocation.ts';

const [recordFile] = process.argv.slice(2);
const event: unknown = JSON.parse(process.env.BENCH_EVENT ?? 'null');
const token = JSON.parse(process.env.BENCH_AKS_TOKEN ?? '{}') as AccessToken;
const credential: TokenCredential = { getToken: async () => token };

const importStart = Date.now();
const bundle = join(import.meta.dirname, '..', 'dist', 'azure', 'main.mjs');
const { spotDrainer } = (await import(bundle)) as {
  spotDrainer: (
    event: unknown,
    context: InvocationContext,
    overrides: Partial<Pick<AzureProviderOptions, 'credential'>>,
  ) => Promise<DeliveryOutcome>;
};
const ready = Date.now();

let outcome: DeliveryOutcome | undefined;
let failure: unknown;
try {
  const context = invocationContext((...args: unknown[]) => console.log(...args));
  outcome = await spotDrainer(event, context, { credential: () => credential });
} catch (error) {
  failure = error;
}
recordInvocation(recordFile ?? 'record.json', { importStart, ready }, outcome, failure);
process.exit(0);

import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEvent } from '../../test/fixtures/events/helpers.ts';
import { loadConfig } from '../config.ts';
import type { Interruption } from '../events/interruption.ts';
import type { EventParser } from '../events/parser.ts';
import { found } from '../events/results.ts';
import { closeCachedKubeClients } from '../kube/client-cache.ts';
import { silentLogger } from '../logging.ts';
import { clearEksClusterCache } from '../providers/aws/eks-cluster.ts';
import { createAwsProvider } from '../providers/aws/provider.ts';
import { clearAksEndpointCache } from '../providers/azure/aks-cluster.ts';
import { createAzureProvider } from '../providers/azure/provider.ts';
import { type CloudProvider, defineProvider, type Settlement } from '../providers/provider.ts';
import { createPipeline, type PipelineDeps } from './handle-delivery.ts';
import { retryReasons } from './results.ts';

const now = new Date('2026-11-20T14:03:30Z');
const spotWarning = loadEvent('aws/spot-interruption-warning.json');
const preempt = loadEvent('azure/scheduled-event-preempt.eventgrid.json');

function deps(overrides: Partial<PipelineDeps> = {}): PipelineDeps {
  const config = loadConfig({});
  return { logger: silentLogger, settings: config, parseOptions: config, now: () => now, ...overrides };
}

/** A third cloud, defined in one place: its envelope, one parser, its machines. */
interface ExampleMachine {
  readonly cloud: 'example';
  readonly vm: string;
  readonly [field: string]: string | undefined;
}
const exampleParser: EventParser = {
  source: 'example.compute',
  types: ['Preemption'],
  parse: (event) => {
    const { id, vm } = event as { id: string; vm: string };
    return found([
      {
        cloud: 'example',
        kind: 'example-preemption',
        eventId: id,
        machine: { cloud: 'example', vm },
        action: 'drain',
        eventTime: now,
        details: {},
      },
    ]);
  },
};

function exampleProvider(settled: Settlement[]): CloudProvider {
  return defineProvider<ExampleMachine>({
    cloud: 'example',
    displayName: 'Example Cloud',
    parsers: [exampleParser],
    envelope: {
      name: 'kind (Example)',
      address: (event) =>
        typeof event.kind === 'string' ? { source: 'example.compute', type: event.kind } : undefined,
    },
    secretReaders: {},
    kindLabels: { 'example-preemption': 'preemption' },
    machines: {
      noun: 'Example VM',
      is: (machine): machine is ExampleMachine =>
        machine.cloud === 'example' && typeof machine.vm === 'string',
      id: (machine) => machine.vm,
      expectedProviderId: (machine) => `example://${machine.vm}`,
      providerIdMatches: (machine, providerID) => providerID === `example://${machine.vm}`,
    },
    resolveTarget: async (_interruption, machine) =>
      machine.vm === 'theirs'
        ? { status: 'not-ours', reason: 'another cluster' }
        : { status: 'failed', reason: 'cloud API unavailable', retryable: true },
    drainHooks: () => ({
      settle: async (settlement) => {
        settled.push(settlement);
        return { action: 'ReleaseMachine', result: 'left for the retry' };
      },
    }),
  });
}

describe('handleDelivery', () => {
  afterEach(async () => {
    await closeCachedKubeClients();
    clearEksClusterCache();
    clearAksEndpointCache();
  });

  it('takes a third cloud through the same pipeline, with nothing shared edited', async () => {
    const settled: Settlement[] = [];
    const pipeline = createPipeline([exampleProvider(settled)]);
    const ours = await pipeline.handleDelivery({ kind: 'Preemption', id: 'e-1', vm: 'vm-7' }, deps());
    expect(ours.results).toEqual([
      expect.objectContaining({
        status: 'failed',
        reason: 'cloud API unavailable',
        retryable: true,
        cloudActions: [{ action: 'ReleaseMachine', result: 'left for the retry' }],
      }),
    ]);
    expect(settled).toEqual([{ status: 'failed', retryable: true }]);
    expect(retryReasons(ours.results)).toEqual(['cloud API unavailable']);

    const theirs = await pipeline.handleDelivery({ kind: 'Preemption', id: 'e-2', vm: 'theirs' }, deps());
    expect(theirs.results).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'another cluster', cloudActions: [] }),
    ]);
    expect(settled).toHaveLength(1);
  });

  it("acknowledges another cloud's events in a function that registers one provider", async () => {
    const pipeline = createPipeline([exampleProvider([])]);
    const outcome = await pipeline.handleDelivery(spotWarning, deps());
    expect(outcome).toEqual({ status: 'ignored', reason: 'not ours: no kind (Example)', results: [] });
  });

  it('refuses two providers for one cloud', () => {
    expect(() => createPipeline([exampleProvider([]), exampleProvider([])])).toThrow(
      'two providers for cloud example',
    );
  });

  it('reports an empty batch as ignored and a malformed event as invalid, touching nothing', async () => {
    const pipeline = createPipeline([exampleProvider([])]);
    expect(await pipeline.handleDelivery([], deps())).toEqual({
      status: 'ignored',
      reason: 'empty delivery',
      results: [],
    });
    expect(await pipeline.handleDelivery('nonsense', deps())).toMatchObject({
      status: 'ignored',
      results: [],
    });
  });

  it('applies replay --now (retime) to each interruption before it is handled', async () => {
    const seen: Interruption[] = [];
    const pipeline = createPipeline([exampleProvider([])]);
    await pipeline.handleDelivery(
      { kind: 'Preemption', id: 'e-3', vm: 'vm-1' },
      deps({
        retime: (interruption) => {
          const moved = { ...interruption, deadline: new Date(now.getTime() + 120_000) };
          seen.push(moved);
          return moved;
        },
      }),
    );
    expect(seen.map((interruption) => interruption.deadline?.toISOString())).toEqual([
      '2026-11-20T14:05:30.000Z',
    ]);
  });
});

describe('cluster access failures: one rule for every cloud', () => {
  const eks = mockClient(EKSClient);
  afterEach(async () => {
    eks.reset();
    await closeCachedKubeClients();
    clearEksClusterCache();
    clearAksEndpointCache();
  });

  const forbidden = (name: string) =>
    Object.assign(new Error(`${name}: not authorized`), { name, $metadata: { httpStatusCode: 403 } });

  it('AWS: a 403 from DescribeCluster is retried (IAM propagates), a 404 is not', async () => {
    const config = loadConfig({ SPOT_DRAINER_CLUSTER_NAME: 'prod', SPOT_DRAINER_INSTANCE_LOOKUP: 'none' });
    const provider = createAwsProvider({
      config,
      region: 'us-east-1',
      clients: () => ({ eks: new EKSClient({ region: 'us-east-1' }) }) as never,
    });
    const pipeline = createPipeline([provider]);
    eks.on(DescribeClusterCommand).rejects(forbidden('AccessDeniedException'));
    const denied = await pipeline.handleDelivery(
      spotWarning,
      deps({ settings: config, parseOptions: config }),
    );
    expect(denied.results[0]).toMatchObject({ status: 'failed', retryable: true });

    clearEksClusterCache();
    eks.on(DescribeClusterCommand).rejects(
      Object.assign(new Error('No cluster found'), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    const missing = await pipeline.handleDelivery(
      spotWarning,
      deps({ settings: config, parseOptions: config }),
    );
    expect(missing.results[0]).toMatchObject({ status: 'failed', retryable: false });
  });

  it('Azure: a 403 from ARM is retried (role assignments propagate), a 404 is not', async () => {
    const config = loadConfig({
      SPOT_DRAINER_AKS_CLUSTERS: JSON.stringify({
        'mc_rg-shop_aks-shop_westeurope': {
          subscriptionId: '9b2f4c1e-6d3a-4e8b-a1c7-5f0e2d9b3a64',
          resourceGroup: 'rg-shop',
          name: 'aks-shop',
        },
      }),
    });
    let status = 403;
    const provider = createAzureProvider({
      config,
      credential: () => ({
        getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }),
      }),
      aksClient: () => ({
        managedClusters: {
          listClusterUserCredentials: async () => {
            throw Object.assign(new Error(`HTTP ${status}`), { name: 'RestError', statusCode: status });
          },
        },
      }),
    });
    const pipeline = createPipeline([provider]);
    const denied = await pipeline.handleDelivery(preempt, deps({ settings: config, parseOptions: config }));
    expect(denied.results[0]).toMatchObject({ status: 'failed', retryable: true });

    status = 404;
    const missing = await pipeline.handleDelivery(preempt, deps({ settings: config, parseOptions: config }));
    expect(missing.results[0]).toMatchObject({ status: 'failed', retryable: false });
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { taintKey } from '../../src/drain/marks.ts';
import { createSpotPool, deleteSpotPool, type SpotPool } from '../../src/local-cluster/node-pool.ts';
import { adminApis, clusterInfo, uniqueName } from './cluster.ts';
import { awsEvent } from './events.ts';

const root = join(import.meta.dirname, '..', '..');
const apis = adminApis();
let pool: SpotPool;

beforeAll(async () => {
  pool = await createSpotPool(apis, { cloud: 'aws', nodes: 1, id: uniqueName('sls') });
});
afterAll(() => deleteSpotPool(apis, pool));

it('runs under `serverless invoke local` against a kubeconfig cluster, with no AWS credentials', async () => {
  const target = pool.nodes[0]!;
  const file = join(mkdtempSync(join(tmpdir(), 'sls-')), 'event.json');
  writeFileSync(file, JSON.stringify(awsEvent('spot-interruption-warning.json', target.machineId)));
  const env = { ...process.env };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete env[name];
  const args = ['serverless', 'invoke', 'local', '--function', 'drainer', '--path', file, '--stage', 'test'];
  for (const setting of [
    `SPOT_DRAINER_KUBECONFIG_SOURCE=file:${clusterInfo().drainerKubeconfig}`,
    'SPOT_DRAINER_INSTANCE_LOOKUP=none',
    'SPOT_DRAINER_CLUSTER_NAME=local',
    'POWERTOOLS_METRICS_DISABLED=true',
  ]) {
    args.push('-e', setting);
  }
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('npx', args, { cwd: root, env });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => resolve({ code, output }));
  });
  expect(output).toContain('"outcome": "completed"');
  expect(code).toBe(0);
  const node = await apis.core.readNode({ name: target.name });
  expect(node.spec?.taints?.map((taint) => taint.key)).toContain(taintKey('spot-interruption'));
}, 120_000);

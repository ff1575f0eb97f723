/** What the numbers were measured on: the machine, its load, and the versions involved. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { kubernetesVersion, pinnedVersion } from '../../src/local-cluster/binaries.ts';

export interface MachineInfo {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  kernel: string;
}

export interface Versions {
  node: string;
  kubernetes: string;
  kwok: string;
  etcd?: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('model name'));
    if (line) return line.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(): MachineInfo {
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    nproc: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpuModel(),
    kernel,
  };
}

const localCluster = join(import.meta.dirname, '..', '..', 'src', 'local-cluster');

export function versions(): Versions {
  return {
    node: process.version,
    kubernetes: kubernetesVersion(),
    kwok: pinnedVersion(join(localCluster, 'kwok'), 'sigs.k8s.io/kwok'),
    etcd: pinnedVersion(join(localCluster, 'etcd'), 'go.etcd.io/etcd/server/v3'),
  };
}

/** The 1-minute load average: on a shared machine, other work competes with the measurement. */
export function load(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

// The machine a benchmark ran on, printed with every result: figures mean nothing without it.
import { cpus, freemem, totalmem, loadavg, platform, release } from 'node:os';
import { kafkaVersion } from '../stack/services/kafka.ts';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  loadAverage1m: number;
  os: string;
  node: string;
  kafka: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    os: `${platform()} ${release()}`,
    node: process.version,
    kafka: kafkaVersion(),
  };
}

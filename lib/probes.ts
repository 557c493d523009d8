// "Does it really answer?" for each service: Redis PING, Kafka metadata, eth_chainId. Used by
// `stack up` (wait until ready), `stack status`, and the gateway's /readyz (so it lives in lib/).
import { Redis } from 'ioredis';
import { Kafka, logLevel } from './kafkajs.ts';

export async function probeRedis(url: string, timeoutMs: number): Promise<string> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined); // surfaced by connect()/ping() below
  try {
    await client.connect();
    const pong = await client.ping();
    return pong;
  } finally {
    client.disconnect();
  }
}

export async function probeKafka(brokers: string[], timeoutMs: number): Promise<string> {
  const kafka = new Kafka({
    brokers,
    clientId: 'itrade-probe',
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** eth_chainId over plain HTTP with a timeout (a node that is down fails fast, no client retries). */
export async function rpcChainId(rpcUrl: string, timeoutMs: number): Promise<number> {
  const httpUrl = rpcUrl.replace(/^ws(s?):\/\//, 'http$1://');
  const res = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: string; error?: { message: string } };
  if (!body.result) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return Number.parseInt(body.result, 16);
}

export async function probeChain(rpcUrl: string, timeoutMs: number): Promise<string> {
  return `chainId ${await rpcChainId(rpcUrl, timeoutMs)}`;
}

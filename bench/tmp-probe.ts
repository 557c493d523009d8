// scratch: quick perf probe of the full gateway (not committed)
import { fork } from 'node:child_process';
import { JsonRpcProvider } from 'ethers';
import { validateConfig } from '../config/load.ts';
import { TokenService } from '../broker/auth/jwt.ts';
import { createLogger } from '../lib/log.ts';
import { LocalStack } from '../stack/stack.ts';
import { Market } from '../test/helpers/market.ts';
import { runStream } from './stream.ts';
import { sensorTopic } from '../core/topics.ts';

const SECRET = 'bench-secret-that-is-at-least-32-bytes-long!!';
const log = createLogger({ level: 'warn' });
const stackCfg = validateConfig({ stack: { dir: '.cache/bench-stack', redis: { port: 0, appendOnly: false }, kafka: { port: 0, controllerPort: 0, heapMb: 1024 }, chain: { port: 0, persistState: false } } }, 'bench');
const stack = new LocalStack(stackCfg, log);
const st = await stack.up();
console.log(st.map((s) => `${s.name} ${s.healthy}`).join(', '));
const ep = stack.endpoints();
const n = Number(process.argv[2] ?? 100);
const rate = Number(process.argv[3] ?? 20);
const market = await Market.deploy(ep.rpcUrl);
const seller = await market.principal('seller');
const sensors: string[] = [];
for (let i = 0; i < n; i++) sensors.push((await market.sensor(seller)).sensor);
const buyers = [];
for (let i = 0; i < n; i++) {
  const b = await market.principal(`b${i}`);
  await market.subscribe(b, sensors[i]!, 10_000_000);
  buyers.push(b);
}
console.log('provisioned');
const gwCfg = { log: { level: 'warn' }, redis: { url: ep.redisUrl, keyPrefix: 'bench:' }, kafka: { brokers: ep.kafkaBrokers }, chain: { rpcUrl: ep.rpcUrl, marketplace: market.address, marketplaceBlock: market.deployBlock }, broker: { listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } }, http: { port: 0 }, auth: { jwt: { secret: SECRET }, devSecret: false } } };
const child = fork('bench/targets/gateway-server.ts', [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ITRADE_BENCH_CONFIG: JSON.stringify(gwCfg) } });
const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
const tokens = await TokenService.create(validateConfig(gwCfg, 'x').broker.auth.jwt);
const devices = await Promise.all(sensors.map(async (s, i) => ({ index: i, clientId: s, username: s, password: (await tokens.issueSensor(s, seller.principal, 3600)).token, topic: sensorTopic(s) })));
const bspecs = await Promise.all(buyers.map(async (b, i) => ({ clientId: b.principal, username: b.principal, password: (await tokens.issuePrincipal(b.principal, b.wallet.address, 3600)).token, topics: [sensorTopic(sensors[i]!)] })));
// warm-up: topics created at first publish
await runStream({ endpoint: { host: '127.0.0.1', port }, targetPid: child.pid!, devices, buyers: bspecs, buyerDevice: bspecs.map((_, i) => i), ratePerDevice: 2, qos: 1, durationMs: 20000, codec: { kind: 'raw', size: 100 } });
const r = await runStream({ endpoint: { host: '127.0.0.1', port }, targetPid: child.pid!, devices, buyers: bspecs, buyerDevice: bspecs.map((_, i) => i), ratePerDevice: rate, qos: 1, durationMs: Number(process.argv[4] ?? 15000), codec: { kind: 'raw', size: 100 } });
console.log(JSON.stringify({ ...r, series: undefined }));
console.log(r.series.map((s) => `${s.second}:${s.p50.toFixed(1)}/${s.p99.toFixed(1)}`).join(" "));
child.kill('SIGTERM');
market.close();
await stack.down();
process.exit(0);

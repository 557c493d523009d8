// Bench target: one full gateway (broker, HTTP API, bridge, key service) in its own process, so
// its CPU and memory are measured alone. Configuration arrives as JSON in ITRADE_BENCH_CONFIG;
// the ports go back over IPC. SIGTERM closes it gracefully.
import { validateConfig } from '../../config/load.ts';
import { startGateway } from '../../gateway/gateway.ts';

const cfg = validateConfig(JSON.parse(process.env.ITRADE_BENCH_CONFIG!), 'bench gateway');
const gw = await startGateway(cfg);
process.send?.({ type: 'listening', port: gw.mqtt.tcp, http: gw.httpPort });
process.once('SIGTERM', () => {
  gw.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

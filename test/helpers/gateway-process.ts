// A gateway in its own process for the clustering tests: the configuration comes as JSON in
// ITRADE_TEST_GATEWAY_CONFIG; the process prints "READY <ports JSON>" and closes on SIGTERM.
import { validateConfig } from '../../config/load.ts';
import { startGateway } from '../../gateway/gateway.ts';

const cfg = validateConfig(JSON.parse(process.env.ITRADE_TEST_GATEWAY_CONFIG!), 'test gateway');
const gw = await startGateway(cfg);
console.log(`READY ${JSON.stringify({ tcp: gw.mqtt.tcp, http: gw.httpPort })}`);
process.once('SIGTERM', () => {
  gw.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

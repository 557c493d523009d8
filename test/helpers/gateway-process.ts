// A gateway in its own process for the clustering tests: the configuration comes as JSON in
// ITRADE_TEST_GATEWAY_CONFIG; the process prints "READY <ports JSON>" and shuts down gracefully
// on SIGTERM (the same runner as `itrade gateway`).
import { validateConfig } from '../../config/load.ts';
import { runGateway } from '../../cli/run-gateway.ts';
import { createLogger } from '../../lib/log.ts';

const cfg = validateConfig(JSON.parse(process.env.ITRADE_TEST_GATEWAY_CONFIG!), 'test gateway');
const code = await runGateway(cfg, {
  log: createLogger({ level: cfg.log.level }),
  exit: (c) => process.exit(c),
  started: (gw) =>
    console.log(`READY ${JSON.stringify({ tcp: gw.mqtt.tcp, http: gw.httpPort, operator: gw.operatorPort })}`),
});
process.exit(code);

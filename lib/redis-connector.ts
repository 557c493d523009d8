// The connector every gateway Redis client opens its socket with (config/clients.ts redisSecurity).
// ioredis 5 listens to a socket's 'error' with once() only (Redis#connect and StandaloneConnector),
// so a second 'error' on the same socket finds no listener and crashes the process. Node.js 24
// emits one when the server's certificate fails verification: the TLS socket reports the
// verification error (destroy(err)), then an alert the server sent meanwhile, read while the socket
// closes, comes out as another error (ERR_SSL_TLSV1_ALERT_DECODE_ERROR from a Redis whose
// certificate another CA signed: a gateway with a wrong redis.tls.ca died instead of naming the key).
// GuardedConnector is ioredis' own connector plus a lasting listener on each socket it opens: the
// first error still reaches ioredis, which reports it and reconnects; later ones on that dead socket
// are dropped. StandaloneConnector is not in ioredis' index: test/lib/redis-connector.test.ts is its
// canary (the `Connector` option is used, and ioredis still leaves a second error unhandled).
import { createRequire } from 'node:module';
import type { RedisOptions } from 'ioredis';

type StandaloneModule = typeof import('ioredis/built/connectors/StandaloneConnector.js');

const require = createRequire(import.meta.url);
const { default: StandaloneConnector } = require('ioredis/built/connectors/StandaloneConnector.js') as StandaloneModule;

/** ioredis' StandaloneConnector whose sockets never leave an 'error' without a listener. */
export class GuardedConnector extends StandaloneConnector {
  // ioredis passes the client's whole options (ConnectorConstructor takes `unknown`).
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof StandaloneConnector>[0]);
  }

  override connect(...args: Parameters<InstanceType<typeof StandaloneConnector>['connect']>) {
    return super.connect(...args).then((stream) => {
      stream.on('error', ignoreLaterErrors);
      return stream;
    });
  }
}

// ioredis' own once() listeners take the first error; this one only keeps later ones from throwing.
function ignoreLaterErrors(): void {}

/** The option that makes an ioredis client use GuardedConnector. */
export const guardedConnector: Pick<RedisOptions, 'Connector'> = { Connector: GuardedConnector };

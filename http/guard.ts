// What the operator adds to the public HTTP API: the network policy (data sovereignty) as the
// first hook of every request, so a denied network gets 403 ITRADE_ERR_SOVEREIGNTY_DENIED before
// any route runs; request metrics; and GET /v1/info with the region this gateway serves.
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { NetworkPolicy } from '../sovereignty/network.ts';
import { errorCode, itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { ThrottledLog } from '../lib/throttled-log.ts';
import { VERSION } from '../lib/version.ts';
import { CountryDb } from '../sovereignty/countries.ts';
import { InfoReply, replies } from './schemas.ts';

export interface ApiGuardDeps {
  network: NetworkPolicy | undefined;
  region: string;
  registry: Registry;
  log: Logger;
}

export function guardApi(app: FastifyInstance, deps: ApiGuardDeps): void {
  const registers = [deps.registry];
  const requests = new Counter({
    name: 'itrade_http_requests_total',
    help: 'HTTP API requests answered, by method, route (the route pattern) and status.',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const refused = new Counter({
    name: 'itrade_http_refused_total',
    help: 'HTTP API requests refused before any route ran, by reason (sovereignty_denied).',
    labelNames: ['reason'],
    registers,
  });
  const refusals = new ThrottledLog(deps.log, 'http request refused');
  const { network } = deps;

  if (network?.restricted) {
    app.addHook('onRequest', async (req) => {
      const address = network.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
      if (network.allows(address)) return;
      refused.inc({ reason: 'sovereignty_denied' });
      refusals.note('sovereignty_denied', address ?? 'unknown', {
        code: errorCode('SOVEREIGNTY_DENIED'),
        route: req.routeOptions.url ?? 'unmatched',
      });
      throw itradeError('SOVEREIGNTY_DENIED', `client network ${address ?? 'unknown'} may not use this gateway`);
    });
  }
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode });
  });
  app.addHook('onClose', async () => refusals.flushAll());

  // The country database's date, whether or not countries are listed, so an operator sees how old it is.
  const geoip = { ...CountryDb.describe(), inUse: network?.byCountry ?? false };
  app.get('/v1/info', { schema: { response: replies(InfoReply) } }, async () => ({
    name: 'itrade',
    version: VERSION,
    region: deps.region,
    geoip,
  }));
}

// Every fastify server of the gateway (the public API, the operator endpoint) starts here, so all
// answer errors the same way (http/errors.ts): one error handler, one not-found handler, and
// fastify's pre-route refusals (a bad URL) through the same map.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { HttpErrors } from './errors.ts';

export interface HttpServerOptions {
  log: Logger;
  /** Largest request body in bytes (default 16 KiB: the API's bodies are a few hundred bytes). */
  bodyLimit?: number;
}

export function createHttpServer(o: HttpServerOptions): FastifyInstance {
  const bodyLimit = o.bodyLimit ?? 16 * 1024;
  const errors = new HttpErrors(o.log, bodyLimit);
  const app = Fastify({
    logger: false,
    bodyLimit,
    // Unknown fields are refused, not silently dropped (fastify's default removes them); verbose
    // errors carry the failing schema, whose description words the message (http/validation.ts).
    ajv: { customOptions: { removeAdditional: false, verbose: true } },
    frameworkErrors: (err, req, reply) => void errors.send(err, req, reply),
  });
  // JSON only: text/plain would reach the schema as a string and get a confusing message.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, req, reply) => errors.send(err, req, reply));
  app.setNotFoundHandler((req, reply) => errors.notFound(app, req, reply));
  return app;
}

/** Listens and returns the port; a port taken or not allowed names the configuration key. */
export async function listenHttp(app: FastifyInstance, host: string, port: number, key: string): Promise<number> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    throw itradeError('BROKER_LISTENER', `${key}: cannot listen on ${host}:${port}`, { cause: err });
  }
  return (app.server.address() as AddressInfo).port;
}

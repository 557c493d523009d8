// The web app on the public HTTP API (docs/web.md): the built files of web/ (npm run build:web)
// at /app/, and /app/config.json telling the page where the MQTT over WebSocket listener is.
// Only the files the build wrote are served, by their plain names (a name has no slash, so no
// path reaches outside the folder); the folder is read per request, so a rebuild needs no restart.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { itradeError } from '../protocol/errors.ts';

export interface WebAppOptions {
  /** The built app's folder (web.dir resolved). */
  dir: string;
  /** web.mqttUrl: '' lets the page use its own host with the WebSocket listener's port and path. */
  mqttUrl: string;
  /** The MQTT WebSocket listener's port (undefined: not enabled) and path; the TCP listener's port (for devices). */
  ws: () => { port: number | undefined; path: string; tcpPort: number | undefined };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};

function builtFile(dir: string, name: string): Buffer {
  if (!existsSync(join(dir, 'index.html')))
    throw itradeError('WEB_APP_NOT_BUILT', `no built web app in ${dir}: run npm run build:web`);
  if (!readdirSync(dir).includes(name))
    throw itradeError('HTTP_NOT_FOUND', `/app/${name}: no such file of the web app`);
  return readFileSync(join(dir, name));
}

export function registerWebApp(app: FastifyInstance, o: WebAppOptions): void {
  app.get('/app', async (_req, reply) => reply.redirect('/app/'));
  app.get('/app/config.json', async () => {
    const ws = o.ws();
    return { mqttUrl: o.mqttUrl, wsPort: ws.port ?? null, wsPath: ws.path, tcpPort: ws.tcpPort ?? null };
  });
  const send = (name: string) => async (_req: unknown, reply: FastifyReply) =>
    reply
      .type(TYPES[extname(name)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .send(builtFile(o.dir, name));
  app.get('/app/', async (req, reply) => send('index.html')(req, reply));
  app.get<{ Params: { file: string } }>('/app/:file', async (req, reply) => send(req.params.file)(req, reply));
}

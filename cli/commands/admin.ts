// itrade admin clients | disconnect <clientId> | sessions | revoke: the operator's admin API
// (docs/operations.md, "Admin API") from the command line. The bearer is --token, else
// $ITRADE_OPERATOR_TOKEN, else an operator token made here from the configuration (as
// `itrade operator-token` does). Output is a table, or the API's JSON with --json.
import { InvalidArgumentError, type Command } from 'commander';
import { issueOperatorToken } from '../../auth/operator-token.ts';
import type { ClientRecord, StoredSession } from '../../interfaces/admin.ts';
import { createLogger } from '../../lib/log.ts';
import { gatewayUrls } from '../../participant/endpoints.ts';
import { GatewayApi } from '../../sdk/index.ts';
import { LocalStack } from '../../stack/stack.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';

interface AdminOptions {
  api?: string;
  token?: string;
  json?: boolean;
}

function adminOptions(cmd: Command): Command {
  return cmd
    .option('--api <url>', 'gateway HTTP API (default: from broker.http)')
    .option('--token <jwt>', 'operator token (default: $ITRADE_OPERATOR_TOKEN, else one made from the configuration)')
    .option('--json', "print the API's JSON reply");
}

async function session(c: CliContext, o: AdminOptions): Promise<{ api: GatewayApi; token: string }> {
  const cfg = c.config();
  const api = new GatewayApi(o.api ?? gatewayUrls(cfg).apiUrl);
  let token = o.token ?? process.env.ITRADE_OPERATOR_TOKEN;
  if (!token) {
    const redisUrl = new LocalStack(cfg, createLogger({ level: 'silent' })).endpoints().redisUrl;
    token = (await issueOperatorToken(cfg, 'cli', redisUrl)).token;
  }
  return { api, token };
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of 1 or more');
  return n;
}

const clientLine = (x: ClientRecord) =>
  [x.clientId, `${x.identity.kind}:${x.identity.sub}`, x.instance, x.address ?? '-', x.connectedSince]
    .concat(x.subscriptions.length ? [x.subscriptions.join(',')] : ['-'])
    .join('\t');
const sessionLine = (x: StoredSession) =>
  [x.clientId, x.online ? 'online' : 'offline', `queued=${x.queued}`, x.subscriptions.join(',') || '-'].join('\t');

export function registerAdminCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  const admin = program.command('admin').description("The operator's admin API: clients, sessions, revocation");
  const run = (o: AdminOptions, fn: (api: GatewayApi, token: string) => Promise<unknown>, print: (r: never) => void) =>
    session(ctx(), o).then(async ({ api, token }) => {
      const r = await fn(api, token);
      if (o.json) ctx().out(JSON.stringify(r, null, 2));
      else print(r as never);
      setExit(EXIT.ok);
    });

  adminOptions(admin.command('clients'))
    .description('List the clients connected to every instance (tab-separated: client id, identity, instance, ...)')
    .action((o: AdminOptions) =>
      run(
        o,
        (api, t) => api.request('GET', '/v1/admin/clients', undefined, t),
        (r: { clients: ClientRecord[] }) => r.clients.forEach((x) => ctx().out(clientLine(x))),
      ),
    );

  adminOptions(admin.command('disconnect'))
    .description('Disconnect one client, on whichever instance serves it')
    .argument('<clientId>', 'the MQTT client id (see `itrade admin clients`)')
    .action((clientId: string, o: AdminOptions) =>
      run(
        o,
        (api, t) => api.request('POST', '/v1/admin/disconnect', { clientId }, t),
        (r: { disconnected: { clientId: string; instance: string } }) =>
          ctx().out(`disconnected ${r.disconnected.clientId} on ${r.disconnected.instance}`),
      ),
    );

  adminOptions(admin.command('sessions'))
    .description('List the persistent MQTT sessions stored in Redis (client id, online, queued, subscriptions)')
    .option('--limit <n>', 'list at most n sessions', positive, 1000)
    .action((o: AdminOptions & { limit: number }) =>
      run(
        o,
        (api, t) => api.request('GET', `/v1/admin/sessions?limit=${o.limit}`, undefined, t),
        (r: { sessions: StoredSession[]; truncated: boolean }) => {
          r.sessions.forEach((x) => ctx().out(sessionLine(x)));
          if (r.truncated) ctx().err(`more than ${o.limit} sessions: raise --limit`);
        },
      ),
    );

  const revoke = adminOptions(admin.command('revoke'));
  revoke
    .description('Revoke one token (--jti) or every token of a subject issued up to now (--subject)')
    .option('--jti <id>', 'the token id')
    .option('--exp <unix-seconds>', 'with --jti: when the token expires (keeps the entry no longer)', positive)
    .option('--subject <s>', 'a lower-case address or operator:<name>')
    .action((o: AdminOptions & { jti?: string; exp?: number; subject?: string }) => {
      if ((o.jti === undefined) === (o.subject === undefined))
        revoke.error('error: give exactly one of --jti and --subject');
      const body = o.jti !== undefined ? { jti: o.jti, ...(o.exp ? { exp: o.exp } : {}) } : { subject: o.subject };
      return run(
        o,
        (api, t) => api.request('POST', '/v1/admin/revoke', body, t),
        (r: { revoked: Record<string, unknown> }) => ctx().out(`revoked ${JSON.stringify(r.revoked)}`),
      );
    });
}

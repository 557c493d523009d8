// CONNECT: the whole authentication path as one list of steps (like aedes' connectActions).
// A refusal is an ItradeError whose mqttReturnCode becomes the CONNACK return code
// [MQTT-3.2.2.3]; aedes then closes the connection [MQTT-3.2.2-5] and nothing else happens.
import type { AuthenticateError, Client } from 'aedes';
import { isItradeError, itradeError } from '../lib/errors.ts';
import type { Identity } from './auth/jwt.ts';
import { dropSensorSubscription, notify, track, type BrokerContext } from './context.ts';
import { LeaseBook, type HeldEntry } from './metering/leases.ts';

interface ConnectState {
  client: Client;
  username: string | undefined;
  password: Buffer | undefined;
  token?: string;
  id?: Identity;
}

type Step = (ctx: BrokerContext, s: ConnectState) => Promise<void> | void;

const readToken: Step = (_ctx, s) => {
  if (!s.password || s.password.length === 0) throw itradeError('AUTH_TOKEN_MISSING', 'CONNECT carries no password: it must be the JWT');
  s.token = s.password.toString('utf8');
};

const verifyToken: Step = async (ctx, s) => {
  s.id = await ctx.tokens.verify(s.token!);
};

const refuseRevoked: Step = async (ctx, s) => {
  if (await ctx.revocations.isRevoked(s.id!)) throw itradeError('AUTH_TOKEN_REVOKED', 'the token was revoked');
};

const matchUsername: Step = (_ctx, s) => {
  if (s.username !== s.id!.sub) throw itradeError('AUTH_USERNAME_MISMATCH', 'the username must be the token subject');
};

// A sensor uses its address as client id; a principal its address, alone or followed by
// ":<suffix>"; an operator its subject likewise. No identity can take over another's session
// [MQTT-3.1.4-2].
const SUFFIX = /^:[A-Za-z0-9_-]{1,32}$/;
const matchClientId: Step = (_ctx, s) => {
  const id = s.client.id;
  const sub = s.id!.sub;
  const ok = s.id!.kind === 'sensor' ? id === sub : id === sub || (id.startsWith(sub) && SUFFIX.test(id.slice(sub.length)));
  if (!ok) throw itradeError('AUTH_CLIENT_ID_REJECTED', 'the client id must be the subject address (principals: optionally followed by :<suffix>)');
};

// A last will is a publish the broker makes later, possibly on another instance with no session
// to check it against (aedes' _clearWills calls authorizePublish with a null client). The gateway
// offers none: sensor data needs the history store's acknowledgement and buyers need no will.
const refuseWill: Step = (_ctx, s) => {
  if ((s.client as unknown as { _will?: unknown })._will) throw itradeError('AUTH_NOT_AUTHORISED', 'a last will is not supported');
};

const checkChain: Step = async (ctx, s) => {
  const id = s.id!;
  if (id.kind === 'sensor') {
    const info = await ctx.entitlements.sensor(id.sub);
    if (!info || info.principal !== id.principal) throw itradeError('AUTH_NOT_AUTHORISED', 'the sensor is not registered to this principal');
    if (info.status !== 'active') throw itradeError('AUTH_NOT_AUTHORISED', `the sensor is ${info.status} on chain`);
  } else if (id.kind === 'principal') {
    const principal = await ctx.entitlements.principalOfAccount(id.account);
    if (principal !== id.sub) throw itradeError('AUTH_NOT_AUTHORISED', 'the account no longer owns this principal');
  }
};

const openSession: Step = (ctx, s) => {
  const { client } = s;
  const id = s.id!;
  const leases =
    id.kind === 'principal'
      ? new LeaseBook(ctx.meter, id.sub, ctx.metering, {
          redeliver: (_sensor, e) => redeliver(client, e),
          exhausted: (sensor) => {
            notify(ctx, id.sub, { type: 'entries-exhausted', sensor, reason: 'every paid data entry was delivered' });
            dropSensorSubscription(ctx, client, sensor);
          },
        }, ctx.log)
      : undefined;
  ctx.sessions.add(client, id, leases);
  client.conn.once('close', () => {
    const gone = ctx.sessions.remove(client);
    if (gone?.leases) track(ctx, gone.leases.closeAll(), 'leases not returned');
  });
};

type Deliver = { deliverQoS(p: object, done: () => void): void };

// A held entry goes straight to this client's delivery, as aedes does for retained messages
// (lib/handlers/subscribe.js, sendRetained): brokerId null, or aedes' per-broker dedupe would
// drop every later live entry whose counter is lower than the fresh one client.publish assigns.
function redeliver(client: Client, e: HeldEntry): void {
  (client as unknown as Deliver).deliverQoS({ cmd: 'publish', topic: e.topic, payload: e.payload, qos: e.qos, retain: false, dup: false, brokerId: null }, () => undefined);
}

export const connectSteps: Step[] = [readToken, verifyToken, refuseRevoked, matchUsername, matchClientId, refuseWill, checkChain, openSession];

export function authenticate(ctx: BrokerContext) {
  return (client: Client, username: string | undefined, password: Buffer | undefined, done: (err: AuthenticateError | null, ok: boolean | null) => void): void => {
    const state: ConnectState = { client, username, password };
    run(ctx, state).then(
      () => done(null, true),
      (err: unknown) => {
        // Anything else (Redis down) is the server's fault: 3, Server unavailable.
        const returnCode = isItradeError(err) ? (err.mqttReturnCode ?? 5) : 3;
        const code = isItradeError(err) ? err.code : 'unexpected';
        ctx.log.info({ err: isItradeError(err) ? undefined : err, clientId: client.id, code, returnCode }, 'connection refused');
        const refusal = err instanceof Error ? err : new Error(String(err));
        done(Object.assign(refusal, { returnCode }) as AuthenticateError, false);
      },
    );
  };
}

async function run(ctx: BrokerContext, s: ConnectState): Promise<void> {
  for (const step of connectSteps) await step(ctx, s);
}

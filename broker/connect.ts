// CONNECT: the whole authentication path as one list of steps (like aedes' connectActions).
// A refusal is an ItradeError whose mqttReturnCode becomes the CONNACK return code
// [MQTT-3.2.2.3]; aedes then closes the connection [MQTT-3.2.2-5] and nothing else happens.
import type { AuthenticateError, Client, ConnectPacket } from 'aedes';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import type { Identity } from '../auth/jwt.ts';
import { track, type BrokerContext } from './context.ts';
import { reasonOf } from './metrics.ts';
import { rateKey } from '../sovereignty/network.ts';
import { certIdentity, certSensor, checkCertAgainstToken, type CertSensor } from './cert-identity.ts';

interface ConnectState {
  client: Client;
  address: string | undefined;
  username: string | undefined;
  password: Buffer | undefined;
  token?: string;
  id?: Identity;
  /** The sensor a verified client certificate names (certIdentity not off). */
  cert?: CertSensor;
}

type Step = (ctx: BrokerContext, s: ConnectState) => Promise<void> | void;

// The first three steps cost no token work, so a refused network or a CONNECT flood is cheap.
const refuseWhileClosing: Step = (ctx) => {
  if (ctx.guard.closing) throw itradeError('GATEWAY_SHUTTING_DOWN');
};

// Data sovereignty (docs/sovereignty.md): deny wins, an empty allow list allows the rest.
const refuseDeniedNetwork: Step = (ctx, s) => {
  if (ctx.guard.network && !ctx.guard.network.allows(s.address))
    throw itradeError('SOVEREIGNTY_DENIED', `client network ${s.address ?? 'unknown'} may not use this gateway`);
};

// CONNACK 3 (server unavailable), not 5: the condition passes, and clients treat 3 as "retry
// later" while many treat 5 as "give up, the credentials are wrong" (docs/operations.md).
const limitConnectRate: Step = (ctx, s) => {
  if (!ctx.guard.connectRate.take(rateKey(s.address))) throw itradeError('LIMIT_CONNECT_RATE');
};

const readCertificate: Step = (ctx, s) => {
  if (ctx.certIdentity !== 'off') s.cert = certSensor(s.client.conn);
};

// Without a password, a device whose certificate names a sensor is that sensor (certIdentity: either).
const readToken: Step = (ctx, s) => {
  if (!s.password || s.password.length === 0) {
    if (ctx.certIdentity === 'either' && s.cert) return;
    throw itradeError('AUTH_TOKEN_MISSING', 'CONNECT carries no password: it must be the JWT');
  }
  s.token = s.password.toString('utf8');
};

const verifyToken: Step = async (ctx, s) => {
  if (s.token === undefined) {
    s.id = await certIdentity(ctx, s.cert!);
    return;
  }
  s.id = await ctx.tokens.verify(s.token);
  checkCertAgainstToken(ctx, s.id, s.cert);
};

const refuseRevoked: Step = async (ctx, s) => {
  if (await ctx.revocations.isRevoked(s.id!)) throw itradeError('AUTH_TOKEN_REVOKED', 'the token was revoked');
};

const matchUsername: Step = (_ctx, s) => {
  // A device known by its certificate alone may leave the username out.
  if (s.token === undefined && !s.username) return;
  if (s.username !== s.id!.sub) throw itradeError('AUTH_USERNAME_MISMATCH', 'the username must be the token subject');
};

// A sensor uses its address as client id; a principal its address, alone or followed by
// ":<suffix>"; an operator its subject likewise. No identity can take over another's session
// [MQTT-3.1.4-2].
const SUFFIX = /^:[A-Za-z0-9_-]{1,32}$/;
const matchClientId: Step = (_ctx, s) => {
  const id = s.client.id;
  const sub = s.id!.sub;
  const ok =
    s.id!.kind === 'sensor' ? id === sub : id === sub || (id.startsWith(sub) && SUFFIX.test(id.slice(sub.length)));
  if (!ok)
    throw itradeError(
      'AUTH_CLIENT_ID_REJECTED',
      'the client id must be the subject address (principals: optionally followed by :<suffix>)',
    );
};

// A last will is a publish the broker makes later, possibly on another instance with no session
// to check it against (aedes' _clearWills calls authorizePublish with a null client). The gateway
// offers none: sensor data needs the history store's acknowledgement and buyers need no will.
// The CONNECT packet is seen by aedes' preConnect hook (rememberWill), not by authenticate.
const refuseWill: Step = (ctx, s) => {
  if (ctx.guard.wills.has(s.client)) throw itradeError('AUTH_NOT_AUTHORISED', 'a last will is not supported');
};

/** aedes preConnect: notes a CONNECT that carries a will, for refuseWill to refuse with CONNACK 5. */
export function rememberWill(ctx: BrokerContext) {
  return (client: Client, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void): void => {
    if (packet.will) ctx.guard.wills.add(client);
    done(null, true);
  };
}

const checkChain: Step = async (ctx, s) => {
  const id = s.id!;
  if (id.kind === 'sensor') {
    const info = await ctx.entitlements.sensor(id.sub);
    if (!info || info.principal !== id.principal)
      throw itradeError('AUTH_NOT_AUTHORISED', 'the sensor is not registered to this principal');
    if (info.status !== 'active') throw itradeError('AUTH_NOT_AUTHORISED', `the sensor is ${info.status} on chain`);
  } else if (id.kind === 'principal') {
    const principal = await ctx.entitlements.principalOfAccount(id.account);
    if (principal !== id.sub) throw itradeError('AUTH_NOT_AUTHORISED', 'the account no longer owns this principal');
  }
};

const openSession: Step = (ctx, s) => {
  const { client } = s;
  const id = s.id!;
  ctx.sessions.add(client, id);
  ctx.metrics.connects.inc({ role: id.kind });
  client.conn.once('close', () => {
    const gone = ctx.sessions.remove(client);
    for (const f of gone?.feeds?.values() ?? []) track(ctx, f.stop(), 'acknowledged entries not counted');
    track(ctx, ctx.presence.leave(client), 'key agent presence not removed');
  });
};

export const connectSteps: Step[] = [
  refuseWhileClosing,
  refuseDeniedNetwork,
  limitConnectRate,
  readCertificate,
  readToken,
  verifyToken,
  refuseRevoked,
  matchUsername,
  matchClientId,
  refuseWill,
  checkChain,
  openSession,
];

export function authenticate(ctx: BrokerContext) {
  return (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void => {
    const state: ConnectState = { client, address: ctx.guard.peers.get(client.conn), username, password };
    run(ctx, state).then(
      () => done(null, true),
      (err: unknown) => {
        // Anything else (Redis down) is the server's fault: 3, Server unavailable.
        const returnCode = isItradeError(err) ? (err.mqttReturnCode ?? 5) : 3;
        const reason = reasonOf(err);
        ctx.metrics.connectRefused.inc({ reason, connack: returnCode });
        // Not one of ours: no code to give, the error itself says what happened.
        const detail = isItradeError(err)
          ? { code: err.code }
          : { err: err instanceof Error ? err.message : String(err) };
        ctx.refusals.connect.note(reason, `${client.id}@${state.address ?? '?'}`, { ...detail, returnCode });
        const refusal = err instanceof Error ? err : new Error(String(err));
        done(Object.assign(refusal, { returnCode }) as AuthenticateError, false);
      },
    );
  };
}

async function run(ctx: BrokerContext, s: ConnectState): Promise<void> {
  for (const step of connectSteps) await step(ctx, s);
}

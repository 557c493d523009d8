// Device identity from the client certificate (broker.listeners.tls.certIdentity), as Mosquitto's
// use_identity_as_username or AWS IoT do: a certificate the device CA signed (the TLS listener
// verified it) whose subject CN or a SAN is a sensor address names that sensor. `either`: such a
// device may connect without a token, and is then checked on chain like a token's sensor; a token
// it gives must name the same sensor. `both`: a sensor token needs a certificate naming it.
import type { TLSSocket } from 'node:tls';
import type { Identity } from '../auth/jwt.ts';
import { itradeError } from '../protocol/errors.ts';
import type { BrokerContext } from './context.ts';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export interface CertSensor {
  sensor: string;
  serial: string;
  /** Unix seconds. */
  validFrom: number;
  validTo: number;
}

/** The sensor a verified client certificate on this connection names, if any. */
export function certSensor(conn: object): CertSensor | undefined {
  const tls = conn as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function' || tls.authorized !== true) return undefined;
  const cert = tls.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  const sans = (cert.subjectaltname ?? '').split(',').map((n) => n.trim().replace(/^[A-Za-z ]+:/, ''));
  const names = [...(Array.isArray(cn) ? cn : cn ? [cn] : []), ...sans].filter((n) => ADDRESS.test(n));
  const sensors = new Set(names.map((n) => n.toLowerCase()));
  // A certificate naming two sensors names none: refuse to guess.
  if (sensors.size !== 1) return undefined;
  return {
    sensor: [...sensors][0]!,
    serial: cert.serialNumber,
    validFrom: Math.floor(Date.parse(cert.valid_from) / 1000),
    validTo: Math.floor(Date.parse(cert.valid_to) / 1000),
  };
}

/**
 * The identity of a device that gave no token: its certificate's sensor, with the principal the
 * chain records (checkChain then checks it is active). The session ends when the certificate expires.
 */
export async function certIdentity(ctx: BrokerContext, c: CertSensor): Promise<Identity> {
  const info = await ctx.entitlements.sensor(c.sensor);
  if (!info) throw itradeError('AUTH_NOT_AUTHORISED', 'the certificate names a sensor the chain does not know');
  return {
    kind: 'sensor',
    sub: c.sensor,
    principal: info.principal,
    jti: `cert:${c.serial}`,
    iat: c.validFrom,
    exp: c.validTo,
  };
}

/** With a token: under `either` a certificate naming a sensor must name the token's; under `both` one must. */
export function checkCertAgainstToken(ctx: BrokerContext, id: Identity, c: CertSensor | undefined): void {
  if (ctx.certIdentity === 'off' || id.kind !== 'sensor') return;
  if (c && c.sensor !== id.sub)
    throw itradeError('AUTH_CERT_MISMATCH', 'the client certificate names another sensor than the token');
  if (!c && ctx.certIdentity === 'both')
    throw itradeError(
      'AUTH_CERT_MISMATCH',
      'a sensor must present a client certificate naming it (certIdentity: both)',
    );
}

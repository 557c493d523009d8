// The gateway's HTTP API as a client sees it (docs/broker.md, "HTTP API"): passwordless login
// of a principal (challenge, personal_sign, login) and sensor activation by registration
// transaction. An error answer keeps the gateway's code; no answer is SIM_GATEWAY_UNREACHABLE.
import type { Signer } from 'ethers';
import { errorFromCode, ItradeError, itradeError, oneLine } from '../protocol/errors.ts';

export interface IssuedToken {
  token: string;
  /** Unix seconds. */
  expiresAt: number;
}

export interface PrincipalLogin extends IssuedToken {
  principal: string;
  account: string;
}

export interface SensorActivation extends IssuedToken {
  sensor: string;
  principal: string;
}

function gatewayError(code: unknown, message: unknown, status: number): ItradeError {
  const text = typeof message === 'string' ? message : `HTTP ${status}`;
  return errorFromCode(code, `gateway (HTTP ${status}): ${text}`, 'SIM_GATEWAY_REFUSED');
}

/** HTTP 503 (chain, Kafka or Redis briefly unavailable) asks to retry later: a few tries, backing off. */
async function retrying<T>(fn: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries || !(err instanceof ItradeError) || err.httpStatus !== 503) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
  }
}

export class GatewayApi {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  private post<T>(path: string, body: unknown, token?: string): Promise<T> {
    return this.request<T>('POST', path, body, token);
  }

  /** One call of the API (a POST with `body` as JSON); an error answer is thrown with its code. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw itradeError(
        'SIM_GATEWAY_UNREACHABLE',
        `${this.baseUrl}${path}: ${oneLine(err)} (is the gateway running?)`,
        { cause: err },
      );
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown } } & Record<
      string,
      unknown
    >;
    if (!res.ok) throw gatewayError(json.error?.code, json.error?.message, res.status);
    return json as T;
  }

  async health(): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/v1/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Challenge, EIP-191 signature by the account, login: the principal JWT. */
  login(account: Signer): Promise<PrincipalLogin> {
    // A retry starts over with a new challenge: a challenge is single use.
    return retrying(async () => {
      const address = await account.getAddress();
      const challenge = await this.post<{ nonce: string; message: string }>('/v1/auth/challenge', { address });
      const signature = await account.signMessage(challenge.message);
      return this.post<PrincipalLogin>('/v1/auth/login', { nonce: challenge.nonce, signature });
    });
  }

  /** The sensor JWT for the sensor registered by `txHash` (the sensor must be Active on chain). */
  activateSensor(principalToken: string, txHash: string): Promise<SensorActivation> {
    return retrying(() => this.post<SensorActivation>('/v1/sensors/activate', { txHash }, principalToken));
  }
}

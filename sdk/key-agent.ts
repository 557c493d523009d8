// The seller's key agent (paper Fig. 3, steps 1.3-1.5): connected to the gateway over MQTT with
// the seller's principal JWT, it answers key requests on sellers/<seller>/keys/requests by
// wrapping the sensor key from its keyring for the buyer's RSA public key, signing the result,
// and replying on sellers/<seller>/keys/replies. The AES keys never leave this process in clear.
//
// Trust: the gateway already checked the subscription and sent the buyer's on-chain key. An agent
// given its own chain view (`directory`, `subscriptions`) does not take the gateway's word: it
// wraps only for the key the chain holds and re-checks the subscription itself.
import type { MqttClient } from 'mqtt';
import {
  coverageStartMs,
  encodeKeyMessage,
  keyPeriodCovered,
  parseAgentKeyRequest,
  type AgentKeyReply,
  type AgentKeyRequest,
} from '../protocol/key-exchange.ts';
import { sellerKeyReplyTopic, sellerKeyRequestTopic } from '../protocol/topics.ts';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import { toBase64 } from '../protocol/bytes.ts';
import type { KeyringStore } from './crypto/keyring.ts';
import { wrapSensorKey, type PrincipalKey } from './crypto/rsa.ts';
import { asPayload, connectMqtt, type MqttEndpoint } from './mqtt-connect.ts';
import type { SdkLogger } from './log.ts';

/** The chain's word on principals (the gateway's chain adapter has the same method). */
export interface AgentPrincipalDirectory {
  /** The principal's rsaPublicKey as registered on chain (PEM), or undefined when none is set. */
  rsaPublicKey(principal: string): Promise<string | undefined>;
}

/** The chain's word on subscriptions: the valid ones of a buyer to a sensor. */
export interface AgentSubscriptions {
  validSubscriptions(
    buyer: string,
    sensor: string,
  ): Promise<readonly { buyer: string; sensor: string; startTimestamp: number }[]>;
}

export interface KeyAgentConfig {
  /** The seller's DataStreamPrincipal address. */
  seller: string;
  /** The seller's sensor keyrings (one <sensor>.json per sensor). */
  keyrings: KeyringStore;
  /** The seller's principal private key: signs every wrapped key. */
  principalKey: PrincipalKey;
  /** Chain view of principals: when set, the buyer's key comes from here, not from the gateway. */
  directory?: AgentPrincipalDirectory;
  /** Chain view of subscriptions: when set, the agent re-checks the subscription itself. */
  subscriptions?: AgentSubscriptions;
  log?: SdkLogger;
}

async function buyerPublicKey(cfg: KeyAgentConfig, req: AgentKeyRequest): Promise<string> {
  if (!cfg.directory) return req.rsaPublicKey;
  const onChain = await cfg.directory.rsaPublicKey(req.buyer);
  if (!onChain) throw itradeError('CRYPTO_RSA_KEY_INVALID', `buyer ${req.buyer} has no rsaPublicKey on chain`);
  if (onChain.trim() !== req.rsaPublicKey.trim()) {
    cfg.log?.warn(
      { buyer: req.buyer, sensor: req.sensor },
      'gateway sent a buyer key that differs from the chain; using the chain',
    );
  }
  return onChain;
}

async function notBeforeMs(cfg: KeyAgentConfig, req: AgentKeyRequest): Promise<number> {
  if (!cfg.subscriptions) return req.notBeforeMs;
  const grants = (await cfg.subscriptions.validSubscriptions(req.buyer, req.sensor)).filter(
    (g) => g.buyer.toLowerCase() === req.buyer && g.sensor.toLowerCase() === req.sensor,
  );
  if (grants.length === 0)
    throw itradeError(
      'CRYPTO_KEY_NOT_ENTITLED',
      `buyer ${req.buyer} has no valid subscription to ${req.sensor} on chain`,
    );
  return Math.max(req.notBeforeMs, coverageStartMs(grants));
}

/** Answers one request: the wrapped key, or the reason it is refused. Never throws. */
export async function answerKeyRequest(cfg: KeyAgentConfig, req: AgentKeyRequest): Promise<AgentKeyReply> {
  try {
    const ring = await cfg.keyrings.load(req.sensor);
    if (!ring) throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `this agent holds no keys for sensor ${req.sensor}`);
    const entry = req.keyId === 'current' ? ring.current() : ring.get(req.keyId);
    if (!entry) throw itradeError('CRYPTO_UNKNOWN_KEY_ID', `sensor ${req.sensor} has no key ${req.keyId}`);
    const period = ring.period(entry.keyId)!;
    if (!keyPeriodCovered(period, await notBeforeMs(cfg, req))) {
      throw itradeError(
        'CRYPTO_KEY_NOT_COVERED',
        `key ${entry.keyId} of sensor ${req.sensor} was retired before the buyer's subscription started`,
      );
    }
    const pem = await buyerPublicKey(cfg, req);
    const w = await wrapSensorKey(
      pem,
      req.buyer,
      { sensor: req.sensor, keyId: entry.keyId, key: entry.key },
      cfg.principalKey,
    );
    cfg.log?.info({ buyer: req.buyer, sensor: req.sensor, keyId: entry.keyId }, 'sensor key wrapped for buyer');
    return {
      id: req.id,
      sensor: req.sensor,
      keyId: entry.keyId,
      ...period,
      wrapped: toBase64(w.wrapped),
      signature: toBase64(w.signature),
    };
  } catch (err) {
    const e = isItradeError(err) ? err : itradeError('CRYPTO_KEY_AGENT_REFUSED', 'the key agent failed; see its log');
    if (!isItradeError(err)) cfg.log?.error({ sensor: req.sensor, err: (err as Error)?.message }, 'key request failed');
    return { id: req.id, error: { code: e.code, message: e.message } };
  }
}

export class KeyAgent {
  readonly client: MqttClient;
  private readonly cfg: KeyAgentConfig;
  private readonly busy = new Set<Promise<void>>();

  private constructor(client: MqttClient, cfg: KeyAgentConfig) {
    this.client = client;
    this.cfg = cfg;
  }

  /** Connects with the seller's principal JWT and serves until stop(). */
  static async start(cfg: KeyAgentConfig, endpoint: MqttEndpoint): Promise<KeyAgent> {
    const seller = cfg.seller.toLowerCase();
    const client = await connectMqtt({ username: seller, ...endpoint }, 'key-agent', cfg.log);
    const agent = new KeyAgent(client, { ...cfg, seller });
    client.on('message', (topic, payload) => agent.track(agent.onMessage(topic, payload)));
    try {
      await client.subscribeAsync(sellerKeyRequestTopic(seller), { qos: 1 });
    } catch (cause) {
      await client.endAsync(true);
      throw itradeError(
        'CRYPTO_MQTT_CONNECT',
        `key agent: the broker refused the subscription to ${sellerKeyRequestTopic(seller)}`,
        { cause },
      );
    }
    return agent;
  }

  private track(p: Promise<void>): void {
    this.busy.add(p);
    void p.finally(() => this.busy.delete(p));
  }

  private async onMessage(topic: string, payload: Uint8Array): Promise<void> {
    if (topic !== sellerKeyRequestTopic(this.cfg.seller)) return;
    let req: AgentKeyRequest;
    try {
      req = parseAgentKeyRequest(payload);
    } catch (err) {
      this.cfg.log?.warn({ err: (err as Error).message }, 'malformed key request ignored');
      return;
    }
    const reply = await answerKeyRequest(this.cfg, req);
    try {
      await this.client.publishAsync(sellerKeyReplyTopic(this.cfg.seller), asPayload(encodeKeyMessage(reply)), {
        qos: 1,
      });
    } catch (err) {
      this.cfg.log?.warn({ sensor: req.sensor, err: (err as Error).message }, 'cannot publish key reply');
    }
  }

  /** Finishes the requests in hand, then disconnects. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.busy]);
    await this.client.endAsync();
  }
}

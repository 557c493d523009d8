// The buyer's side of the key exchange: asks the gateway for a sensor key on
// buyers/<buyer>/keys/request, waits for the answer on buyers/<buyer>/keys/<id>, checks the
// seller's signature (when it knows the seller's on-chain key), unwraps the key with its own RSA
// private key and keeps it in its keyring, so every later envelope with that key id opens locally.
import type { MqttClient } from 'mqtt';
import {
  encodeKeyMessage,
  parseBuyerKeyReply,
  type BuyerKeyReply,
  type KeyIdSelector,
} from '../protocol/key-exchange.ts';
import { buyerKeyReplyTopic, buyerKeyRequestTopic, buyerTopic } from '../protocol/topics.ts';
import { errorFromCode, isItradeError, itradeError } from '../protocol/errors.ts';
import { fromBase64, toHex } from '../protocol/bytes.ts';
import { envelopeKeyId, openEnvelope } from './crypto/envelope.ts';
import { Keyring, type KeyEntry, type KeyringStore } from './crypto/keyring.ts';
import { randomBytes } from './crypto/random.ts';
import { decodeReading, type Reading } from './crypto/reading.ts';
import { unwrapSensorKey, type PrincipalKey } from './crypto/rsa.ts';
import { asPayload, connectMqtt, type MqttEndpoint } from './mqtt-connect.ts';
import type { SdkLogger } from './log.ts';

export interface BuyerKeyClientConfig {
  /** The buyer's DataStreamPrincipal address. */
  buyer: string;
  /** The buyer's principal private key (its public half is on chain). */
  principalKey: PrincipalKey;
  /** Where received sensor keys are kept (Node.js: a KeyringFolder, mode 0600 files; a page: MemoryKeyrings). */
  keyrings: KeyringStore;
  /** The on-chain rsaPublicKey of the sensor's seller; when given, every wrapped key must carry its signature. */
  sellerPublicKey?: (sensor: string) => Promise<string | undefined>;
  timeoutMs?: number;
  log?: SdkLogger;
}

interface Waiting {
  resolve: (r: BuyerKeyReply) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class BuyerKeyClient {
  readonly client: MqttClient;
  private readonly cfg: BuyerKeyClientConfig;
  private readonly buyer: string;
  private readonly waiting = new Map<string, Waiting>();
  private readonly fetching = new Map<string, Promise<Uint8Array>>();

  private constructor(client: MqttClient, cfg: BuyerKeyClientConfig) {
    this.client = client;
    this.cfg = cfg;
    this.buyer = cfg.buyer.toLowerCase();
  }

  /** Connects with the buyer's principal JWT and subscribes to its key answers. */
  static async connect(cfg: BuyerKeyClientConfig, endpoint: MqttEndpoint): Promise<BuyerKeyClient> {
    const client = await connectMqtt({ username: cfg.buyer.toLowerCase(), ...endpoint }, 'buyer-keys', cfg.log);
    const c = new BuyerKeyClient(client, cfg);
    client.on('message', (topic, payload) => c.onMessage(topic, payload));
    try {
      await client.subscribeAsync(buyerTopic(c.buyer, 'keys', '+'), { qos: 1 });
    } catch (cause) {
      await client.endAsync(true);
      throw itradeError(
        'CRYPTO_MQTT_CONNECT',
        `buyer key helper: the broker refused the subscription to ${buyerTopic(c.buyer, 'keys', '+')}`,
        { cause },
      );
    }
    return c;
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    // Only answers: not the data this client may also subscribe to, not our own echoed request.
    if (!topic.startsWith(buyerTopic(this.buyer, 'keys', '')) || topic === buyerKeyRequestTopic(this.buyer)) return;
    let reply: BuyerKeyReply;
    try {
      reply = parseBuyerKeyReply(payload);
    } catch (err) {
      this.cfg.log?.warn({ topic, err: (err as Error).message }, 'malformed key answer ignored');
      return;
    }
    if (topic !== buyerKeyReplyTopic(this.buyer, reply.id)) return;
    const w = this.waiting.get(reply.id);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(reply.id);
    w.resolve(reply);
  }

  private ask(sensor: string, keyId: KeyIdSelector): Promise<BuyerKeyReply> {
    const id = `k${toHex(randomBytes(8))}`;
    const timeoutMs = this.cfg.timeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          itradeError(
            'CRYPTO_KEY_AGENT_UNAVAILABLE',
            `no answer from the gateway within ${timeoutMs} ms for key ${keyId} of sensor ${sensor}`,
          ),
        );
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.client
        .publishAsync(buyerKeyRequestTopic(this.buyer), asPayload(encodeKeyMessage({ id, sensor, keyId })), { qos: 1 })
        .catch((cause: unknown) => {
          clearTimeout(timer);
          this.waiting.delete(id);
          reject(itradeError('CRYPTO_MQTT_CONNECT', 'cannot publish the key request', { cause }));
        });
    });
  }

  /** Fetches, verifies, unwraps and stores one key; errors carry the gateway's or agent's code. */
  async request(sensor: string, keyId: KeyIdSelector): Promise<KeyEntry & { untilMs: number | null }> {
    const s = sensor.toLowerCase();
    const reply = await this.ask(s, keyId);
    if ('error' in reply) throw errorFromCode(reply.error.code, reply.error.message, 'CRYPTO_KEY_AGENT_REFUSED');
    const sellerPublicKeyPem = this.cfg.sellerPublicKey ? await this.cfg.sellerPublicKey(s) : undefined;
    if (this.cfg.sellerPublicKey && !sellerPublicKeyPem)
      throw itradeError('CRYPTO_UNWRAP_FAILED', `no on-chain key of the seller of ${s} to check the signature with`);
    const k = await unwrapSensorKey(
      this.cfg.principalKey,
      { wrapped: fromBase64(reply.wrapped)!, signature: fromBase64(reply.signature)! },
      {
        buyer: this.buyer,
        sensor: s,
        keyId: keyId === 'current' ? reply.keyId : keyId,
        ...(sellerPublicKeyPem ? { sellerPublicKeyPem } : {}),
      },
    );
    if (k.keyId !== reply.keyId)
      throw itradeError(
        'CRYPTO_UNWRAP_FAILED',
        `the answer says key ${reply.keyId}, the wrapped blob holds key ${k.keyId}`,
      );
    const entry = { keyId: k.keyId, key: k.key, sinceMs: reply.sinceMs };
    const ring = (await this.cfg.keyrings.load(s)) ?? Keyring.empty(s);
    if (ring.add(entry)) await this.cfg.keyrings.save(ring);
    return { ...entry, untilMs: reply.untilMs };
  }

  /**
   * The key of this key id: from the local keyring, else from the gateway (once, however many
   * envelopes wait for it).
   */
  async keyFor(sensor: string, keyId: number): Promise<Uint8Array> {
    const s = sensor.toLowerCase();
    const local = (await this.cfg.keyrings.load(s))?.get(keyId);
    if (local) return local.key;
    const k = `${s}:${keyId}`;
    let p = this.fetching.get(k);
    if (!p) {
      p = this.request(s, keyId)
        .then((e) => e.key)
        .finally(() => this.fetching.delete(k));
      this.fetching.set(k, p);
    }
    return p;
  }

  /** Decrypts one envelope of the sensor (fetching its key once) and decodes the reading. */
  async open(sensor: string, envelope: Uint8Array): Promise<Reading> {
    const s = sensor.toLowerCase();
    const key = await this.keyFor(s, envelopeKeyId(envelope));
    return decodeReading(await openEnvelope(envelope, s, () => key));
  }

  /**
   * Fetches the current key and every older one the subscription covers (key ids count up by
   * one per rotation), so history can be read even after the entries run out. Returns the ids.
   */
  async fetchCovered(sensor: string): Promise<number[]> {
    const current = await this.request(sensor, 'current');
    const got = [current.keyId];
    for (let id = current.keyId - 1; id >= 1; id--) {
      try {
        await this.keyFor(sensor, id);
        got.push(id);
      } catch (err) {
        if (isItradeError(err, 'CRYPTO_KEY_NOT_COVERED')) break; // older ones are retired earlier still
        throw err;
      }
    }
    return got;
  }

  async close(): Promise<void> {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      this.waiting.delete(id);
      w.reject(itradeError('CRYPTO_KEY_AGENT_UNAVAILABLE', 'the buyer key helper was closed before the answer came'));
    }
    await this.client.endAsync();
  }
}

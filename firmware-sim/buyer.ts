// A simulated buyer: connects with its principal JWT, fetches each sensor's keys through the key
// exchange (the seller's agent wraps them for its on-chain RSA key), subscribes to the live
// stream, replays history over the replay protocol, and decrypts and checks every entry
// (verify.ts). It reads only what the gateway lets it read: a refused subscription, an entry it
// cannot decrypt, a gap in the sequence all show up in its report.
import type { MqttClient } from 'mqtt';
import { buyerTopic, sensorOfTopic, sensorTopic } from '../protocol/topics.ts';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { envelopeKeyId } from '../sdk/crypto/envelope.ts';
import { KeyringStore } from '../sdk/crypto/keyring.ts';
import type { Reading } from '../sdk/crypto/reading.ts';
import { PrincipalKey } from '../sdk/crypto/rsa.ts';
import { BuyerKeyClient } from '../sdk/key-client.ts';
import { defaultClientId, refreshPasswordOnClose } from '../sdk/mqtt-connect.ts';
import { replayHistory, type ReplayOptions, type ReplayOutcome } from '../sdk/replay-client.ts';
import { StreamCheck } from './verify.ts';

export interface BuyerOptions {
  url: string;
  /** The buyer's principal address. */
  buyer: string;
  /** Its principal JWT. */
  token: string;
  rsaKeyFile: string;
  /** Where received sensor keys are kept. */
  keysDir: string;
  /** The sensors to read, each with its on-chain type (checked on every reading) when known. */
  sensors: ReadonlyMap<string, number | undefined>;
  /** The seller's on-chain public key per sensor: when given, every wrapped key's signature is checked. */
  sellerPublicKey?: (sensor: string) => Promise<string | undefined>;
  /** Keep every seq received (tests compare them). */
  keepSeqs?: boolean;
  onReading?: (r: BuyerReading) => void;
  /** An entry that did not open (tampered, no key for it, ...). */
  onFailure?: (f: { sensor: string; source: Source; error: Error }) => void;
  /** A fresh principal JWT when the session is closed (tokens expire after an hour). */
  refreshToken?: () => Promise<string>;
  log?: Logger;
}

export type Source = 'live' | 'replay';

export interface BuyerReading {
  buyer: string;
  sensor: string;
  source: Source;
  keyId: number;
  reading: Reading;
  latencyMs: number;
  envelope: Buffer;
}

export interface Notice {
  type?: string;
  kind?: string;
  sensor?: string;
  reason?: string;
  code?: string;
}

const TRANSIENT = ['CRYPTO_KEY_AGENT_UNAVAILABLE', 'CRYPTO_KEY_CHECK_FAILED', 'CRYPTO_KEY_BUSY'] as const;

export class SimBuyer {
  readonly buyer: string;
  readonly checks: Record<Source, Map<string, StreamCheck>> = { live: new Map(), replay: new Map() };
  readonly notices: Notice[] = [];
  private readonly queues = new Map<string, Promise<void>>();

  private constructor(
    readonly keys: BuyerKeyClient,
    private readonly o: BuyerOptions,
  ) {
    this.buyer = o.buyer.toLowerCase();
    for (const [s, type] of o.sensors) {
      this.checks.live.set(s, new StreamCheck(type, o.keepSeqs));
      this.checks.replay.set(s, new StreamCheck(type, o.keepSeqs));
    }
  }

  get client(): MqttClient {
    return this.keys.client;
  }

  static async connect(o: BuyerOptions): Promise<SimBuyer> {
    const buyer = o.buyer.toLowerCase();
    const keys = await BuyerKeyClient.connect(
      {
        buyer,
        principalKey: PrincipalKey.load(o.rsaKeyFile),
        keyrings: new KeyringStore(o.keysDir),
        timeoutMs: 20_000,
        ...(o.sellerPublicKey ? { sellerPublicKey: o.sellerPublicKey } : {}),
        ...(o.log ? { log: o.log } : {}),
      },
      { url: o.url, username: buyer, password: o.token, clientId: defaultClientId(buyer, 'buyer') },
    );
    const b = new SimBuyer(keys, { ...o, buyer });
    if (o.refreshToken) refreshPasswordOnClose(keys.client, o.refreshToken, o.log);
    keys.client.on('message', (topic, payload) => b.onMessage(topic, payload));
    await keys.client.subscribeAsync(buyerTopic(buyer, 'notices'), { qos: 1 });
    return b;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === buyerTopic(this.buyer, 'notices')) {
      try {
        this.notices.push(JSON.parse(payload.toString('utf8')) as Notice);
      } catch {
        this.o.log?.warn({ topic }, 'notice is not JSON');
      }
      return;
    }
    const sensor = sensorOfTopic(topic);
    if (sensor && this.checks.live.has(sensor))
      this.enqueue(sensor, () => this.open(sensor, 'live', Buffer.from(payload)));
  }

  // Entries of one sensor are opened in arrival order (a missing key is fetched first).
  private enqueue(sensor: string, work: () => Promise<void>): void {
    const next = (this.queues.get(sensor) ?? Promise.resolve()).then(work);
    this.queues.set(sensor, next);
  }

  // A busy or briefly unreachable agent or chain is worth asking again; a refusal is not.
  private async openRetrying(sensor: string, envelope: Buffer): Promise<Reading> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.keys.open(sensor, envelope);
      } catch (err) {
        if (attempt >= 4 || !TRANSIENT.some((n) => isItradeError(err, n))) throw err;
        this.o.log?.info(
          { buyer: this.buyer, sensor, code: (err as { code?: string }).code, attempt },
          'key fetch failed; asking again',
        );
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  private async open(sensor: string, source: Source, envelope: Buffer): Promise<void> {
    const check = this.checks[source].get(sensor)!;
    try {
      const reading = await this.openRetrying(sensor, envelope);
      const latencyMs = Date.now() - reading.ts;
      check.accept(reading, latencyMs);
      this.o.onReading?.({
        buyer: this.buyer,
        sensor,
        source,
        keyId: envelopeKeyId(envelope),
        reading,
        latencyMs,
        envelope,
      });
    } catch (err) {
      check.fail(isItradeError(err) ? err.code : 'unexpected');
      this.o.onFailure?.({ sensor, source, error: err as Error });
      this.o.log?.warn(
        { buyer: this.buyer, sensor, source, code: isItradeError(err) ? err.code : undefined },
        'entry not decrypted',
      );
    }
  }

  /** Fetches the current key and every older one the subscription covers. */
  fetchKeys(sensor: string): Promise<number[]> {
    return this.keys.fetchCovered(sensor);
  }

  /** Subscribes to the live stream of every sensor; a refusal names the gateway's reason. */
  async subscribeLive(): Promise<void> {
    for (const sensor of this.o.sensors.keys()) {
      try {
        await this.client.subscribeAsync(sensorTopic(sensor), { qos: 1 });
      } catch (cause) {
        throw itradeError(
          'SIM_SUBSCRIBE_REFUSED',
          `buyer ${this.buyer}, sensor ${sensor}: ${await this.refusalReason(sensor)}`,
          { cause },
        );
      }
    }
  }

  private async refusalReason(sensor: string): Promise<string> {
    // The notice is sent with the SUBACK; give it a moment to arrive.
    for (let i = 0; i < 20; i++) {
      const n = this.notices.findLast((x) => x.sensor === sensor);
      if (n) return `${n.type ?? n.kind}: ${n.reason ?? ''}${n.code ? ` (${n.code})` : ''}`;
      await new Promise((r) => setTimeout(r, 50));
    }
    return 'SUBACK 0x80 (no valid, started subscription with entries left)';
  }

  /** Replays the sensor's history (docs/replay.md), decrypting and checking each entry. */
  replay(sensor: string, o: ReplayOptions = {}): Promise<ReplayOutcome> {
    return replayHistory(this.client, this.buyer, sensor, o, (e) =>
      this.open(sensor, 'replay', Buffer.from(e.payload)),
    );
  }

  /** True once the gateway said every paid entry of the sensor was delivered. */
  exhausted(sensor: string): boolean {
    return this.notices.some((n) => n.type === 'entries-exhausted' && n.sensor === sensor);
  }

  /** Waits until every live entry received so far is decrypted and checked. */
  async settled(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  async close(): Promise<void> {
    await this.settled();
    await this.keys.close();
  }
}

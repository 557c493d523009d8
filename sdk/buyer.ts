// A buyer: connects with its principal JWT, gets each sensor's keys through the key exchange (the
// seller's agent wraps them for the buyer's on-chain RSA key; BuyerKeyClient), subscribes to live
// data, replays history (replayHistory), and hands every entry over decrypted, in arrival order
// per sensor. The gateway's notices (buyers/<buyer>/notices: a refused subscription and why, the
// paid entries used up) are kept and passed on. What the buyer does with a reading is the
// caller's: the simulator checks sequences, the CLI prints JSON lines, a web page draws a chart.
import type { MqttClient } from 'mqtt';
import { isItradeError, itradeError } from '../protocol/errors.ts';
import { fromUtf8 } from '../protocol/bytes.ts';
import { buyerTopic, fromNowTopic, sensorOfTopic, sensorTopic } from '../protocol/topics.ts';
import { envelopeKeyId } from './crypto/envelope.ts';
import type { KeyringStore } from './crypto/keyring.ts';
import type { Reading } from './crypto/reading.ts';
import type { PrincipalKey } from './crypto/rsa.ts';
import { BuyerKeyClient } from './key-client.ts';
import { defaultClientId, refreshPasswordOnClose } from './mqtt-connect.ts';
import { replayHistory, type ReplayOptions, type ReplayOutcome } from './replay-client.ts';
import { silentLogger, type SdkLogger } from './log.ts';

export type Source = 'live' | 'replay';

export interface SubscribeOptions {
  /**
   * 'start' (the default): from the buyer's cursor, first placed at its subscription's start.
   * 'now': the cursor first moves to the log's end; the entries skipped are not counted.
   */
  from?: 'start' | 'now';
}

export interface BuyerReading {
  sensor: string;
  source: Source;
  keyId: number;
  reading: Reading;
  /** The envelope as the device sealed it. */
  envelope: Uint8Array;
}

export interface EntryFailure {
  sensor: string;
  source: Source;
  /** An ItradeError: CRYPTO_DECRYPT_FAILED (tampered), CRYPTO_KEY_NOT_ENTITLED (no key), ... */
  error: Error;
  envelope: Uint8Array;
}

/** A message of the gateway on buyers/<buyer>/notices (docs/broker.md, "Notices"). */
export interface Notice {
  type?: string;
  kind?: string;
  sensor?: string;
  reason?: string;
  code?: string;
}

export interface BuyerOptions {
  /** The gateway's MQTT URL: mqtt://host:port in Node.js, ws(s)://host:port in a browser. */
  url: string;
  /** The buyer's principal address. */
  buyer: string;
  /** Its principal JWT (GatewayApi.login). */
  token: string;
  /** The buyer's RSA private key; its public half is the principal's rsaPublicKey on chain. */
  principalKey: PrincipalKey;
  /** Where received sensor keys are kept. */
  keyrings: KeyringStore;
  /** The seller's on-chain public key per sensor: when given, every wrapped key's signature is checked. */
  sellerPublicKey?: (sensor: string) => Promise<string | undefined>;
  /** A fresh principal JWT when the session is closed (tokens expire after an hour). */
  refreshToken?: () => Promise<string>;
  /** How long to wait for a key answer (default 20 s). */
  keyTimeoutMs?: number;
  onReading?: (r: BuyerReading) => void;
  /** An entry that did not open; the stream goes on. */
  onFailure?: (f: EntryFailure) => void;
  onNotice?: (n: Notice) => void;
  log?: SdkLogger;
}

// A busy or briefly unreachable agent or chain is worth asking again; a refusal is not.
const TRANSIENT = ['CRYPTO_KEY_AGENT_UNAVAILABLE', 'CRYPTO_KEY_CHECK_FAILED', 'CRYPTO_KEY_BUSY'] as const;

export class Buyer {
  readonly buyer: string;
  readonly notices: Notice[] = [];
  private readonly live = new Set<string>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly log: SdkLogger;

  private constructor(
    readonly keys: BuyerKeyClient,
    private readonly o: BuyerOptions,
  ) {
    this.buyer = o.buyer.toLowerCase();
    this.log = o.log ?? silentLogger;
  }

  get client(): MqttClient {
    return this.keys.client;
  }

  /** Connects as the buyer and subscribes to its key answers and notices. */
  static async connect(o: BuyerOptions): Promise<Buyer> {
    const buyer = o.buyer.toLowerCase();
    const keys = await BuyerKeyClient.connect(
      {
        buyer,
        principalKey: o.principalKey,
        keyrings: o.keyrings,
        timeoutMs: o.keyTimeoutMs ?? 20_000,
        ...(o.sellerPublicKey ? { sellerPublicKey: o.sellerPublicKey } : {}),
        ...(o.log ? { log: o.log } : {}),
      },
      { url: o.url, username: buyer, password: o.token, clientId: defaultClientId(buyer, 'buyer') },
    );
    const b = new Buyer(keys, { ...o, buyer });
    if (o.refreshToken) refreshPasswordOnClose(keys.client, o.refreshToken, o.log);
    keys.client.on('message', (topic, payload) => b.onMessage(topic, payload));
    await keys.client.subscribeAsync(buyerTopic(buyer, 'notices'), { qos: 1 });
    return b;
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    if (topic === buyerTopic(this.buyer, 'notices')) {
      let n: Notice;
      try {
        n = JSON.parse(fromUtf8(payload)) as Notice;
      } catch {
        this.log.warn({ topic }, 'notice is not JSON');
        return;
      }
      this.notices.push(n);
      this.o.onNotice?.(n);
      return;
    }
    const sensor = sensorOfTopic(topic);
    if (sensor && this.live.has(sensor))
      this.enqueue(sensor, () => this.deliver(sensor, 'live', Uint8Array.from(payload)));
  }

  // Entries of one sensor are opened in arrival order (a missing key is fetched first).
  private enqueue(sensor: string, work: () => Promise<void>): void {
    const next = (this.queues.get(sensor) ?? Promise.resolve()).then(work);
    this.queues.set(sensor, next);
  }

  /** Decrypts one envelope of the sensor, fetching its key once; transient key errors are retried. */
  async open(sensor: string, envelope: Uint8Array): Promise<Reading> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.keys.open(sensor, envelope);
      } catch (err) {
        if (attempt >= 4 || !TRANSIENT.some((n) => isItradeError(err, n))) throw err;
        const code = (err as { code?: string }).code;
        this.log.info({ buyer: this.buyer, sensor, code, attempt }, 'key fetch failed; asking again');
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  private async deliver(sensor: string, source: Source, envelope: Uint8Array): Promise<void> {
    try {
      const reading = await this.open(sensor, envelope);
      this.o.onReading?.({ sensor, source, keyId: envelopeKeyId(envelope), reading, envelope });
    } catch (err) {
      this.o.onFailure?.({ sensor, source, error: err as Error, envelope });
      const code = isItradeError(err) ? err.code : undefined;
      this.log.warn({ buyer: this.buyer, sensor, source, code }, 'entry not decrypted');
    }
  }

  /** Fetches the sensor's current key and every older one the subscription covers; returns the key ids. */
  fetchKeys(sensor: string): Promise<number[]> {
    return this.keys.fetchCovered(sensor);
  }

  /**
   * Subscribes to the sensors: the gateway delivers each one's log from the buyer's cursor (first from the
   * subscription's start, then live). With `from: 'now'` the cursor first moves to the log's end: what was
   * published before is skipped and not counted. A refusal (SIM_SUBSCRIBE_REFUSED) names the gateway's reason.
   */
  async subscribe(sensors: string | readonly string[], o: SubscribeOptions = {}): Promise<void> {
    for (const s of typeof sensors === 'string' ? [sensors] : sensors) {
      const sensor = s.toLowerCase();
      this.live.add(sensor);
      try {
        // The PUBACK comes once the cursor moved (docs/broker.md "Starting from now").
        if (o.from === 'now') await this.client.publishAsync(fromNowTopic(this.buyer, sensor), '', { qos: 1 });
        await this.client.subscribeAsync(sensorTopic(sensor), { qos: 1 });
      } catch (cause) {
        this.live.delete(sensor);
        const why = (cause as { code?: unknown }).code === 128 ? await this.refusal(sensor) : 'no SUBACK';
        throw itradeError('SIM_SUBSCRIBE_REFUSED', `buyer ${this.buyer}, sensor ${sensor}: ${why}`, { cause });
      }
    }
  }

  private async refusal(sensor: string): Promise<string> {
    // The gateway sends the notice with the SUBACK; give it a moment to arrive.
    for (let i = 0; i < 20; i++) {
      const n = this.notices.findLast((x) => x.sensor === sensor);
      if (n) return `${n.type ?? n.kind}: ${n.reason ?? ''}${n.code ? ` (${n.code})` : ''}`;
      await new Promise((r) => setTimeout(r, 50));
    }
    return 'SUBACK 0x80 (no valid, started subscription with entries left)';
  }

  /** Replays the sensor's history (docs/replay.md); each entry is decrypted and handed to onReading. */
  replay(sensor: string, o: ReplayOptions = {}): Promise<ReplayOutcome> {
    const s = sensor.toLowerCase();
    return replayHistory(this.client, this.buyer, s, o, (e) => this.deliver(s, 'replay', Uint8Array.from(e.payload)));
  }

  /** True once the gateway said every paid entry of the sensor was delivered (notice entries-exhausted). */
  exhausted(sensor: string): boolean {
    return this.notices.some((n) => n.type === 'entries-exhausted' && n.sensor === sensor.toLowerCase());
  }

  /** Waits until every live entry received so far is decrypted and handed over. */
  async settled(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  async close(): Promise<void> {
    await this.settled();
    await this.keys.close();
  }
}

// A simulated buyer: the SDK's Buyer (sdk/buyer.ts: keys through the key exchange, live and
// replayed entries decrypted) with a check on every entry (verify.ts): a refused subscription,
// an entry it cannot decrypt, a gap in the sequence all show up in its report. Only the checks
// and the counts are simulation.
import type { MqttClient } from 'mqtt';
import type { Logger } from '../lib/log.ts';
import {
  Buyer,
  BuyerKeyClient,
  isItradeError,
  KeyringFolder,
  loadPrincipalKey,
  type BuyerReading as SdkReading,
  type Notice,
  type ReplayOptions,
  type ReplayOutcome,
  type Source,
} from '../sdk/node.ts';
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

export type { Source };

export interface BuyerReading extends SdkReading {
  buyer: string;
  latencyMs: number;
}

export class SimBuyer {
  readonly buyer: string;
  readonly checks: Record<Source, Map<string, StreamCheck>> = { live: new Map(), replay: new Map() };

  private constructor(
    private readonly o: BuyerOptions,
    private sdk?: Buyer,
  ) {
    this.buyer = o.buyer.toLowerCase();
    for (const [s, type] of o.sensors) {
      this.checks.live.set(s, new StreamCheck(type, o.keepSeqs));
      this.checks.replay.set(s, new StreamCheck(type, o.keepSeqs));
    }
  }

  private get b(): Buyer {
    return this.sdk!;
  }

  get client(): MqttClient {
    return this.b.client;
  }

  /** The SDK's key client of this buyer (tests ask it directly). */
  get keys(): BuyerKeyClient {
    return this.b.keys;
  }

  get notices(): Notice[] {
    return this.b.notices;
  }

  static async connect(o: BuyerOptions): Promise<SimBuyer> {
    const sim = new SimBuyer(o);
    sim.sdk = await Buyer.connect({
      url: o.url,
      buyer: o.buyer,
      token: o.token,
      principalKey: await loadPrincipalKey(o.rsaKeyFile),
      keyrings: new KeyringFolder(o.keysDir),
      ...(o.sellerPublicKey ? { sellerPublicKey: o.sellerPublicKey } : {}),
      ...(o.refreshToken ? { refreshToken: o.refreshToken } : {}),
      onReading: (r) => sim.accept(r),
      onFailure: (f) => {
        sim.checks[f.source].get(f.sensor)?.fail(isItradeError(f.error) ? f.error.code : 'unexpected');
        o.onFailure?.(f);
      },
      ...(o.log ? { log: o.log } : {}),
    });
    return sim;
  }

  private accept(r: SdkReading): void {
    const latencyMs = Date.now() - r.reading.ts;
    this.checks[r.source].get(r.sensor)?.accept(r.reading, latencyMs);
    this.o.onReading?.({ ...r, buyer: this.buyer, latencyMs });
  }

  /** Fetches the current key and every older one the subscription covers. */
  fetchKeys(sensor: string): Promise<number[]> {
    return this.b.fetchKeys(sensor);
  }

  /** Subscribes to the live stream of every sensor; a refusal names the gateway's reason. */
  subscribeLive(): Promise<void> {
    return this.b.subscribe([...this.o.sensors.keys()]);
  }

  /** Replays the sensor's history (docs/replay.md), decrypting and checking each entry. */
  replay(sensor: string, o: ReplayOptions = {}): Promise<ReplayOutcome> {
    return this.b.replay(sensor, o);
  }

  /** True once the gateway said every paid entry of the sensor was delivered. */
  exhausted(sensor: string): boolean {
    return this.b.exhausted(sensor);
  }

  /** Waits until every live entry received so far is decrypted and checked. */
  settled(): Promise<void> {
    return this.b.settled();
  }

  close(): Promise<void> {
    return this.b.close();
  }
}

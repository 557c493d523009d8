// The gateway's side of the key exchange (paper Fig. 3, docs/key-exchange.md). A buyer asks on
// buyers/<buyer>/keys/request; the KeyService checks on chain that the buyer holds a valid
// subscription to that very sensor (fail closed), serves the wrapped key from the Redis cache or
// asks the seller's key agent for it, applies the key rotation rule, and answers on
// buyers/<buyer>/keys/<requestId> to that buyer only. It only ever handles RSA-wrapped keys.
// It talks to MQTT through BuyerChannel/SellerChannel (no Aedes here) and to the chain through
// Entitlements and PrincipalDirectory.
import type { Redis } from 'ioredis';
import type {
  BuyerChannel,
  BuyerRequestHandler,
  Entitlements,
  Meter,
  PrincipalDirectory,
  SellerChannel,
  SellerMessageHandler,
  SubscriptionGrant,
} from '../interfaces/layers.ts';
import {
  coverageStartMs,
  encodeKeyMessage,
  keyPeriodCovered,
  parseBuyerKeyRequest,
  type BuyerKeyRequest,
  type BuyerKeyReply,
} from '../protocol/key-exchange.ts';
import { buyerKeyReplyTopic, buyerKeyRequestTopic, buyerTopic, isKeyRequestId } from '../protocol/topics.ts';
import { isItradeError, ItradeError, itradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { AgentCalls } from './agent-calls.ts';
import { buyerKeyFingerprint } from './buyer-key.ts';
import { RedisWrappedKeyCache, type CachedGrant, type WrappedKeyCache } from './key-cache.ts';
import type { KeyObserver } from './metrics.ts';
import { asBuffer } from '../lib/bytes.ts';
import { inChildSpan, inContext, type Context } from '../tracing/tracing.ts';

export interface KeyServiceOptions {
  agentTimeoutMs: number;
  cacheTtlSec: number;
  maxPendingPerBuyer: number;
}

export interface KeyServiceDeps {
  entitlements: Pick<Entitlements, 'sensor' | 'validSubscriptions'>;
  meter: Pick<Meter, 'remaining'>;
  directory: PrincipalDirectory;
  buyers: BuyerChannel;
  sellers: SellerChannel;
  cache: WrappedKeyCache;
  options: KeyServiceOptions;
  log: Logger;
  /** Told of every answered request (metrics). */
  observe?: KeyObserver;
}

/** One key request on its way through KEY_REQUEST_FLOW. */
interface KeyRequest {
  buyer: string;
  payload: Buffer;
  replyId?: string; // known as soon as the id is readable, even if the rest is not
  req: BuyerKeyRequest;
  seller: string;
  grants: SubscriptionGrant[];
  buyerPem: string;
  buyerKey: string; // fingerprint
  issuedBefore: boolean; // the cache holds this key id for this buyer
  grant?: CachedGrant;
  fresh: boolean; // the grant came from the agent now, not from the cache
}

type Step = (s: KeyService, r: KeyRequest) => Promise<void>;

function notEntitled(r: KeyRequest, why: string): never {
  throw itradeError('CRYPTO_KEY_NOT_ENTITLED', `buyer ${r.buyer}, sensor ${r.req.sensor}: ${why}`);
}

/** Each step may throw an ItradeError, which ends the flow with an error answer to the buyer. */
const KEY_REQUEST_FLOW: readonly (readonly [string, Step])[] = [
  [
    'parse the request',
    async (_s, r) => {
      r.replyId = readableId(r.payload);
      r.req = parseBuyerKeyRequest(r.payload);
    },
  ],
  [
    'find the sensor and its seller',
    async (s, r) => {
      const info = await s.deps.entitlements.sensor(r.req.sensor);
      if (!info) notEntitled(r, 'not a sensor of this marketplace');
      if (info.status === 'blocked') notEntitled(r, 'the sensor is blocked');
      r.seller = info.principal.toLowerCase();
    },
  ],
  [
    'check the subscription on chain',
    async (s, r) => {
      // Only this buyer's grants for this very sensor count, whatever the adapter returns.
      const all = await s.deps.entitlements.validSubscriptions(r.buyer, r.req.sensor);
      r.grants = all.filter((g) => g.buyer.toLowerCase() === r.buyer && g.sensor.toLowerCase() === r.req.sensor);
      if (r.grants.length === 0) notEntitled(r, 'no subscription valid on chain');
    },
  ],
  [
    'load the buyer public key',
    async (s, r) => {
      r.buyerPem = (await s.deps.directory.rsaPublicKey(r.buyer)) ?? '';
      r.buyerKey = buyerKeyFingerprint(r.buyerPem, r.buyer);
    },
  ],
  [
    'look in the cache',
    async (s, r) => {
      if (r.req.keyId === 'current') return; // only the agent knows which key is current
      const hit = await s.cacheGet(r.req.sensor, r.req.keyId, r.buyer);
      r.issuedBefore = hit !== undefined;
      if (hit?.buyerKey === r.buyerKey) r.grant = hit;
    },
  ],
  [
    'check entries left',
    async (s, r) => {
      // An exhausted buyer gets no key id it was not given before (docs/key-exchange.md).
      if (r.issuedBefore) return;
      const left = await s.deps.meter.remaining(r.buyer, r.req.sensor);
      if (left <= 0) notEntitled(r, 'no entries left, and this key id was never issued to this buyer');
    },
  ],
  [
    'ask the seller key agent',
    async (s, r) => {
      if (r.grant) return;
      const notBeforeMs = coverageStartMs(r.grants);
      const g = await s.calls.ask(
        r.seller,
        { sensor: r.req.sensor, keyId: r.req.keyId, buyer: r.buyer, rsaPublicKey: r.buyerPem, notBeforeMs },
        r.buyerKey,
      );
      if (g.sensor !== r.req.sensor || (r.req.keyId !== 'current' && g.keyId !== r.req.keyId)) {
        throw itradeError(
          'CRYPTO_KEY_AGENT_REFUSED',
          `the key agent answered with sensor ${g.sensor} key ${g.keyId}, not what was asked`,
        );
      }
      r.grant = { ...g, buyerKey: r.buyerKey };
      r.fresh = true;
    },
  ],
  [
    'apply the key rotation rule',
    async (_s, r) => {
      if (!keyPeriodCovered(r.grant!, coverageStartMs(r.grants))) {
        throw itradeError(
          'CRYPTO_KEY_NOT_COVERED',
          `key ${r.grant!.keyId} of sensor ${r.req.sensor} was retired before the buyer's subscription started`,
        );
      }
    },
  ],
  [
    'remember the wrapped key',
    async (s, r) => {
      if (r.fresh) await s.cachePut(r.buyer, r.grant!);
    },
  ],
];

export class KeyService implements BuyerRequestHandler, SellerMessageHandler {
  readonly deps: KeyServiceDeps;
  readonly calls: AgentCalls;

  constructor(deps: KeyServiceDeps) {
    this.deps = deps;
    this.calls = new AgentCalls(deps.sellers, deps.options, deps.log);
  }

  async onBuyerMessage(buyer: string, topic: string, payload: Buffer): Promise<void> {
    const b = buyer.toLowerCase();
    if (topic !== buyerKeyRequestTopic(b)) return; // replay and others are not ours
    // A child of the request's PUBLISH span, when that one is traced (the broker calls in its context).
    return inChildSpan('keys.request', { 'itrade.buyer': b }, (trace) => this.answer(b, payload, trace));
  }

  // `trace`: the keys.request span's context, carried past each await (tracing/scope.ts).
  private async answer(b: string, payload: Buffer, trace: Context | undefined): Promise<void> {
    const r = { buyer: b, payload, grants: [], issuedBefore: false, fresh: false } as unknown as KeyRequest;
    const t0 = performance.now();
    let answer: BuyerKeyReply;
    try {
      for (const [name, step] of KEY_REQUEST_FLOW) await inChildSpan(`keys: ${name}`, {}, () => step(this, r), trace);
      answer = { id: r.req.id, ...strip(r.grant!) };
      this.deps.observe?.({ ok: true, cached: !r.fresh }, (performance.now() - t0) / 1000);
      inContext(trace, () =>
        this.deps.log.info(
          { buyer: b, sensor: r.req.sensor, keyId: r.grant!.keyId, cached: !r.fresh },
          'wrapped key sent',
        ),
      );
    } catch (err) {
      const e = this.asKeyError(err, r);
      this.deps.observe?.({ ok: false, code: e.code }, (performance.now() - t0) / 1000);
      if (!r.replyId) return this.notice(b, e);
      answer = {
        id: r.replyId,
        ...(r.req ? { sensor: r.req.sensor } : {}),
        error: { code: e.code, message: e.message },
      };
      inContext(trace, () =>
        this.deps.log.info({ buyer: b, sensor: r.req?.sensor, code: e.code }, 'key request refused'),
      );
    }
    await this.reply(b, buyerKeyReplyTopic(b, answer.id), asBuffer(encodeKeyMessage(answer)));
  }

  async onSellerMessage(seller: string, topic: string, payload: Buffer): Promise<void> {
    this.calls.onReply(seller.toLowerCase(), topic, payload);
  }

  close(): void {
    this.calls.close();
  }

  async cacheGet(sensor: string, keyId: number, buyer: string): Promise<CachedGrant | undefined> {
    try {
      return await this.deps.cache.get(sensor, keyId, buyer);
    } catch (err) {
      // A cache outage costs a round trip to the agent, not the answer.
      this.deps.log.warn({ sensor, keyId, err: (err as Error).message }, 'wrapped-key cache read failed');
      return undefined;
    }
  }

  async cachePut(buyer: string, grant: CachedGrant): Promise<void> {
    try {
      await this.deps.cache.put(buyer, grant, this.deps.options.cacheTtlSec);
    } catch (err) {
      this.deps.log.warn(
        { sensor: grant.sensor, keyId: grant.keyId, err: (err as Error).message },
        'wrapped-key cache write failed',
      );
    }
  }

  private asKeyError(err: unknown, r: KeyRequest): ItradeError {
    if (isItradeError(err)) return err;
    // Chain or meter unreachable: fail closed, say so.
    this.deps.log.warn({ buyer: r.buyer, err: (err as Error)?.message }, 'key request check failed');
    return itradeError('CRYPTO_KEY_CHECK_FAILED', 'the gateway could not check the subscription; retry later', {
      cause: err,
    });
  }

  /** A request without a usable id cannot be answered on its own topic: say why on notices. */
  private async notice(buyer: string, e: ItradeError): Promise<void> {
    const body = { kind: 'key-request-rejected', error: { code: e.code, message: e.message } };
    await this.reply(buyer, buyerTopic(buyer, 'notices'), Buffer.from(JSON.stringify(body)));
  }

  private async reply(buyer: string, topic: string, payload: Buffer): Promise<void> {
    try {
      await this.deps.buyers.send(buyer, topic, payload, 1);
    } catch (err) {
      this.deps.log.warn({ buyer, err: (err as Error).message }, 'cannot deliver key answer to buyer');
    }
  }
}

/** The request id, if the payload is JSON with a valid one (to answer even a malformed request). */
function readableId(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown })?.id;
    return typeof id === 'string' && isKeyRequestId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

function strip(g: CachedGrant): Omit<CachedGrant, 'buyerKey'> {
  return {
    sensor: g.sensor,
    keyId: g.keyId,
    sinceMs: g.sinceMs,
    untilMs: g.untilMs,
    wrapped: g.wrapped,
    signature: g.signature,
  };
}

/** The KeyService with its wrapped-key cache in Redis under `<keyPrefix>wrapped:`. */
export function createKeyService(
  deps: Omit<KeyServiceDeps, 'cache'> & { redis: Redis; keyPrefix: string },
): KeyService {
  const { redis, keyPrefix, ...rest } = deps;
  return new KeyService({ ...rest, cache: new RedisWrappedKeyCache(redis, keyPrefix, deps.log) });
}

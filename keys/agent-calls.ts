// The gateway's outstanding questions to sellers' key agents: one correlation id per question,
// a timeout (an offline agent gets a clear error, not a hang), one question in flight per
// (seller, sensor, key id, buyer, buyer key) however often the buyer repeats itself, and a cap of
// pending questions per buyer so one buyer cannot flood an agent.
import { randomBytes } from 'node:crypto';
import { encodeKeyMessage, parseAgentKeyReply, type AgentKeyRequest, type KeyGrant } from '../protocol/key-exchange.ts';
import type { SellerChannel } from '../interfaces/layers.ts';
import { sellerKeyRequestTopic, sellerOfKeyReplyTopic } from '../protocol/topics.ts';
import { errorName, itradeError, type ItradeError } from '../protocol/errors.ts';
import type { Logger } from '../lib/log.ts';
import { asBuffer } from '../lib/bytes.ts';

interface Waiting {
  seller: string;
  buyer: string;
  resolve: (g: KeyGrant) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface AgentCallOptions {
  agentTimeoutMs: number;
  maxPendingPerBuyer: number;
}

/** An agent's error answer as the same typed error the buyer will see. */
function agentError(code: string, message: string): ItradeError {
  const name = errorName(code);
  return name?.startsWith('CRYPTO_')
    ? itradeError(name, message)
    : itradeError('CRYPTO_KEY_AGENT_REFUSED', `${code}: ${message}`);
}

export class AgentCalls {
  private readonly waiting = new Map<string, Waiting>();
  private readonly inflight = new Map<string, Promise<KeyGrant>>();
  private readonly perBuyer = new Map<string, number>();
  private readonly sellers: SellerChannel;
  private readonly opts: AgentCallOptions;
  private readonly log: Logger;

  constructor(sellers: SellerChannel, opts: AgentCallOptions, log: Logger) {
    this.sellers = sellers;
    this.opts = opts;
    this.log = log;
  }

  /** Asks the seller's agent; joins an identical question already in flight. */
  ask(seller: string, req: Omit<AgentKeyRequest, 'id'>, buyerKey: string): Promise<KeyGrant> {
    const dedupe = [seller, req.sensor, req.keyId, req.buyer, buyerKey].join('|');
    const joined = this.inflight.get(dedupe);
    if (joined) return joined;
    const pending = this.perBuyer.get(req.buyer) ?? 0;
    if (pending >= this.opts.maxPendingPerBuyer) {
      return Promise.reject(
        itradeError('CRYPTO_KEY_BUSY', `buyer ${req.buyer} has ${pending} key requests waiting for agents`),
      );
    }
    this.perBuyer.set(req.buyer, pending + 1);
    const call = this.send(seller, req).finally(() => {
      this.inflight.delete(dedupe);
      const n = (this.perBuyer.get(req.buyer) ?? 1) - 1;
      if (n > 0) this.perBuyer.set(req.buyer, n);
      else this.perBuyer.delete(req.buyer);
    });
    this.inflight.set(dedupe, call);
    return call;
  }

  private send(seller: string, req: Omit<AgentKeyRequest, 'id'>): Promise<KeyGrant> {
    const id = randomBytes(16).toString('hex');
    return new Promise<KeyGrant>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.log.warn({ seller, sensor: req.sensor, buyer: req.buyer }, 'key agent did not answer in time');
        reject(
          itradeError(
            'CRYPTO_KEY_AGENT_UNAVAILABLE',
            `the key agent of seller ${seller} did not answer within ${this.opts.agentTimeoutMs} ms (offline?)`,
          ),
        );
      }, this.opts.agentTimeoutMs);
      this.waiting.set(id, { seller, buyer: req.buyer, resolve, reject, timer });
      this.sellers
        .send(seller, sellerKeyRequestTopic(seller), asBuffer(encodeKeyMessage({ id, ...req })), 1)
        .catch((cause: unknown) => {
          this.settle(id)?.reject(
            itradeError('CRYPTO_KEY_AGENT_UNAVAILABLE', `cannot reach the key agent of seller ${seller}`, { cause }),
          );
        });
    });
  }

  private settle(id: string): Waiting | undefined {
    const w = this.waiting.get(id);
    if (!w) return undefined;
    clearTimeout(w.timer);
    this.waiting.delete(id);
    return w;
  }

  /**
   * A message on sellers/<seller>/keys/replies. Answers to questions another gateway instance
   * asked, late answers and answers from the wrong seller are ignored: only the seller asked can
   * settle its question.
   */
  onReply(seller: string, topic: string, payload: Buffer): void {
    if (sellerOfKeyReplyTopic(topic) !== seller) return;
    let reply;
    try {
      reply = parseAgentKeyReply(payload);
    } catch (err) {
      const id = this.guessId(payload);
      const w = id === undefined || this.waiting.get(id)?.seller !== seller ? undefined : this.settle(id);
      this.log.warn({ seller, answered: w !== undefined }, 'malformed key agent reply');
      w?.reject(
        itradeError('CRYPTO_KEY_AGENT_REFUSED', `the key agent of seller ${seller} sent a malformed reply`, {
          cause: err,
        }),
      );
      return;
    }
    if (this.waiting.get(reply.id)?.seller !== seller) return;
    const w = this.settle(reply.id)!;
    if ('error' in reply) w.reject(agentError(reply.error.code, reply.error.message));
    else w.resolve(reply);
  }

  private guessId(payload: Buffer): string | undefined {
    try {
      const v = JSON.parse(payload.toString('utf8')) as { id?: unknown };
      return typeof v.id === 'string' ? v.id : undefined;
    } catch {
      return undefined;
    }
  }

  /** Fails every waiting question (shutdown). */
  close(): void {
    for (const id of [...this.waiting.keys()]) {
      this.settle(id)?.reject(itradeError('CRYPTO_KEY_AGENT_UNAVAILABLE', 'the gateway is shutting down'));
    }
  }
}

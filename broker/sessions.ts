// The live connections this instance serves, with what their token said. Each session ends its
// own connection when the token expires (a timer at `exp`), so an expired token never outlives
// its deadline by more than a timer tick; revocation and chain events close them from outside.
import type { Client } from 'aedes';
import type { Identity } from '../auth/jwt.ts';
import type { Feed, FeedStart } from './feed.ts';

export interface Session {
  client: Client;
  identity: Identity;
  /** When the session opened (ms since the epoch), for the operator's client list. */
  since: number;
  /** Delivery from the log, per sensor subscribed (principals only; broker/feed.ts). */
  feeds?: Map<string, Feed>;
  /** Cursors read at SUBSCRIBE, waiting for the subscription to be granted (broker/subscribe.ts). */
  starting?: Map<string, FeedStart>;
  /** Serialises this client's sensor publishes so PUBACKs go out in order [MQTT-4.6.0-2]. */
  tail: Promise<void>;
  expiry?: NodeJS.Timeout;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class Sessions {
  private readonly byClient = new Map<Client, Session>();

  add(client: Client, identity: Identity): Session {
    const buyer = identity.kind === 'principal';
    const s: Session = { client, identity, since: Date.now(), tail: Promise.resolve() };
    if (buyer) ((s.feeds = new Map()), (s.starting = new Map()));
    this.byClient.set(client, s);
    this.arm(s);
    return s;
  }

  private arm(s: Session): void {
    const left = s.identity.exp * 1000 - Date.now();
    s.expiry = setTimeout(
      () => (left > MAX_TIMER_MS ? this.arm(s) : s.client.close()),
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    );
    s.expiry.unref();
  }

  get(client: Client): Session | undefined {
    return this.byClient.get(client);
  }

  remove(client: Client): Session | undefined {
    const s = this.byClient.get(client);
    if (!s) return undefined;
    clearTimeout(s.expiry);
    this.byClient.delete(client);
    return s;
  }

  filter(pred: (s: Session) => boolean): Session[] {
    return [...this.byClient.values()].filter(pred);
  }

  all(): Session[] {
    return [...this.byClient.values()];
  }
}

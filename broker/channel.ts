// Sending to one principal over MQTT wherever it is connected: a broker.publish on its own
// buyers/<p>/... or sellers/<p>/... topic travels through the shared mqemitter to every instance,
// and authorizeForward lets it reach only that principal's connections.
import type { Aedes } from 'aedes';
import type { BuyerChannel, SellerChannel } from '../interfaces/layers.ts';
import { normAddress } from '../protocol/topics.ts';
import { itradeError } from '../protocol/errors.ts';

export class PrincipalChannel implements BuyerChannel, SellerChannel {
  constructor(
    private readonly broker: Aedes,
    private readonly root: 'buyers' | 'sellers',
  ) {}

  send(principal: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    const own = `${this.root}/${normAddress(principal)}/`;
    // The gateway never writes where only the seller's agent may (its replies).
    if (!topic.startsWith(own) || topic.length === own.length || /[+#]/.test(topic) || topic === `${own}keys/replies`) {
      return Promise.reject(
        itradeError('BROKER_PUBLISH_DENIED', `${this.root} channel: topic must be under ${own} (and not keys/replies)`),
      );
    }
    return new Promise((resolve, reject) => {
      this.broker.publish({ cmd: 'publish', topic, payload, qos, retain: false, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }
}

/** The JSON a buyer finds on buyers/<principal>/notices. */
export interface Notice {
  type: 'entries-exhausted' | 'subscribe-refused' | 'subscription-ended';
  sensor: string;
  reason: string;
  code?: string;
  at: number; // ms since epoch
}

export function noticeTopic(principal: string): string {
  return `buyers/${normAddress(principal)}/notices`;
}

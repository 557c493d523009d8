// Glue between the broker and the services that plug into it. The broker is created after the
// services (they are its listener and handlers) but the services send through the broker's
// channels: LateChannel breaks that cycle. BuyerRouter gives each buyers/<b>/<service>/... subtree
// to the one service that owns it.
import type { BuyerChannel, BuyerRequestHandler, SellerChannel } from '../interfaces/layers.ts';

export class LateChannel implements BuyerChannel, SellerChannel {
  private target?: BuyerChannel;

  bind(target: BuyerChannel): void {
    this.target = target;
  }

  send(principal: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    if (!this.target) return Promise.reject(new Error('the broker is not started yet'));
    return this.target.send(principal, topic, payload, qos);
  }
}

/** Routes buyers/<b>/<segment>/... to the handler registered for <segment> (replay, keys). */
export class BuyerRouter implements BuyerRequestHandler {
  constructor(private readonly routes: Readonly<Record<string, BuyerRequestHandler>>) {}

  async onBuyerMessage(buyer: string, topic: string, payload: Buffer): Promise<void> {
    const segment = topic.split('/')[2] ?? '';
    const handler = Object.hasOwn(this.routes, segment) ? this.routes[segment] : undefined;
    if (handler) await handler.onBuyerMessage(buyer, topic, payload);
  }
}

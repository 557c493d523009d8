// Caps on concurrent replays, shared by MQTT and HTTP: per buyer and for the gateway. Each
// replay holds at most one bounded Kafka read (bridge.replay.fetchMaxBytes), so the caps bound
// the memory replays can take.
import { itradeError } from '../../protocol/errors.ts';

export type Channel = 'mqtt' | 'http';

export class ReplaySlots {
  private readonly perBuyer = new Map<string, number>();
  private readonly active = { mqtt: 0, http: 0 };

  constructor(
    private readonly maxPerBuyer: number,
    private readonly maxTotal: number,
  ) {}

  counts(): { mqtt: number; http: number } {
    return { ...this.active };
  }

  /** Takes a slot or throws REPLAY_TOO_MANY; call the returned function once to give it back. */
  acquire(buyer: string, channel: Channel): () => void {
    const mine = this.perBuyer.get(buyer) ?? 0;
    if (mine >= this.maxPerBuyer)
      throw itradeError('REPLAY_TOO_MANY', `buyer ${buyer} already runs ${mine} replays (bridge.replay.maxPerBuyer)`);
    if (this.active.mqtt + this.active.http >= this.maxTotal)
      throw itradeError('REPLAY_TOO_MANY', 'the gateway runs as many replays as it allows (bridge.replay.maxTotal)');
    this.perBuyer.set(buyer, mine + 1);
    this.active[channel] += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active[channel] -= 1;
      const left = (this.perBuyer.get(buyer) ?? 1) - 1;
      if (left > 0) this.perBuyer.set(buyer, left);
      else this.perBuyer.delete(buyer);
    };
  }
}

// The room of the bounded buffer between the broker and Kafka (docs/bridge.md "When Kafka is
// unavailable"): everything accepted and not yet acknowledged counts against maxEntries/maxBytes.
// Above the high-water mark QoS 0 is refused; at the limit every publish is refused until the
// buffer is back under the high-water mark (hysteresis).
import type { ErrorName } from '../protocol/errors.ts';

export interface BudgetLimits {
  maxEntries: number;
  maxBytes: number;
  highWaterPercent: number;
}

export class BufferBudget {
  /** Accepted, not yet acknowledged by Kafka (or refused for good). */
  entries = 0;
  bytes = 0;
  private saturated = false;
  private readonly hwEntries: number;
  private readonly hwBytes: number;

  constructor(private readonly limits: BudgetLimits) {
    this.hwEntries = Math.max(1, Math.floor((limits.maxEntries * limits.highWaterPercent) / 100));
    this.hwBytes = Math.floor((limits.maxBytes * limits.highWaterPercent) / 100);
  }

  /** Why a publish of `size` bytes at `qos` cannot take room now (error, metric reason), or undefined. */
  refusal(qos: number, size: number): [ErrorName, string] | undefined {
    const high = this.entries >= this.hwEntries || this.bytes + size > this.hwBytes;
    if (this.saturated && !high) this.saturated = false; // hysteresis: reopen below the high-water mark
    if (this.entries + 1 > this.limits.maxEntries || this.bytes + size > this.limits.maxBytes) this.saturated = true;
    // Saturated: refuse QoS 1 too, so a device's later messages cannot overtake a refused one.
    if (this.saturated) return ['BRIDGE_BUFFER_FULL', 'buffer_full'];
    if (qos === 0 && high) return ['BRIDGE_QOS0_SHED', 'qos0_shed'];
    return undefined;
  }

  take(size: number): void {
    this.entries += 1;
    this.bytes += size;
  }

  release(size: number): void {
    this.entries -= 1;
    this.bytes -= size;
  }
}

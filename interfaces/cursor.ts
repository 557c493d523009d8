// A buyer's place in a sensor's log: the cursor. Delivery is reading the sensor's Kafka topic
// from the cursor (docs/broker.md "Delivery from the log"); metering is the cursor's advance.
// Key: (principal, sensor). Every implementation passes test/metering/cursor-store.contract.ts.

export interface Cursor {
  /** The log offset of the next entry to deliver. */
  next: number;
  /** Entries delivered and counted against what the buyer paid for (N). */
  delivered: number;
}

export interface Advance {
  /** True when this call moved the cursor; false when another delivery moved it first. */
  moved: boolean;
  /** The cursor after the call (the other delivery's when `moved` is false). */
  cursor: Cursor;
}

export interface CursorStore {
  get(principal: string, sensor: string): Promise<Cursor | undefined>;
  /** Sets the cursor when there is none; resolves with the cursor in place either way. */
  open(principal: string, sensor: string, start: Cursor): Promise<Cursor>;
  /**
   * Compare-and-set: when the cursor's `next` is `from`, moves it to `to` and counts `entries`
   * delivered. Two deliveries of the same entries (two instances, two connections) can never both
   * count them: the second finds `next` moved and gets the cursor as it is.
   */
  advance(principal: string, sensor: string, from: number, to: number, entries: number): Promise<Advance>;
  /** Moves `next` forward to at least `offset` without counting anything ("from now"). */
  skipTo(principal: string, sensor: string, offset: number): Promise<Cursor>;
  /** Counts up to `n` more entries delivered outside the cursor (a replay download), up to `limit`. */
  take(principal: string, sensor: string, n: number, limit: number): Promise<number>;
}

// The MQTT topic scheme, in one place. Addresses are lower-case 0x-hex in every topic.
//   sensors/<sensor>                      live data: a sensor publishes, entitled buyers subscribe
//   buyers/<principal>/notices            gateway -> buyer notices (JSON), e.g. entries used up
//   buyers/<principal>/replay/...         replay request/response (bridge; see docs/replay.md)
//   buyers/<principal>/keys/...           wrapped sensor keys for that buyer (key exchange)
//   buyers/<principal>/from-now/<sensor>  buyer -> gateway: skip its cursor to the log's end
//   sellers/<principal>/keys/...          key requests to the seller's key agent
export const SENSOR_PREFIX = 'sensors/';

const ADDRESS = /^0x[0-9a-f]{40}$/;

export function isAddress(s: string): boolean {
  return ADDRESS.test(s);
}

export function normAddress(a: string): string {
  return a.toLowerCase();
}

export function sensorTopic(sensor: string): string {
  return `${SENSOR_PREFIX}${normAddress(sensor)}`;
}

/** The sensor a data topic belongs to, or undefined when the topic is not `sensors/<address>`. */
export function sensorOfTopic(topic: string): string | undefined {
  if (!topic.startsWith(SENSOR_PREFIX)) return undefined;
  const rest = topic.slice(SENSOR_PREFIX.length);
  return isAddress(rest) ? rest : undefined;
}

export function buyerTopic(principal: string, ...rest: string[]): string {
  return ['buyers', normAddress(principal), ...rest].join('/');
}

/** Publishing here (QoS 1) moves the buyer's cursor to the sensor's log end; the PUBACK says it is done. */
export function fromNowTopic(buyer: string, sensor: string): string {
  return buyerTopic(buyer, 'from-now', normAddress(sensor));
}

/** The sensor of `buyers/<principal>/from-now/<sensor>`, or undefined for any other topic. */
export function sensorOfFromNowTopic(topic: string): string | undefined {
  const levels = topic.split('/');
  if (levels.length !== 4 || levels[0] !== 'buyers' || levels[2] !== 'from-now') return undefined;
  return isAddress(levels[3]!) ? levels[3] : undefined;
}

export function sellerTopic(principal: string, ...rest: string[]): string {
  return ['sellers', normAddress(principal), ...rest].join('/');
}

// Key exchange (docs/key-exchange.md). A request id is one topic level of safe characters, and
// never "request", so a reply topic can never be the request topic.
//   buyers/<buyer>/keys/request        buyer -> gateway: key request (JSON)
//   buyers/<buyer>/keys/<requestId>    gateway -> that buyer only: wrapped key or error (JSON)
//   sellers/<seller>/keys/requests     gateway -> the seller's key agent
//   sellers/<seller>/keys/replies      key agent -> gateway
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isKeyRequestId(id: string): boolean {
  return REQUEST_ID.test(id) && id !== 'request';
}

export function buyerKeyRequestTopic(buyer: string): string {
  return buyerTopic(buyer, 'keys', 'request');
}

export function buyerKeyReplyTopic(buyer: string, requestId: string): string {
  return buyerTopic(buyer, 'keys', requestId);
}

export function sellerKeyRequestTopic(seller: string): string {
  return sellerTopic(seller, 'keys', 'requests');
}

export function sellerKeyReplyTopic(seller: string): string {
  return sellerTopic(seller, 'keys', 'replies');
}

/** The seller principal of a `sellers/<seller>/keys/replies` topic, or undefined. */
export function sellerOfKeyReplyTopic(topic: string): string | undefined {
  const m = /^sellers\/(0x[0-9a-f]{40})\/keys\/replies$/.exec(topic);
  return m ? m[1] : undefined;
}

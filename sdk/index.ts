// The ITrade client SDK (sdk/README.md): what a device, a seller and a buyer need to use an ITrade
// gateway, in Node.js (20 or newer) and in a browser. It imports nothing of the gateway but the
// wire formats it shares with it (protocol/); test/sdk/import-boundary.test.ts keeps it so.
// Node.js extras (key files, private key files): sdk/node.ts.

// a device: seal readings with the sensor's key, publish them (QoS 1, PUBACK = stored)
export { Device, type DeviceOptions, type Published } from './device.ts';
// a buyer: keys through the key exchange, live and replayed entries decrypted, notices
export {
  Buyer,
  type BuyerOptions,
  type BuyerReading,
  type EntryFailure,
  type Notice,
  type Source,
  type SubscribeOptions,
} from './buyer.ts';
export { BuyerKeyClient, type BuyerKeyClientConfig } from './key-client.ts';
export { replayHistory, type ReplayOptions, type ReplayOutcome } from './replay-client.ts';
// a seller: the key agent that wraps sensor keys for entitled buyers
export {
  answerKeyRequest,
  KeyAgent,
  type AgentPrincipalDirectory,
  type AgentSubscriptions,
  type KeyAgentConfig,
} from './key-agent.ts';
// the gateway's HTTP API: sign-in with an Ethereum account, sensor activation
export { GatewayApi, type IssuedToken, type PrincipalLogin, type SensorActivation } from './gateway-api.ts';
export { asPayload, connectMqtt, defaultClientId, refreshPasswordOnClose, type MqttEndpoint } from './mqtt-connect.ts';
// keys, envelopes, readings
export { Keyring, MemoryKeyrings, type KeyEntry, type KeyPeriod, type KeyringStore } from './crypto/keyring.ts';
export { envelopeKeyId, openEnvelope, parseEnvelope, sealEnvelope, ENVELOPE_OVERHEAD } from './crypto/envelope.ts';
export {
  checkReading,
  decodeReading,
  encodeReading,
  SENSOR_TYPES,
  type BuiltInSensorType,
  type Reading,
} from './crypto/reading.ts';
export {
  PrincipalKey,
  PublicKey,
  unwrapSensorKey,
  wrapSensorKey,
  type SensorKey,
  type WrappedKey,
} from './crypto/rsa.ts';
// errors (the gateway's codes, docs/errors.md) and the logger the helpers accept
export { ItradeError, isItradeError, oneLine, type ErrorName } from '../protocol/errors.ts';
export type { SdkLogger } from './log.ts';

// Who publishes and who reads in a streaming run: device and buyer specs plus the sensor keys.
// A synthetic fleet serves the raw brokers (no authentication); the gateway's fleet comes from
// real on-chain provisioning (bench/provision.ts).
import { randomBytes } from 'node:crypto';
import type { BuyerSpec, CodecSpec, DeviceSpec } from './loadgen/protocol.ts';

export interface Fleet {
  devices: DeviceSpec[];
  buyers: BuyerSpec[];
  /** devices index each buyer reads */
  buyerDevice: number[];
  keys: NonNullable<CodecSpec['keys']>;
}

export function syntheticFleet(n: number): Fleet {
  const devices: DeviceSpec[] = [];
  const buyers: BuyerSpec[] = [];
  const keys: Fleet['keys'] = {};
  for (let i = 0; i < n; i++) {
    const sensor = '0x' + randomBytes(20).toString('hex');
    devices.push({ index: i, clientId: `dev-${i}`, topic: `sensors/${sensor}` });
    buyers.push({ clientId: `buyer-${i}`, topics: [`sensors/${sensor}`] });
    keys[i] = { keyHex: randomBytes(32).toString('hex'), keyId: 1, sensor };
  }
  return { devices, buyers, buyerDevice: buyers.map((_, i) => i), keys };
}

export function sealed(fleet: Fleet): CodecSpec {
  return { kind: 'sealed', size: 0, keys: fleet.keys };
}

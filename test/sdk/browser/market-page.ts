// A device and a buyer in one browser page, over the gateway's WebSocket listener, with nothing
// but the SDK's browser entry: keys in page memory, the buyer's private key as PKCS#8 PEM.
import { Buyer, Device, Keyring, MemoryKeyrings, PrincipalKey, type BuyerReading } from '../../../sdk/index.ts';

const api = {
  /** Publishes `n` readings as the sensor; resolves with the key ids once each was acknowledged. */
  async device(url: string, sensor: string, token: string, keyFileJson: string, n: number) {
    const keyrings = new MemoryKeyrings();
    keyrings.save(Keyring.fromJson(keyFileJson));
    const device = await Device.connect({ url, sensor, token, keyrings });
    const keyIds: number[] = [];
    for (let seq = 0; seq < n; seq++)
      keyIds.push((await device.publish({ seq, ts: Date.now(), type: 0, value: 20 + seq, unit: 'Cel' })).keyId);
    await device.close();
    return keyIds;
  },
  /** Gets the keys through the key exchange and replays the sensor's history, decrypted. */
  async buyer(url: string, buyer: string, token: string, privateKeyPem: string, sensor: string, sellerPem: string) {
    const readings: BuyerReading[] = [];
    const b = await Buyer.connect({
      url,
      buyer,
      token,
      principalKey: await PrincipalKey.fromPem(privateKeyPem),
      keyrings: new MemoryKeyrings(),
      sellerPublicKey: async () => sellerPem,
      onReading: (r) => readings.push(r),
    });
    const keys = await b.fetchKeys(sensor);
    const outcome = await b.replay(sensor, { from: { offset: 0 } });
    await b.close();
    return { keys, reason: outcome.reason, readings: readings.map((r) => ({ keyId: r.keyId, ...r.reading })) };
  },
};

(globalThis as { itrade?: typeof api }).itrade = api;

// What the browser test runs inside Chromium: the SDK's browser entry, bundled by esbuild for
// platform=browser. Every function takes and returns plain JSON (hex strings), so the Node side
// of the test can check each result with independent code (node:crypto).
import {
  Keyring,
  MemoryKeyrings,
  openEnvelope,
  PrincipalKey,
  sealEnvelope,
  unwrapSensorKey,
  wrapSensorKey,
} from '../../../sdk/index.ts';
import { fromHex, toHex, utf8, fromUtf8 } from '../../../protocol/bytes.ts';

const bytes = (hex: string) => fromHex(hex)!;

const sdk = {
  hasBuffer: () => typeof (globalThis as { Buffer?: unknown }).Buffer !== 'undefined',
  async seal(sensor: string, keyHex: string, keyId: number, text: string) {
    return toHex(await sealEnvelope({ sensor, keyId, key: bytes(keyHex), plaintext: utf8(text) }));
  },
  async open(sensor: string, keyHex: string, envelopeHex: string) {
    return fromUtf8(await openEnvelope(bytes(envelopeHex), sensor, () => bytes(keyHex)));
  },
  async keyring(sensor: string) {
    const store = new MemoryKeyrings();
    store.save(Keyring.generate(sensor));
    const ring = store.load(sensor)!;
    const env = await ring.seal(utf8('{"seq":1}'));
    ring.rotate();
    return { keyIds: ring.keyIds(), opened: fromUtf8(await ring.open(env)), json: ring.toJson() };
  },
  async rsa() {
    const key = await PrincipalKey.generate();
    (globalThis as { principal?: PrincipalKey }).principal = key;
    return { publicKeyPem: key.publicKeyPem(), privateKeyPem: key.privateKeyPem(), bits: key.bits };
  },
  async sign(dataHex: string) {
    return toHex(await (globalThis as unknown as { principal: PrincipalKey }).principal.sign(bytes(dataHex)));
  },
  async unwrap(w: { wrapped: string; signature: string }, buyer: string, sensor: string, sellerPem: string) {
    const own = (globalThis as unknown as { principal: PrincipalKey }).principal;
    const k = await unwrapSensorKey(
      own,
      { wrapped: bytes(w.wrapped), signature: bytes(w.signature) },
      { buyer, sensor, sellerPublicKeyPem: sellerPem },
    );
    return { sensor: k.sensor, keyId: k.keyId, key: toHex(k.key) };
  },
  async wrap(buyerPem: string, buyer: string, sensor: string, keyHex: string) {
    const own = (globalThis as unknown as { principal: PrincipalKey }).principal;
    const w = await wrapSensorKey(buyerPem, buyer, { sensor, keyId: 4, key: bytes(keyHex) }, own);
    return { wrapped: toHex(w.wrapped), signature: toHex(w.signature) };
  },
  async badUnwrap(w: { wrapped: string; signature: string }, buyer: string, sensor: string, otherPem: string) {
    try {
      await sdk.unwrap(w, buyer, sensor, otherPem);
      return 'accepted';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  },
};

(globalThis as { itrade?: typeof sdk }).itrade = sdk;

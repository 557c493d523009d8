// The device's store of QoS 1 publishes waiting for their PUBACK, which marks a resend as one.
// After a reconnect mqtt.js (5.x) sends every publish still in its outgoing store again, but with
// the DUP flag as it was the first time (cleared), while MQTT 3.1.1 says a client re-delivering a
// PUBLISH sets it [MQTT-3.3.1-1]. The gateway looks a DUP publish it does not recognise up in the
// sensor's history, so that a resend that reaches another gateway instance (the PUBACK was lost
// with the connection) is not stored and sold twice (the gateway's docs/bridge.md). So: a publish
// this client has written once goes out again with DUP set; one queued while offline and never
// written goes out the first time without it.
//
// mqtt.js keeps a copy of each publish in the store and, when it resends, writes the stored
// object itself (client.js _onConnect, storeDeliver): setting `dup` on the stored copy before the
// store is streamed is what the resend carries. test/sdk/resend-store.test.ts checks this against
// mqtt.js and Aedes, so a change in mqtt.js shows up there.
// The default import: mqtt's browser build has no named exports (sdk/mqtt-connect.ts does the same).
import mqtt, { type MqttClient, type Packet } from 'mqtt';

type DoneCallback = (error?: Error) => void;
type PacketCallback = (error?: Error, packet?: Packet) => void;

export class ResendMarkingStore extends mqtt.Store {
  private readonly packets = new Map<number, Packet>();
  private readonly written = new Set<number>();

  /** Notes which stored publishes `client` has written (its 'packetsend' event). */
  watch(client: MqttClient): void {
    client.on('packetsend', (p: Packet) => {
      if (p.cmd === 'publish' && p.qos > 0 && p.messageId !== undefined) this.written.add(p.messageId);
    });
  }

  override put(packet: Packet, cb: DoneCallback): this {
    if (packet.messageId !== undefined) {
      this.packets.set(packet.messageId, packet);
      this.written.delete(packet.messageId); // a new publish under a reused id
    }
    return super.put(packet, cb);
  }

  override del(packet: Pick<Packet, 'messageId'>, cb: PacketCallback): this {
    if (packet.messageId !== undefined) {
      this.packets.delete(packet.messageId);
      this.written.delete(packet.messageId);
    }
    return super.del(packet, cb);
  }

  // Streamed only to send the stored publishes again after a reconnect.
  override createStream(): ReturnType<InstanceType<typeof mqtt.Store>['createStream']> {
    for (const [id, p] of this.packets) if (p.cmd === 'publish' && this.written.has(id)) p.dup = true;
    return super.createStream();
  }
}

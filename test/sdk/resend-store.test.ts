// An SDK client sends a QoS 1 publish it had written before, and whose PUBACK it did not get,
// again after reconnecting with the DUP flag set [MQTT-3.3.1-1] (sdk/resend-store.ts; mqtt.js
// alone clears it), and the broker (Aedes, as the gateway runs it) hands that flag to
// authorizePublish, where the gateway reads it (broker/publish.ts). A publish queued while the
// client was offline goes out the first time without it. Against a plain Aedes on a free port:
// refusing a publish in authorizePublish closes the connection, as the gateway's refusals do.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectMqtt } from '../../sdk/mqtt-connect.ts';

interface Seen {
  payload: string;
  dup: boolean;
}

async function rig(refuseFirst: boolean) {
  const seen: Seen[] = [];
  const conns: Socket[] = [];
  const broker = await Aedes.createBroker({
    authorizePublish: (_c, p, done) => {
      seen.push({ payload: String(p.payload), dup: p.dup });
      // Refused: Aedes closes the connection without a PUBACK, and the client sends it again.
      done(refuseFirst && seen.length === 1 ? new Error('refused once') : null);
    },
  });
  const server: Server = createServer((conn) => (conns.push(conn), broker.handle(conn)));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async (client: MqttClient) => {
    await client.endAsync(true);
    await new Promise<void>((ok) => broker.close(() => ok()));
    await new Promise((ok) => server.close(ok));
  };
  return { seen, conns, url, close };
}

test('a publish whose PUBACK was lost goes out again with DUP, and Aedes passes DUP on', async () => {
  const r = await rig(true);
  const client = await connectMqtt({ url: r.url, clientId: 'resend-dup' }, 'device');
  try {
    await client.publishAsync('t/readings', 'reading-1', { qos: 1 }); // resolves on the resend's PUBACK
    assert.equal(r.seen, [
      { payload: 'reading-1', dup: false },
      { payload: 'reading-1', dup: true },
    ]);
  } finally {
    await r.close(client);
  }
});

test('a publish queued while offline goes out the first time without DUP', async () => {
  const r = await rig(false);
  const client = await connectMqtt({ url: r.url, clientId: 'resend-offline' }, 'device');
  try {
    const offline = new Promise<void>((ok) => client.once('offline', () => ok()));
    r.conns[0]!.destroy();
    await offline;
    await client.publishAsync('t/readings', 'reading-2', { qos: 1 }); // sent once it has reconnected
    assert.equal(r.seen, [{ payload: 'reading-2', dup: false }]);
  } finally {
    await r.close(client);
  }
});

test.run();

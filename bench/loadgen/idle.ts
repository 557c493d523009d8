// Load-generator child: opens authenticated connections and holds them idle (keepalive pings
// only), reporting after each batch how many stand, so the orchestrator can sample the broker's
// memory between batches. Ends on 'stop'.
import { ConnackError, LiteClient } from '../mqtt-lite.ts';
import type { DeviceSpec, Endpoint } from './protocol.ts';

interface IdleJob {
  endpoint: Endpoint;
  devices: DeviceSpec[];
  batch: number;
}

const clients: LiteClient[] = [];

async function run(job: IdleJob): Promise<void> {
  for (let i = 0; i < job.devices.length; i += job.batch) {
    const slice = job.devices.slice(i, i + job.batch);
    const t0 = performance.now();
    const results = await Promise.allSettled(
      slice.map((d) =>
        LiteClient.connect({
          ...job.endpoint,
          clientId: d.clientId,
          username: d.username,
          password: d.password,
          keepalive: 300,
        }),
      ),
    );
    const refused: string[] = [];
    for (const r of results) {
      if (r.status === 'fulfilled') clients.push(r.value);
      else
        refused.push(
          r.reason instanceof ConnackError ? `CONNACK ${r.reason.returnCode}` : String((r.reason as Error).message),
        );
    }
    process.send!({
      type: 'batch',
      open: clients.length,
      ms: performance.now() - t0,
      refused: refused.slice(0, 5),
      refusedCount: refused.length,
    });
    if (refused.length > 0) break;
    await new Promise((r) => process.once('message', r)); // the orchestrator samples, then says go on
  }
  process.send!({ type: 'done', open: clients.length });
}

process.once('message', (job: IdleJob) => {
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') {
      for (const c of clients) c.destroy();
      process.exit(0);
    }
  });
  run(job).catch((err: unknown) => process.send!({ type: 'error', message: (err as Error).message }));
});

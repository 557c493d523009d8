// A sensor's page: what anyone sees (type, place, price, status, seller, activity), and for a
// signed-in buyer: buy N entries through the wallet, the key through the key exchange, a live
// chart of the decrypted readings with the entries left counting down, history from the
// subscription's start, the exhausted notice, and a CSV export of what arrived.
import { useSignal, useSignalEffect } from '@preact/signals';
import { gql, SENSOR_FIELDS, type SensorView } from '../api.ts';
import { csv, entriesLeft, entriesPaid, history, notices, readings, refreshLeft, watch } from '../buying.ts';
import { Chart } from '../chart.tsx';
import { download } from '../keys.ts';
import { WorldMap } from '../map.tsx';
import { act, config, indexed, session, status, wallet } from '../state.ts';
import { buyEntries } from '../wallet.ts';
import { wei } from './catalogue.tsx';

function Buy({ s }: { s: SensorView }) {
  const n = useSignal('10');
  const since = useSignal<number | undefined>(undefined);
  const ses = session.value!;
  const buy = () =>
    act(
      'Subscribing: confirm the payment in your wallet, then waiting for the block ...',
      async () => {
        const r = await buyEntries(wallet.value!, s.address, ses.principal, Number(n.value));
        since.value = Date.now();
        await indexed(r.block);
        status.value = { kind: 'busy', text: "Getting the data key from the seller's key agent ..." };
        await watch(ses, config.value!.mqttUrl, s.address);
        await refreshLeft(ses, s.address);
      },
      'Subscribed: readings appear below as the sensor publishes.',
    );
  const loadHistory = () =>
    act(
      'Loading history ...',
      async () => {
        await watch(ses, config.value!.mqttUrl, s.address);
        return history(s.address, 0);
      },
      'History loaded into the chart.',
    );
  const exhausted = notices.value.some((x) => x.type === 'entries-exhausted' && x.sensor === s.address);
  return (
    <div class="card">
      <h2>Buy data</h2>
      <form onSubmit={(e) => (e.preventDefault(), void buy())}>
        <label>
          Entries{' '}
          <input
            name="entries"
            inputMode="numeric"
            value={n.value}
            onInput={(e) => (n.value = e.currentTarget.value)}
          />
        </label>{' '}
        costs {wei((BigInt(s.price) * BigInt(Number(n.value) || 0)).toString())}{' '}
        <button type="submit" disabled={status.value?.kind === 'busy' || s.status !== 'ACTIVE'}>
          Subscribe and pay
        </button>
      </form>
      {entriesLeft.value !== undefined && (
        <p>
          Entries left: <b data-left={entriesLeft.value}>{entriesLeft.value}</b>
          {entriesPaid.value && ` of ${entriesPaid.value.paid} paid`}
        </p>
      )}
      {exhausted && <p class="notice">Your paid entries are used up: subscribe again to keep receiving data.</p>}
      <Chart points={readings.value} unit={readings.value[0]?.unit ?? ''} />
      <p data-readings={readings.value.length}>{readings.value.length} readings received</p>
      <button onClick={() => void loadHistory()}>Load history</button>{' '}
      <button
        disabled={readings.value.length === 0}
        onClick={() => download(`${s.address}.csv`, csv(readings.value), 'text/csv')}
      >
        Export CSV
      </button>
    </div>
  );
}

export function SensorPage({ address }: { address: string }) {
  const s = useSignal<SensorView | null | undefined>(undefined);
  const error = useSignal<string | undefined>(undefined);
  useSignalEffect(() => {
    const q = `query($a: Address!) { sensor(address: $a) { ${SENSOR_FIELDS} } }`;
    gql<{ sensor: SensorView | null }>(q, { a: address }).then(
      (d) => (s.value = d.sensor),
      (e: Error) => (error.value = e.message),
    );
  });
  if (error.value) return <p class="error">{error.value}</p>;
  if (s.value === undefined) return <p class="loading">Loading the sensor ...</p>;
  if (s.value === null) return <p class="empty">No sensor {address} in this marketplace.</p>;
  const v = s.value;
  return (
    <section>
      <div class="card">
        <h2>
          {v.type.name} <span class={`badge ${v.status.toLowerCase()}`}>{v.status.toLowerCase()}</span>
        </h2>
        <p>
          <code>{v.address}</code>
        </p>
        <p>
          {wei(v.price)} per entry · sold by {v.seller.name} · {v.activity.entriesStored} entries stored
          {v.activity.lastPublishAt && ` · last publish ${new Date(v.activity.lastPublishAt).toLocaleString()}`}
        </p>
        <WorldMap sensors={[v]} />
      </div>
      {session.value ? <Buy s={v} /> : <p class="empty">Sign in (Account) to buy this sensor's data.</p>}
    </section>
  );
}

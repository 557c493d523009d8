// Anyone: the catalogue as a map and a list, filtered by type, status and price (GraphQL
// `sensors`), with the states a person expects: loading, empty, an error with its code.
import { useSignal, useSignalEffect } from '@preact/signals';
import { formatEther, parseEther } from 'ethers';
import { sensorsPage, type Filters, type SensorView } from '../api.ts';
import { WorldMap } from '../map.tsx';
import { SensorTypeSelect } from '../sensor-type.tsx';
import type { Box } from '../map-view.ts';
import { go } from '../state.ts';
import { oneLine } from '../../../protocol/errors.ts';

export const wei = (w: string) => `${formatEther(w)} ETH`;

function filterOf(type: string, status: string, min: string, max: string, within?: Box): Filters {
  const f: Filters = within ? { within } : {};
  if (type !== '') f.types = [Number(type)];
  if (status !== '') f.status = [status];
  if (min !== '') f.minPrice = parseEther(min).toString();
  if (max !== '') f.maxPrice = parseEther(max).toString();
  return f;
}

export function SensorList({ sensors }: { sensors: SensorView[] }) {
  return (
    <ul class="sensor-list">
      {sensors.map((s) => (
        <li key={s.address}>
          <a href={`#/sensor/${s.address}`} data-sensor={s.address}>
            <b>{s.type.name}</b> <span class={`badge ${s.status.toLowerCase()}`}>{s.status.toLowerCase()}</span>{' '}
            {wei(s.price)} per entry · {s.location.latitude.toFixed(3)}, {s.location.longitude.toFixed(3)} ·{' '}
            {s.activity.entriesStored} stored
          </a>
        </li>
      ))}
    </ul>
  );
}

export function Catalogue() {
  const type = useSignal('');
  const status = useSignal('');
  const min = useSignal('');
  const max = useSignal('');
  // The map's visible area when zoomed in (GraphQL's BoundingBox filter); none: the whole world.
  const within = useSignal<Box | undefined>(undefined);
  const list = useSignal<SensorView[] | undefined>(undefined);
  const error = useSignal<string | undefined>(undefined);
  const reload = async () => {
    list.value = undefined;
    error.value = undefined;
    try {
      list.value = await sensorsPage(filterOf(type.value, status.value, min.value, max.value, within.value));
    } catch (err) {
      error.value = oneLine(err);
    }
  };
  useSignalEffect(() => {
    void [type.value, status.value, min.value, max.value, within.value];
    void reload();
  });
  return (
    <section>
      <form class="filters" onSubmit={(e) => (e.preventDefault(), void reload())}>
        <SensorTypeSelect value={type} any />
        <label>
          Status
          <select value={status.value} onChange={(e) => (status.value = e.currentTarget.value)}>
            <option value="">any</option>
            <option value="ACTIVE">active</option>
            <option value="INACTIVE">inactive</option>
            <option value="BLOCKED">blocked</option>
          </select>
        </label>
        <label>
          Price from (ETH)
          <input inputMode="decimal" value={min.value} onChange={(e) => (min.value = e.currentTarget.value)} />
        </label>
        <label>
          to
          <input inputMode="decimal" value={max.value} onChange={(e) => (max.value = e.currentTarget.value)} />
        </label>
      </form>
      <WorldMap
        sensors={list.value ?? []}
        onSensor={(s) => go(`/sensor/${s.address}`)}
        onBox={(b) => (within.value = b)}
      />
      {within.value && (
        <p class="hint" data-within={JSON.stringify(within.value)}>
          Showing the sensors in the map's visible area (zoom out or press Whole world for all).
        </p>
      )}
      {error.value && <p class="error">Could not load the catalogue: {error.value}</p>}
      {!error.value && list.value === undefined && <p class="loading">Loading sensors ...</p>}
      {list.value?.length === 0 && (
        <p class="empty">No sensor matches these filters{within.value ? ' in this part of the map' : ''} yet.</p>
      )}
      {list.value && list.value.length > 0 && <SensorList sensors={list.value} />}
    </section>
  );
}

// The sensor type picker that the catalogue's filters and the seller's registration share: the
// marketplace's sensor types (from the market view), with "any" first where no type is a choice.
import type { Signal } from '@preact/signals';
import { market } from './state.ts';

export function SensorTypeSelect({ value, name, any }: { value: Signal<string>; name?: string; any?: boolean }) {
  return (
    <label>
      Type
      <select name={name} value={value.value} onChange={(e) => (value.value = e.currentTarget.value)}>
        {any && <option value="">any</option>}
        {market.value?.sensorTypes.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}

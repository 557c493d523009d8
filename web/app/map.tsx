// The world map that works offline: country shapes from world-atlas (bundled), drawn as SVG with
// d3-geo's Natural Earth projection; no tile server. Sensors are dots at their coordinates; with
// `onPick` a click on the map picks a location (the seller's new sensor).
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { feature } from 'topojson-client';
import countries110m from 'world-atlas/countries-110m.json';
import type { SensorView } from './api.ts';

const W = 960;
const H = 500;
const topo = countries110m as unknown as Topology<{ countries: GeometryCollection }>;
const land = feature(topo, topo.objects.countries);
const projection = geoNaturalEarth1().fitSize([W, H], land);
const countryPaths = land.features.map((f) => geoPath(projection)(f) ?? '');

export interface MapProps {
  sensors: SensorView[];
  onSensor?: (s: SensorView) => void;
  onPick?: (latitude: number, longitude: number) => void;
  picked?: { latitude: number; longitude: number } | undefined;
}

function pick(e: MouseEvent, onPick: NonNullable<MapProps['onPick']>): void {
  const svg = e.currentTarget as SVGSVGElement;
  const box = svg.getBoundingClientRect();
  const at = projection.invert?.([((e.clientX - box.left) / box.width) * W, ((e.clientY - box.top) / box.height) * H]);
  if (at && Number.isFinite(at[0]) && Number.isFinite(at[1])) onPick(+at[1].toFixed(4), +at[0].toFixed(4));
}

export function WorldMap({ sensors, onSensor, onPick, picked }: MapProps) {
  const dot = (lat: number, lon: number) => projection([lon, lat]) ?? [-10, -10];
  const p = picked && dot(picked.latitude, picked.longitude);
  return (
    <svg
      class={onPick ? 'map picking' : 'map'}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="world map of sensors"
      onClick={onPick ? (e) => pick(e as unknown as MouseEvent, onPick) : undefined}
    >
      <rect class="sea" width={W} height={H} />
      {countryPaths.map((d, i) => (
        <path key={i} class="land" d={d} />
      ))}
      {sensors.map((s) => {
        const [x, y] = dot(s.location.latitude, s.location.longitude);
        return (
          <circle
            key={s.address}
            class={`sensor ${s.status.toLowerCase()}`}
            data-sensor={s.address}
            cx={x}
            cy={y}
            r={6}
            onClick={(e) => {
              e.stopPropagation();
              onSensor?.(s);
            }}
          >
            <title>{`${s.type.name} ${s.address}`}</title>
          </circle>
        );
      })}
      {p && <circle class="picked" cx={p[0]} cy={p[1]} r={8} />}
    </svg>
  );
}

// The world map that works offline: country shapes from world-atlas (bundled), drawn as SVG with
// d3-geo's Natural Earth projection; no tile server. Sensors are dots at their coordinates; with
// `onPick` a click on the map picks a location (the seller's new sensor). With `onBox` the person
// zooms (buttons, wheel) and pans (drag), and the visible area is told as a latitude/longitude box.
import { useRef, useState } from 'preact/hooks';
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { feature } from 'topojson-client';
import countries110m from 'world-atlas/countries-110m.json';
import type { SensorView } from './api.ts';
import { panned, visibleBox, zoomed, type Box, type View } from './map-view.ts';

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
  /** Zoom and pan on; called with the visible area after each change (undefined: the whole world). */
  onBox?: (box: Box | undefined) => void;
}

const WORLD: View = { x: 0, y: 0, w: W, h: H };

/** The world point under the pointer, in the current window. */
function worldAt(e: MouseEvent, v: View): [number, number] {
  const r = (e.currentTarget as SVGSVGElement).getBoundingClientRect();
  return [v.x + ((e.clientX - r.left) / r.width) * v.w, v.y + ((e.clientY - r.top) / r.height) * v.h];
}

function pick(e: MouseEvent, v: View, onPick: NonNullable<MapProps['onPick']>): void {
  const at = projection.invert?.(worldAt(e, v));
  if (at && Number.isFinite(at[0]) && Number.isFinite(at[1])) onPick(+at[1].toFixed(4), +at[0].toFixed(4));
}

/** The window and its gestures; every change is told as the visible box. */
function useView(onBox: MapProps['onBox']) {
  const [view, setView] = useState(WORLD);
  const drag = useRef<{ x: number; y: number; v: View; moved: boolean } | undefined>(undefined);
  const show = (v: View) => (setView(v), onBox?.(visibleBox(projection, v, W, H)));
  const zoom = (factor: number, at?: [number, number]) => show(zoomed(view, factor, W, H, ...(at ?? [])));
  const handlers = onBox && {
    onWheel: (e: WheelEvent) => (e.preventDefault(), zoom(e.deltaY < 0 ? 1.5 : 1 / 1.5, worldAt(e, view))),
    onPointerDown: (e: PointerEvent) => (drag.current = { x: e.clientX, y: e.clientY, v: view, moved: false }),
    onPointerMove: (e: PointerEvent) => {
      const d = drag.current;
      if (!d || (!d.moved && Math.hypot(e.clientX - d.x, e.clientY - d.y) < 4)) return;
      d.moved = true;
      const r = (e.currentTarget as SVGSVGElement).getBoundingClientRect();
      setView(panned(d.v, ((d.x - e.clientX) / r.width) * d.v.w, ((d.y - e.clientY) / r.height) * d.v.h, W, H));
    },
    onPointerUp: () => {
      if (drag.current?.moved) onBox?.(visibleBox(projection, view, W, H));
      drag.current = undefined;
    },
  };
  return { view, zoom, show, handlers };
}

export function WorldMap({ sensors, onSensor, onPick, picked, onBox }: MapProps) {
  const { view, zoom, show, handlers } = useView(onBox);
  const dot = (lat: number, lon: number) => projection([lon, lat]) ?? [-10, -10];
  const p = picked && dot(picked.latitude, picked.longitude);
  // Dots keep their size on screen whatever the zoom.
  const k = view.w / W;
  const svg = (
    <svg
      class={onPick ? 'map picking' : 'map'}
      viewBox={`${view.x} ${view.y} ${view.w} ${view.h}`}
      role="img"
      aria-label="world map of sensors"
      onClick={onPick ? (e) => pick(e as unknown as MouseEvent, view, onPick) : undefined}
      {...handlers}
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
            r={6 * k}
            onClick={(e) => {
              e.stopPropagation();
              onSensor?.(s);
            }}
          >
            <title>{`${s.type.name} ${s.address}`}</title>
          </circle>
        );
      })}
      {p && <circle class="picked" cx={p[0]} cy={p[1]} r={8 * k} />}
    </svg>
  );
  if (!onBox) return svg;
  return (
    <div class="map-zoom">
      {svg}
      <div class="map-controls">
        <button type="button" class="small" aria-label="zoom in" onClick={() => zoom(2)}>
          +
        </button>
        <button type="button" class="small" aria-label="zoom out" onClick={() => zoom(0.5)}>
          −
        </button>
        <button type="button" class="small" data-whole-world onClick={() => show(WORLD)}>
          Whole world
        </button>
      </div>
    </div>
  );
}

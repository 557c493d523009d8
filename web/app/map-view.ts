// The map's zoom and pan as a window (an SVG viewBox) on the projected world, and the latitude/
// longitude box that window shows: the catalogue's `within` filter (GraphQL BoundingBox) when the
// person zooms in. Pure functions of the projection, so a Node.js test checks them.
import type { GeoProjection } from 'd3-geo';

export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Box {
  south: number;
  west: number;
  north: number;
  east: number;
}

/** The deepest zoom: a 32nd of the world's width. */
export const MAX_ZOOM = 32;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The window kept inside the world (W × H), at least a MAX_ZOOM-th of it. */
function inside(v: View, W: number, H: number): View {
  const w = clamp(v.w, W / MAX_ZOOM, W);
  const h = (w * H) / W;
  return { x: clamp(v.x, 0, W - w), y: clamp(v.y, 0, H - h), w, h };
}

/** Zoomed by `factor` (> 1: in) around the point (cx, cy) of the world, which stays where it is. */
export function zoomed(v: View, factor: number, W: number, H: number, cx = v.x + v.w / 2, cy = v.y + v.h / 2): View {
  const w = clamp(v.w / factor, W / MAX_ZOOM, W);
  const k = w / v.w;
  return inside({ x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k, w, h: v.h * k }, W, H);
}

/** Moved by (dx, dy) world units. */
export function panned(v: View, dx: number, dy: number, W: number, H: number): View {
  return inside({ ...v, x: v.x + dx, y: v.y + dy }, W, H);
}

/**
 * The latitude/longitude box the window shows; undefined for the whole world (no filter). The
 * world map ends at ±180°, so the box never crosses the antimeridian. The window is sampled on a
 * grid, edges included (Natural Earth is pseudo-cylindrical: inside the globe the extremes lie on
 * the edges; where the window reaches past the globe's outline, the grid finds the outline).
 */
export function visibleBox(projection: GeoProjection, v: View, W: number, H: number): Box | undefined {
  if (v.w >= W && v.h >= H) return undefined;
  const N = 24;
  const lats: number[] = [];
  const lons: number[] = [];
  for (let i = 0; i <= N; i++) {
    for (let j = 0; j <= N; j++) {
      const p: [number, number] = [v.x + (i / N) * v.w, v.y + (j / N) * v.h];
      const at = projection.invert?.(p);
      if (!at || !Number.isFinite(at[0]) || !Number.isFinite(at[1]) || Math.abs(at[0]) > 180) continue;
      // Off the globe the inverse still answers: keep only points that project back to themselves.
      const back = projection(at);
      if (!back || Math.hypot(back[0] - p[0], back[1] - p[1]) > 0.5) continue;
      lons.push(at[0]);
      lats.push(clamp(at[1], -90, 90));
    }
  }
  if (lats.length === 0) return undefined;
  const round = (d: number) => +d.toFixed(4);
  return {
    south: round(Math.min(...lats)),
    west: round(Math.min(...lons)),
    north: round(Math.max(...lats)),
    east: round(Math.max(...lons)),
  };
}

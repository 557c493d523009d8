// The map's zoom, pan and visible box (web/app/map-view.ts) on the web app's own projection: the
// box of a window contains every place drawn inside it and none drawn outside.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { geoNaturalEarth1 } from 'd3-geo';
import { panned, visibleBox, zoomed, MAX_ZOOM, type Box, type View } from '../../web/app/map-view.ts';

const [W, H] = [960, 500];
const projection = geoNaturalEarth1().fitSize([W, H], { type: 'Sphere' });
const WORLD: View = { x: 0, y: 0, w: W, h: H };

const inBox = (b: Box, lat: number, lon: number) => lat >= b.south && lat <= b.north && lon >= b.west && lon <= b.east;
const inView = (v: View, [x, y]: [number, number]) => x >= v.x && x <= v.x + v.w && y >= v.y && y <= v.y + v.h;

test('the whole world is no filter; zooming keeps the window inside the world and the point in place', () => {
  assert.is(visibleBox(projection, WORLD, W, H), undefined);
  assert.equal(zoomed(WORLD, 0.5, W, H), WORLD);
  const z = zoomed(WORLD, 4, W, H, 240, 125);
  assert.equal(z, { x: 180, y: 93.75, w: 240, h: 125 });
  assert.is(zoomed(z, 1000, W, H).w, W / MAX_ZOOM);
  assert.equal(panned(z, -1000, -1000, W, H), { ...z, x: 0, y: 0 });
  assert.equal(panned(z, 1000, 1000, W, H), { ...z, x: W - 240, y: H - 125 });
});

test('the box of a window holds every place drawn inside it, and places drawn outside fall out of it', () => {
  const zurich: [number, number] = [8.5417, 47.3769];
  const sydney: [number, number] = [151.2093, -33.8688];
  const [x, y] = projection(zurich)!;
  const v = zoomed(WORLD, 8, W, H, x, y);
  const box = visibleBox(projection, v, W, H)!;
  assert.ok(inBox(box, zurich[1], zurich[0]), JSON.stringify(box));
  assert.not.ok(inBox(box, sydney[1], sydney[0]));
  // A grid of places: each one drawn inside the window is in the box.
  for (let lat = -85; lat <= 85; lat += 2.5)
    for (let lon = -179; lon <= 179; lon += 2.5)
      if (inView(v, projection([lon, lat])!))
        assert.ok(inBox(box, lat, lon), `${lat},${lon} in ${JSON.stringify(box)}`);
  // A window in a corner, past the globe's outline: the box still holds the places drawn there.
  const corner = zoomed(WORLD, 4, W, H, 0, 0);
  const cb = visibleBox(projection, corner, W, H)!;
  for (let lat = -85; lat <= 85; lat += 2.5)
    for (let lon = -179; lon <= 179; lon += 2.5)
      if (inView(corner, projection([lon, lat])!))
        assert.ok(inBox(cb, lat, lon), `${lat},${lon} in ${JSON.stringify(cb)}`);
});

test.run();

// Plausible readings for simulated sensors: a mean-reverting random walk per sensor type inside a
// realistic range, so a chart of simulated data looks like a real sensor and not like noise.
// Seedable, so a test (or a benchmark) can replay exactly the same series.
import { SENSOR_TYPES, type BuiltInSensorType, type Reading } from '../sdk/node.ts';

export interface WalkProfile {
  min: number;
  max: number;
  /** Where the walk is pulled back to. */
  mean: number;
  /** Standard deviation of one step. */
  step: number;
  decimals: number;
}

// Ranges: indoor/outdoor temperature in °C, relative humidity, urban PM2.5 in µg/m³ (WHO daily
// guideline 15), river turbidity in NTU.
export const PROFILES: Record<BuiltInSensorType, WalkProfile> = {
  0: { min: -10, max: 40, mean: 18, step: 0.15, decimals: 2 },
  1: { min: 15, max: 95, mean: 55, step: 0.4, decimals: 1 },
  2: { min: 1, max: 150, mean: 14, step: 0.8, decimals: 1 },
  3: { min: 0.1, max: 50, mean: 4, step: 0.2, decimals: 2 },
};

const REVERSION = 0.02; // share of the distance to the mean taken back per step

/** mulberry32: a tiny, fast 32-bit PRNG; plenty for simulated values, never for keys. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface GeneratorOptions {
  seed?: number;
  /** The first sequence number (default 0). */
  startSeq?: number;
  /** Device clock in ms (default Date.now). */
  now?: () => number;
}

export class ReadingGenerator {
  readonly type: BuiltInSensorType;
  private readonly profile: WalkProfile;
  private readonly rand: () => number;
  private readonly now: () => number;
  private value: number;
  private seq: number;

  constructor(type: BuiltInSensorType, opts: GeneratorOptions = {}) {
    this.type = type;
    this.profile = PROFILES[type];
    this.rand = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.now = opts.now ?? Date.now;
    this.seq = opts.startSeq ?? 0;
    const { min, max, mean } = this.profile;
    // Start somewhere around the mean, inside the range.
    this.value = Math.min(max, Math.max(min, mean + (this.rand() - 0.5) * (max - min) * 0.2));
  }

  next(): Reading {
    const { min, max, mean, step, decimals } = this.profile;
    let v = this.value + REVERSION * (mean - this.value) + step * gaussian(this.rand);
    if (v > max) v = max - (v - max); // reflect at the bounds instead of sticking to them
    if (v < min) v = min + (min - v);
    this.value = Math.min(max, Math.max(min, v));
    const f = 10 ** decimals;
    return {
      seq: this.seq++,
      ts: this.now(),
      type: this.type,
      value: Math.round(this.value * f) / f,
      unit: SENSOR_TYPES[this.type].unit,
    };
  }
}

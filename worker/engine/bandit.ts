/**
 * @module
 * Thompson-sampling traffic allocation for conversion bandits, with the samplers it needs: a seedable
 * PRNG (mulberry32), normal, gamma (Marsaglia-Tsang) and beta variates. Randomness is always injected, so
 * the same inputs and seed give the same weights.
 */

import type { Counts } from './stats';

/** Seed used when neither `random` nor `seed` is given, so default results are reproducible. */
export const DEFAULT_SEED = 0x9e3779b9;

/**
 * mulberry32: a small, fast 32-bit PRNG with a 2^32 period, good enough for Monte-Carlo allocation (not for
 * anything security related). Returns uniforms in [0, 1).
 *
 * @example const random = mulberry32(42); random(); // 0.6011037519201636
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal variate (Box-Muller; `1 - random()` keeps the logarithm's argument in (0, 1]). */
export function sampleNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A Gamma(shape, 1) variate by Marsaglia and Tsang, "A Simple Method for Generating Gamma Variables"
 * (ACM TOMS 2000); shapes below 1 use the boost Gamma(shape) = Gamma(shape + 1) · U^(1/shape).
 */
export function sampleGamma(shape: number, random: () => number): number {
  if (!(shape > 0)) throw new RangeError(`sampleGamma: shape must be > 0, got ${shape}`);
  if (shape < 1) return sampleGamma(shape + 1, random) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) variate, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(a: number, b: number, random: () => number): number {
  const x = sampleGamma(a, random);
  const y = sampleGamma(b, random);
  return x / (x + y);
}

export interface BanditOptions {
  /** Least traffic share every arm keeps, so no arm starves (default 0.05; at most 1 / arms). */
  minShare?: number;
  /** Thompson draws; the shares' Monte-Carlo standard error is about sqrt(share / draws) (default 10000). */
  draws?: number;
  /** Uniform [0, 1) source; defaults to `mulberry32(seed)`. */
  random?: () => number;
  /** Seed of the default generator when `random` is not given (default {@link DEFAULT_SEED}). */
  seed?: number;
}

// Weights are returned as multiples of 2^-40: every partial sum is then exact, so they add up to exactly 1
// whatever the order of summation.
const GRID = 2 ** 40;

/**
 * Traffic shares for the next period by Thompson sampling: each arm's share is the fraction of `draws`
 * in which its posterior sample, Beta(1 + x, 1 + n - x), is the largest. Then every arm is lifted to at
 * least `minShare`, the others scaled down proportionally (repeatedly, in case that pushes one under),
 * and the result rounded to multiples of 2^-40 summing to exactly 1 (so a floored arm gets minShare to
 * within 2^-40 · arms, e.g. 0.0500000000001819 for 0.05).
 *
 * @throws RangeError on invalid counts, `minShare` outside [0, 1 / arms], or `draws` not a positive integer.
 * @example banditWeights([{ n: 1000, x: 50 }, { n: 1000, x: 80 }]) // ≈ [0.05, 0.95]
 */
export function banditWeights(arms: readonly Counts[], options: BanditOptions = {}): number[] {
  const { minShare = 0.05, draws = 10_000 } = options;
  const random = options.random ?? mulberry32(options.seed ?? DEFAULT_SEED);
  for (const [i, arm] of arms.entries()) {
    if (!(Number.isInteger(arm.n) && Number.isInteger(arm.x) && arm.x >= 0 && arm.x <= arm.n)) {
      throw new RangeError(`banditWeights: arm ${i} needs integer counts with 0 <= x <= n`);
    }
  }
  if (!(minShare >= 0 && minShare * arms.length <= 1 + 1e-12)) {
    throw new RangeError(`banditWeights: minShare must be in [0, 1/${arms.length}], got ${minShare}`);
  }
  if (!(Number.isInteger(draws) && draws > 0)) {
    throw new RangeError(`banditWeights: draws must be a positive integer, got ${draws}`);
  }
  if (arms.length <= 1) return arms.map(() => 1);

  const wins = new Array<number>(arms.length).fill(0);
  for (let draw = 0; draw < draws; draw++) {
    let best = 0;
    let bestSample = Number.NEGATIVE_INFINITY;
    arms.forEach((arm, i) => {
      const sample = sampleBeta(1 + arm.x, 1 + arm.n - arm.x, random);
      if (sample > bestSample) {
        best = i;
        bestSample = sample;
      }
    });
    wins[best]! += 1;
  }
  return toGrid(
    enforceMinShare(
      wins.map((w) => w / draws),
      minShare,
    ),
    minShare,
  );
}

/** Lifts shares below `minShare` to it and rescales the rest to fill what is left. */
export function enforceMinShare(shares: readonly number[], minShare: number): number[] {
  const floored = shares.map(() => false);
  for (;;) {
    const free = shares.filter((_, i) => !floored[i]);
    const freeMass = 1 - minShare * (shares.length - free.length);
    const freeTotal = free.reduce((a, b) => a + b, 0);
    const weights = shares.map((s, i) => {
      if (floored[i]) return minShare;
      return freeTotal > 0 ? (s * freeMass) / freeTotal : freeMass / free.length;
    });
    const under = weights.map((w, i) => !floored[i] && w < minShare);
    if (!under.includes(true)) return weights;
    under.forEach((u, i) => {
      if (u) floored[i] = true;
    });
  }
}

/** Rounds to multiples of 2^-40 (arms at the floor rounded up), the largest arm absorbing the remainder. */
export function toGrid(weights: readonly number[], minShare: number): number[] {
  const floor = Math.ceil(minShare * GRID);
  const units = weights.map((w) => Math.max(floor, Math.round(w * GRID)));
  let largest = 0;
  units.forEach((u, i) => {
    if (u > units[largest]!) largest = i;
  });
  units[largest]! += GRID - units.reduce((a, b) => a + b, 0);
  return units.map((u) => u / GRID);
}

/**
 * @module hash
 * Deterministic bucketing compatible with GrowthBook's SDKs (spec 0.8.0): the same visitor id and
 * campaign seed land in the same variant here as in any GrowthBook SDK, so assignments are sticky
 * without storing them, and experiments can be cross-checked against GrowthBook's own tooling.
 * Checked against GrowthBook's conformance vectors in `fixtures/growthbook-cases.json`.
 */

/** A half-open range [start, end) of the unit interval that selects one variation. */
export type BucketRange = [number, number];

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over UTF-16 code units, as GrowthBook computes it. GrowthBook multiplies by the prime
 * with a sum of shifts; `Math.imul` gives the same result modulo 2^32.
 */
function fnv1a32(input: string): number {
  let h = FNV_OFFSET_BASIS;
  for (let i = 0; i < input.length; i++) {
    h = Math.imul(h ^ input.charCodeAt(i), FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * GrowthBook's hash of `value` under `seed`, in [0, 1).
 * Version 2 is the unbiased one (four decimals); version 1 is the original (three decimals, biased).
 * Any other version gives `null`: a document from the future must not bucket anyone by accident.
 *
 * @example
 * hash('seed', 'a', 2); // 0.0505
 */
export function hash(seed: string, value: string, version: number): number | null {
  if (version === 2) return (fnv1a32(String(fnv1a32(seed + value))) % 10000) / 10000;
  if (version === 1) return (fnv1a32(value + seed) % 1000) / 1000;
  return null;
}

/** `n` equal weights summing to 1 (empty for n <= 0). */
export function getEqualWeights(n: number): number[] {
  if (!(n > 0)) return [];
  return new Array<number>(n).fill(1 / n);
}

function usableWeights(numVariations: number, weights: readonly number[] | undefined): readonly number[] {
  if (!weights || weights.length !== numVariations) return getEqualWeights(numVariations);
  let total = 0;
  for (const w of weights) {
    // Stricter than GrowthBook, which lets NaN and negative weights through into nonsense ranges.
    if (!Number.isFinite(w) || w < 0) return getEqualWeights(numVariations);
    total += w;
  }
  return total < 0.99 || total > 1.01 ? getEqualWeights(numVariations) : weights;
}

/**
 * GrowthBook's bucket ranges: each variation owns a slice of [0, 1) proportional to its weight, and
 * only the first `coverage` share of each slice includes visitors (so raising coverage never moves an
 * included visitor to another variation). Coverage is clamped to [0, 1]; weights that do not match
 * the number of variations or do not sum to 1 (within 0.01) fall back to equal weights.
 *
 * @example
 * getBucketRanges(2, 0.5); // [[0, 0.25], [0.5, 0.75]]
 */
export function getBucketRanges(
  numVariations: number,
  coverage?: number,
  weights?: readonly number[],
): BucketRange[] {
  let cover = coverage === undefined ? 1 : coverage;
  if (Number.isNaN(cover)) cover = 0;
  cover = Math.min(1, Math.max(0, cover));

  let cumulative = 0;
  return usableWeights(numVariations, weights).map((w): BucketRange => {
    const start = cumulative;
    cumulative += w;
    return [start, start + cover * w];
  });
}

/** Index of the range holding `n` (start inclusive, end exclusive), or -1 when none does. */
export function chooseVariation(n: number, ranges: readonly (readonly [number, number])[]): number {
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i];
    if (range && n >= range[0] && n < range[1]) return i;
  }
  return -1;
}

/**
 * GrowthBook namespaces: whether `hashValue` (a visitor id) falls into the namespace's slice
 * [start, end), so mutually exclusive campaigns can share one namespace with disjoint slices.
 */
export function inNamespace(hashValue: string, namespace: readonly [string, number, number]): boolean {
  const n = hash('__' + namespace[0], hashValue, 1);
  return n !== null && n >= namespace[1] && n < namespace[2];
}

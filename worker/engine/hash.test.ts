/**
 * @module hash.test
 * Bucketing must agree with GrowthBook's SDKs case for case (the conformance vectors), and hold its
 * invariants for any input: hashes in [0, 1), ranges that never overlap and cover exactly `coverage`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import cases from './fixtures/growthbook-cases.json';
import { chooseVariation, getBucketRanges, getEqualWeights, hash, inNamespace } from './hash';

// The fixture is read as untyped JSON and checked row by row, so a malformed row fails loudly.
const fixture: Record<string, unknown> = cases;

function rows(section: string): unknown[][] {
  const list = fixture[section];
  if (!Array.isArray(list)) throw new Error(`fixture has no "${section}" list`);
  return list.map((row) => {
    if (!Array.isArray(row)) throw new Error(`${section}: row is not an array`);
    return row;
  });
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw new Error(`expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(v: unknown): number {
  if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function nums(v: unknown): number[] {
  if (!Array.isArray(v)) throw new Error(`expected an array, got ${JSON.stringify(v)}`);
  return v.map(num);
}

function ranges(v: unknown): [number, number][] {
  if (!Array.isArray(v)) throw new Error(`expected ranges, got ${JSON.stringify(v)}`);
  return v.map((r) => {
    const [start, end] = nums(r);
    return [num(start), num(end)];
  });
}

/** Ranges compared to 6 decimals: the file writes 0.26 where the computation gives 0.26000000000000001. */
function expectRangesClose(actual: [number, number][], expected: [number, number][]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach(([start, end], i) => {
    expect(actual[i]?.[0]).toBeCloseTo(start, 6);
    expect(actual[i]?.[1]).toBeCloseTo(end, 6);
  });
}

describe('hash (GrowthBook conformance)', () => {
  for (const [seed, value, version, expected] of rows('hash')) {
    it(`hash(${JSON.stringify(seed)}, ${JSON.stringify(value)}, ${String(version)})`, () => {
      const h = hash(str(seed), str(value), num(version));
      if (expected === null) expect(h).toBeNull();
      else expect(h).toBe(num(expected));
    });
  }
});

describe('getBucketRanges (GrowthBook conformance)', () => {
  for (const [name, args, expected] of rows('getBucketRange')) {
    it(str(name), () => {
      if (!Array.isArray(args)) throw new Error('bad args');
      const [n, coverage, weights] = args;
      const actual = getBucketRanges(num(n), num(coverage), weights === null ? undefined : nums(weights));
      expectRangesClose(actual, ranges(expected));
    });
  }
});

describe('chooseVariation (GrowthBook conformance)', () => {
  for (const [name, n, rangeList, expected] of rows('chooseVariation')) {
    it(str(name), () => {
      expect(chooseVariation(num(n), ranges(rangeList))).toBe(num(expected));
    });
  }
});

describe('inNamespace (GrowthBook conformance)', () => {
  for (const [name, id, namespace, expected] of rows('inNamespace')) {
    it(str(name), () => {
      const [ns, start, end] = Array.isArray(namespace) ? namespace : [];
      expect(inNamespace(str(id), [str(ns), num(start), num(end)])).toBe(expected);
    });
  }
});

describe('getEqualWeights (GrowthBook conformance)', () => {
  for (const [n, expected] of rows('getEqualWeights')) {
    it(`getEqualWeights(${String(n)})`, () => {
      const actual = getEqualWeights(num(n));
      const want = nums(expected);
      expect(actual).toHaveLength(want.length);
      want.forEach((w, i) => {
        expect(actual[i]).toBeCloseTo(w, 6);
      });
    });
  }
});

/** GrowthBook's FNV-1a exactly as written in its SDK (sum of shifts), to check the `Math.imul` form. */
function referenceFnv(str: string): number {
  let hval = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    hval ^= str.charCodeAt(i);
    hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
  }
  return hval >>> 0;
}

const anyString = fc.string({ unit: 'binary', maxLength: 64 });

describe('hash properties', () => {
  it('is in [0, 1) for versions 1 and 2, and null for any other version', () => {
    fc.assert(
      fc.property(anyString, anyString, fc.integer({ min: -5, max: 5 }), (seed, value, version) => {
        const h = hash(seed, value, version);
        if (version !== 1 && version !== 2) return h === null;
        return h !== null && h >= 0 && h < 1;
      }),
    );
  });

  it("agrees with GrowthBook's own arithmetic for any string", () => {
    fc.assert(
      fc.property(anyString, anyString, (seed, value) => {
        expect(hash(seed, value, 1)).toBe((referenceFnv(value + seed) % 1000) / 1000);
        expect(hash(seed, value, 2)).toBe((referenceFnv(String(referenceFnv(seed + value))) % 10000) / 10000);
      }),
    );
  });

  it('splits visitors evenly: 20,000 ids land within 2 points of 50/50', () => {
    const split = getBucketRanges(2, 1, [0.5, 0.5]);
    let first = 0;
    for (let i = 0; i < 20_000; i++) {
      if (chooseVariation(hash('hero-banner', `visitor-${i}`, 2) ?? -1, split) === 0) first++;
    }
    expect(first / 20_000).toBeGreaterThan(0.48);
    expect(first / 20_000).toBeLessThan(0.52);
  });
});

const weightsArb = fc.array(fc.double({ min: -1, max: 2, noNaN: true }), { maxLength: 12 });

describe('getBucketRanges properties', () => {
  it('gives one range per variation, in order, never overlapping, covering exactly `coverage`', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: -2, max: 3 }),
        fc.option(weightsArb, { nil: undefined }),
        (n, coverage, weights) => {
          const result = getBucketRanges(n, coverage, weights);
          expect(result).toHaveLength(n);
          const clamped = Number.isNaN(coverage) ? 0 : Math.min(1, Math.max(0, coverage));
          let width = 0;
          let previousEnd = 0;
          for (const [start, end] of result) {
            expect(start).toBeGreaterThanOrEqual(previousEnd - 1e-12);
            expect(end).toBeGreaterThanOrEqual(start);
            expect(end).toBeLessThanOrEqual(1.01 + 1e-12);
            width += end - start;
            previousEnd = end;
          }
          // Valid weights may sum to anything in [0.99, 1.01]; equal weights sum to 1.
          expect(width).toBeGreaterThanOrEqual(clamped * 0.99 - 1e-9);
          expect(width).toBeLessThanOrEqual(clamped * 1.01 + 1e-9);
        },
      ),
    );
  });

  it('keeps every included visitor in the same variation when coverage grows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, a, b, point) => {
          const before = chooseVariation(point, getBucketRanges(n, Math.min(a, b)));
          const after = chooseVariation(point, getBucketRanges(n, Math.max(a, b)));
          return before === -1 || before === after;
        },
      ),
    );
  });

  it('chooseVariation returns the range that holds n, or -1 when none does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, coverage, point) => {
          const result = getBucketRanges(n, coverage);
          const index = chooseVariation(point, result);
          const holding = result.findIndex(([start, end]) => point >= start && point < end);
          return index === holding;
        },
      ),
    );
  });

  it('falls back to equal weights for NaN, negative or mismatched weights', () => {
    expect(getBucketRanges(2, 1, [Number.NaN, 1])).toEqual([
      [0, 0.5],
      [0.5, 1],
    ]);
    expect(getBucketRanges(2, 1, [1.5, -0.5])).toEqual([
      [0, 0.5],
      [0.5, 1],
    ]);
    expect(getBucketRanges(3, 1, [0.5, 0.5])).toHaveLength(3);
    expect(getBucketRanges(0)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { type BreakdownRow, breakdownSections, compare } from './breakdowns.ts';

const row = (
  value: string,
  variantId: string,
  goal: string,
  visitors: number,
  converters = 0,
): BreakdownRow => ({
  campaignId: 'c',
  seed: 'c',
  dimension: 'device',
  value,
  variantId,
  goal,
  visitors,
  converters,
});

const options = {
  variants: ['control', 'b'],
  controlId: 'control',
  goals: ['buy'],
  alpha: 0.05,
  minPerArm: 100,
};

describe('breakdownSections', () => {
  it('takes visitors from the exposure-only row, else from the goal rows, and ignores other arms and goals', () => {
    const s = breakdownSections(
      [
        row('mobile', 'control', '', 400),
        row('mobile', 'control', 'buy', 400, 40),
        row('mobile', 'b', 'buy', 380, 57),
        row('mobile', '__holdout', '', 50),
        row('mobile', 'b', 'unknown-goal', 380, 300),
        // more converters than visitors cannot be: clamped
        row('tablet', 'control', '', 3),
        row('tablet', 'control', 'buy', 3, 9),
      ],
      options,
    );
    const mobile = s.find((x) => x.value === 'mobile');
    expect(mobile?.visitors).toBe(780);
    expect(mobile?.variants.map((v) => v.visitors)).toEqual([400, 380]);
    expect(mobile?.variants[1]?.goals).toEqual({
      buy: expect.objectContaining({ conversions: 57, rate: 0.15 }),
    });
    expect(mobile?.variants[1]?.goals.buy?.method).toBe('z-test');
    const tablet = s.find((x) => x.value === 'tablet');
    expect(tablet?.variants[0]?.goals.buy).toEqual({ conversions: 3, rate: 1 });
    // no visitors in b: nothing to compare, and the one comparison made is not adjusted for tablet
    expect(tablet?.variants[1]?.goals.buy).toEqual({ conversions: 0, rate: 0 });
    expect(mobile?.variants[1]?.goals.buy?.adjustedPValue).toBe(mobile?.variants[1]?.goals.buy?.pValue);
    expect(tablet?.warning?.[0]?.message).toContain('the smallest has 0');
  });

  it('does not warn about many comparisons at exactly the limit', () => {
    const rows = Array.from({ length: 10 }, (_, i) => [
      row(`v${i}`, 'control', '', 200),
      row(`v${i}`, 'b', '', 200),
      row(`v${i}`, 'b', 'buy', 200, 30),
      row(`v${i}`, 'control', 'buy', 200, 20),
    ]).flat();
    expect(breakdownSections(rows, options).every((x) => x.warning === undefined)).toBe(true);
    expect(breakdownSections(rows, { ...options, maxComparisons: 9 })[0]?.warning?.[0]?.kind).toBe('many');
  });
});

describe('compare', () => {
  it('switches to Fisher where an expected cell is below 5 (Cochran)', () => {
    // expected converted in the smaller arm: 100 * 9 / 200 = 4.5 -> Fisher; 100 * 10 / 200 = 5 -> z-test
    expect(compare({ n: 100, x: 4 }, { n: 100, x: 5 }, 0.05).method).toBe('fisher');
    expect(compare({ n: 100, x: 4 }, { n: 100, x: 6 }, 0.05).method).toBe('z-test');
    // scipy.stats.fisher_exact([[6, 94], [1, 99]]).pvalue -> 0.11840538106385107
    const fisher = compare({ n: 100, x: 1 }, { n: 100, x: 6 }, 0.05);
    expect(fisher.method).toBe('fisher');
    expect(fisher.pValue).toBeCloseTo(0.11840538106385107, 12);
    expect(fisher.lift).toBeCloseTo(5, 12);
  });
});

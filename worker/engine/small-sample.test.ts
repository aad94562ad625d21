/**
 * @module small-sample.test
 * Small-sample methods against scipy 1.17.1 (`fisher_exact`, `relative_risk`) and an independent Python
 * implementation of Koopman's interval (scipy.optimize.brentq on the score statistic), plus the exact
 * coverage of the interval summed over every possible outcome.
 */

import { describe, expect, it } from 'vitest';
import { fisherExact, liftInterval, whichMethod } from './small-sample.ts';
import { proportionTest } from './stats.ts';

function expectRelative(actual: number, expected: number, tol: number): void {
  const scale = expected === 0 ? 1 : Math.abs(expected);
  expect(Math.abs(actual - expected) / scale, `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

describe('fisherExact', () => {
  // python3: from scipy.stats import fisher_exact; r = fisher_exact(t); (r.statistic, r.pvalue)
  // with t = [[treatment x, treatment n - x], [control x, control n - x]].
  const cases: [number[][], number, number][] = [
    [
      [
        [3, 47],
        [1, 44],
      ],
      2.8085106382978724,
      0.6190567433474317,
    ],
    [
      [
        [0, 10],
        [5, 5],
      ],
      0,
      0.032507739938080496,
    ],
    [
      [
        [2, 3],
        [3, 2],
      ],
      0.4444444444444444,
      1.0,
    ],
    [
      [
        [7, 93],
        [15, 85],
      ],
      0.4265232974910394,
      0.11205425104028893,
    ],
    [
      [
        [120, 880],
        [90, 910],
      ],
      1.378787878787879,
      0.034202509706968705,
    ],
    [
      [
        [1, 0],
        [0, 1],
      ],
      Number.POSITIVE_INFINITY,
      1.0,
    ],
    [
      [
        [10, 10],
        [10, 10],
      ],
      1.0,
      1.0,
    ],
    [
      [
        [412, 9588],
        [371, 9629],
      ],
      1.1152608775344743,
      0.14470930994375858,
    ],
    [
      [
        [30, 9970],
        [5, 9995],
      ],
      6.015045135406218,
      2.2023392820727795e-5,
    ],
    [
      [
        [1500, 8500],
        [1400, 8600],
      ],
      1.084033613445378,
      0.046779380169072265,
    ],
    [
      [
        [0, 3],
        [3, 0],
      ],
      0,
      0.10000000000000002,
    ],
    [
      [
        [5, 0],
        [0, 5],
      ],
      Number.POSITIVE_INFINITY,
      0.007936507936507938,
    ],
    [
      [
        [12, 5],
        [4, 14],
      ],
      8.4,
      0.006709548451580661,
    ],
    [
      [
        [2, 0],
        [0, 3],
      ],
      Number.POSITIVE_INFINITY,
      0.10000000000000002,
    ],
    [
      [
        [4000, 96000],
        [3800, 96200],
      ],
      1.0548245614035088,
      0.02152795332714383,
    ],
  ];
  it.each(cases)('matches scipy.stats.fisher_exact(%j)', (table, oddsRatio, pValue) => {
    const [[a, b], [c, d]] = table as [[number, number], [number, number]];
    const result = fisherExact({ n: c + d, x: c }, { n: a + b, x: a });
    expectRelative(result.pValue, pValue, 1e-9);
    if (Number.isFinite(oddsRatio)) expectRelative(result.oddsRatio, oddsRatio, 1e-14);
    else expect(result.oddsRatio).toBe(oddsRatio);
  });

  it('is neutral on an empty margin (scipy: p 1, odds ratio nan) and rejects non-counts', () => {
    // fisher_exact([[0, 45], [0, 50]]) -> (nan, 1.0)
    expect(fisherExact({ n: 50, x: 0 }, { n: 45, x: 0 })).toEqual({ pValue: 1, oddsRatio: 1 });
    expect(fisherExact({ n: 0, x: 0 }, { n: 45, x: 3 })).toEqual({ pValue: 1, oddsRatio: 1 });
    expect(() => fisherExact({ n: 5, x: 6 }, { n: 5, x: 1 })).toThrow(RangeError);
  });
});

describe('liftInterval (Koopman score interval of the rate ratio)', () => {
  // python3 (independent implementation; x1, n1 treatment, x2, n2 control):
  //   from scipy.stats import chi2; from scipy.optimize import brentq
  //   def T(phi):
  //       A = phi*(n1+n2); B = -(phi*(x2+n1) + x1 + n2); C = x1 + x2
  //       p2 = 2*C / (-B + np.sqrt(max(B*B - 4*A*C, 0))); p1 = phi*p2
  //       term = lambda x, n, p: 0 if p*(1-p) == 0 else (x - n*p)**2 / (n*p*(1-p))
  //       return term(x1, n1, p1) + term(x2, n2, p2)
  //   q = chi2.ppf(1 - alpha, 1); est = (x1/n1)/(x2/n2)
  //   lo = 0 if x1 == 0 else brentq(lambda f: T(f) - q, 1e-12, est if x2 > 0 else 1e12, xtol=1e-14, rtol=1e-14)
  //   hi = inf if x2 == 0 else brentq(lambda f: T(f) - q, max(est, 1e-12), 1e12, xtol=1e-14, rtol=1e-14)
  const cases: [number, number, number, number, number, number, number][] = [
    // x1, n1, x2, n2, alpha, lo, hi
    [3, 50, 1, 45, 0.05, 0.40240171230671345, 18.53391934725274],
    [1, 45, 3, 50, 0.05, 0.05395512850055808, 2.485078888625099],
    [0, 20, 4, 25, 0.05, 0, 1.0891014967524502],
    [5, 20, 0, 25, 0.05, 1.7783153430443785, Number.POSITIVE_INFINITY],
    [7, 100, 15, 100, 0.05, 0.2024168632835876, 1.06221039889903],
    [120, 1000, 90, 1000, 0.05, 1.030259399164831, 1.7265961638090108],
    [20, 20, 18, 20, 0.05, 0.9238137336168474, 1.430684028170271],
    [3, 50, 1, 45, 0.1, 0.5153382153961883, 14.415705197755434],
  ];
  it.each(cases)('x=%i/%i vs %i/%i, alpha %f', (x1, n1, x2, n2, alpha, lo, hi) => {
    const r = liftInterval({ n: n2, x: x2 }, { n: n1, x: x1 }, alpha);
    expectRelative(r.ratioCi[0], lo, 1e-9);
    if (Number.isFinite(hi)) expectRelative(r.ratioCi[1], hi, 1e-9);
    else expect(r.ratioCi[1]).toBe(hi);
    expect(r.ci[0]).toBeCloseTo(r.ratioCi[0] - 1, 15);
  });

  it('1 conversion in 45 vs 3 in 50: a bounded, asymmetric interval, not [-100 %, ...]', () => {
    const control = { n: 45, x: 1 };
    const treatment = { n: 50, x: 3 };
    const koopman = liftInterval(control, treatment);
    expectRelative(koopman.lift, 1.7, 1e-12);
    // lift +170 %, interval about [-59.8 %, +1753 %]: contains 0, as Fisher's p = 0.62 says.
    expect(koopman.ci[0]).toBeGreaterThan(-0.6);
    expect(koopman.ci[0]).toBeLessThan(0);
    expect(koopman.ci[1]).toBeLessThan(17.6);
    // The delta method clamps at -100 % (the impossible end) for the same data.
    expect(proportionTest(control, treatment).ci[0]).toBe(-1);
    // Katz (scipy.stats.contingency.relative_risk(3, 50, 1, 45).confidence_interval(0.95)) is wider:
    // (0.291184590270154, 25.03566549739639).
    expect(koopman.ratioCi[0]).toBeGreaterThan(0.291184590270154);
    expect(koopman.ratioCi[1]).toBeLessThan(25.03566549739639);
  });

  it('keeps its coverage at small counts (exact, summed over every outcome)', () => {
    // python3: sum of binom.pmf(x1, n1, p1) * binom.pmf(x2, n2, p2) over all (x1, x2) whose interval
    // holds p1/p2, with the implementation above:
    //   (n1, n2, p1, p2) = (50, 45, 0.05, 0.03) -> 0.972668677548342  (delta method: 0.8116944984458113)
    //   (n1, n2, p1, p2) = (30, 30, 0.1, 0.2)   -> 0.9539789154096655 (delta method: 0.8874739196474118)
    const coverage = (n1: number, n2: number, p1: number, p2: number): number => {
      const pmf = (n: number, p: number) => {
        const out = [(1 - p) ** n];
        for (let k = 1; k <= n; k++) out.push((out[k - 1]! * (n - k + 1) * p) / (k * (1 - p)));
        return out;
      };
      const f1 = pmf(n1, p1);
      const f2 = pmf(n2, p2);
      let covered = 0;
      for (let x1 = 0; x1 <= n1; x1++) {
        for (let x2 = 0; x2 <= n2; x2++) {
          const [lo, hi] = liftInterval({ n: n2, x: x2 }, { n: n1, x: x1 }).ratioCi;
          if (lo <= p1 / p2 && p1 / p2 <= hi) covered += f1[x1]! * f2[x2]!;
        }
      }
      return covered;
    };
    expectRelative(coverage(50, 45, 0.05, 0.03), 0.972668677548342, 1e-9);
    expectRelative(coverage(30, 30, 0.1, 0.2), 0.9539789154096655, 1e-9);
  });

  it('is neutral without conversions or visitors', () => {
    expect(liftInterval({ n: 45, x: 0 }, { n: 50, x: 0 })).toEqual({
      ratio: 1,
      ratioCi: [0, Number.POSITIVE_INFINITY],
      lift: 0,
      ci: [-1, Number.POSITIVE_INFINITY],
    });
    expect(liftInterval({ n: 45, x: 0 }, { n: 50, x: 2 }).lift).toBe(Number.POSITIVE_INFINITY);
    expect(() => liftInterval({ n: 45, x: 1 }, { n: 50, x: 2 }, 0)).toThrow(RangeError);
  });
});

describe('whichMethod', () => {
  it('picks Fisher when an expected cell is below 5, else the z-test', () => {
    // 1/45 vs 3/50: expected converters in control 45 · 4/95 ≈ 1.89.
    const small = whichMethod({ n: 45, x: 1 }, { n: 50, x: 3 });
    expect(small.method).toBe('fisher');
    expectRelative(small.minExpected, (45 * 4) / 95, 1e-15);
    expect(whichMethod({ n: 1000, x: 100 }, { n: 1000, x: 130 })).toEqual({
      method: 'z-test',
      minExpected: 115,
    });
    // Expected 4.95 (99 · 10 / 200) is still too few.
    expect(whichMethod({ n: 99, x: 5 }, { n: 101, x: 5 }).method).toBe('fisher');
    expect(whichMethod({ n: 0, x: 0 }, { n: 0, x: 0 }).method).toBe('fisher');
  });
});

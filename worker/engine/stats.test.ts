/**
 * @module
 * Tests of the experiment statistics against independent references: every literal below was produced by
 * scipy 1.17.1 / mpmath 1.3.0 with the call quoted next to it, never by this code.
 */

import { describe, expect, it } from 'vitest';
import { mulberry32 } from './bandit';
import {
  erfc,
  incompleteBetaPair,
  logBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  regularizedBeta,
  regularizedGammaP,
  regularizedGammaQ,
  studentTQuantile,
  studentTTwoSided,
} from './special-functions';
import {
  benjaminiHochberg,
  chanceToBeatControl,
  expectedLoss,
  holm,
  minSampleReached,
  proportionTest,
  sequentialPValue,
  srmPValue,
  verdict,
  welchTest,
} from './stats';

/** |actual - expected| <= tol · |expected| (or <= tol when expected is 0). */
function expectRelative(actual: number, expected: number, tol: number): void {
  const scale = expected === 0 ? 1 : Math.abs(expected);
  expect(Math.abs(actual - expected) / scale, `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

function expectAbsolute(actual: number, expected: number, tol: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

describe('special functions', () => {
  it('logGamma matches scipy.special.gammaln', () => {
    const cases: [number, number][] = [
      [0.1, 2.252712651734206],
      [0.5, 0.5723649429247],
      [1, 0],
      [2.5, 0.2846828704729192],
      [9.99, 12.779315214350195],
      [10, 12.801827480081469],
      [100.5, 361.43554046777757],
      [1e6, 12815504.569147611],
    ];
    for (const [x, expected] of cases) expectAbsolute(logGamma(x), expected, 1e-13 * Math.max(1, expected));
  });

  it('logBeta matches scipy.special.betaln, including huge arguments', () => {
    const cases: [number, number, number][] = [
      [3, 4, -4.0943445622221],
      [12, 0.5, -0.6596747231378598],
      // scipy.special.betaln(0.5, 1e6) is off here (-6.3353902120143175); mpmath.log(mpmath.beta(0.5, 1e6)) at 40 digits:
      [0.5, 1e6, -6.335390211057437],
      [1e6, 1e6 + 3, -1386302.0828029625],
      [2.5, 40, -8.983627339298152],
    ];
    for (const [a, b, expected] of cases) expectRelative(logBeta(a, b), expected, 1e-13);
  });

  it('regularizedBeta matches scipy.special.betainc', () => {
    const cases: [number, number, number, number][] = [
      [0.3, 2, 5, 0.5798250000000003],
      [0.9, 0.5, 0.5, 0.7951672353008665],
      [0.001, 50, 3, 1.3234012750000013e-147],
      [0.5, 1e5, 1e5 + 300, 0.7486728868521804], // mpmath.quad of the density agrees: 0.7486728868521825
      [1e-10, 20, 20, 6.892326428528174e-190],
      [0.2, 300, 40, 8.405653469807927e-163],
    ];
    for (const [x, a, b, expected] of cases) expectRelative(regularizedBeta(x, a, b), expected, 1e-13);
    // Upper tails, scipy.special.betaincc(a, b, x).
    expectRelative(incompleteBetaPair(0.99, 20, 30)[1], 1.5671643161873119e-47, 1e-13);
    expectRelative(incompleteBetaPair(0.6, 1000, 1000)[1], 8.231611354869308e-20, 1e-12);
  });

  it('regularizedGammaP / Q match scipy.special.gammainc / gammaincc, far tails included', () => {
    const cases: [number, number, number, number][] = [
      // [a, x, gammainc(a, x), gammaincc(a, x)]
      [0.5, 0.01, 0.11246291601828491, 0.887537083981715],
      [2.5, 1.5, 0.3000141641213724, 0.6999858358786276],
      [1, 30, 0.9999999999999064, 9.357622968840163e-14],
      [10, 3, 0.0011024881301154815, 0.9988975118698845],
      [4.5, 90, 1, 5.066746422663916e-34],
    ];
    for (const [a, x, p, q] of cases) {
      expectRelative(regularizedGammaP(a, x), p, 1e-13);
      expectRelative(regularizedGammaQ(a, x), q, 1e-13);
    }
  });

  it('normal CDF and tails match scipy.stats.norm.cdf / norm.sf', () => {
    const cases: [number, number][] = [
      [-37, 5.7255712225239266e-300],
      [-20, 2.7536241186061556e-89],
      [-5, 2.866515718791933e-7],
      [-1.96, 0.024997895148220435],
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1.96, 0.9750021048517795],
    ];
    // At z = -37 the answer is exp(-684.5 + ...): one ulp of the exponent is already 1.1e-13 relative.
    for (const [z, expected] of cases) expectRelative(normalCdf(z), expected, 5e-13);
    expectRelative(normalSf(8), 6.22096057427174e-16, 1e-13); // norm.sf(8)
    expectRelative(erfc(-1), 2 - erfc(1), 1e-15);
  });

  it('normalQuantile matches scipy.stats.norm.ppf', () => {
    const cases: [number, number][] = [
      [1e-300, -37.0470962993612],
      [1e-10, -6.361340902404056],
      [0.001, -3.090232306167813],
      [0.025, -1.9599639845400545],
      [0.3, -0.5244005127080409],
      [0.975, 1.959963984540054],
      [1 - 1e-10, 6.361340889697422],
    ];
    for (const [p, expected] of cases) expectRelative(normalQuantile(p), expected, 1e-13);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it("Student's t two-sided tail matches 2 * scipy.stats.t.sf(t, df)", () => {
    const cases: [number, number, number][] = [
      [2, 10, 0.07338803477074037],
      [0.1, 3, 0.9266523488008059],
      [5, 2.5, 0.02345118997086185],
      [40, 7, 1.5902179984850364e-9],
      [1.96, 1e6, 0.04999606758526985],
      [12, 1, 0.052929352119179755],
    ];
    // The continued fraction loses a little for very large df (~2e-11 relative at df = 1e6).
    for (const [t, df, expected] of cases) {
      expectRelative(studentTTwoSided(t, df), expected, df > 1e4 ? 1e-10 : 1e-13);
      expectRelative(studentTTwoSided(-t, df), expected, df > 1e4 ? 1e-10 : 1e-13);
    }
  });

  it("Student's t quantile matches scipy.stats.t.ppf", () => {
    const cases: [number, number, number][] = [
      [0.975, 1, 12.706204736174694],
      [0.975, 2.5, 3.5746548420036817],
      [0.95, 30, 1.697260886593957],
      [0.025, 7, -2.3646242515927844],
      [0.999, 4, 7.173182219782307],
      [0.975, 1e6, 1.959966356814107],
      [1e-8, 5, -62.4045061109673],
    ];
    for (const [p, df, expected] of cases) expectRelative(studentTQuantile(p, df), expected, 1e-11);
  });
});

describe('proportionTest', () => {
  // pValue: scipy.stats.chi2_contingency([[xc, nc-xc], [xt, nt-xt]], correction=False).pvalue (the pooled
  // z-test squared). ci: lift ± scipy.stats.norm.ppf(1 - alpha/2) * sqrt((pt/pc)**2 * (vt/pt**2 + vc/pc**2)).
  const cases: [number, number, number, number, number, number, number, number][] = [
    // [nc, xc, nt, xt, lift, ci low, ci high, pValue]
    [1000, 100, 1000, 130, 0.3, -0.019179397713587065, 0.6191793977135871, 0.03548845046647463],
    [
      5000, 400, 5200, 380, -0.08653846153846145, -0.20979050836585833, 0.03671358528893541,
      0.1884209575014081,
    ],
    [200, 20, 180, 30, 0.6666666666666665, -0.2145774608077955, 1.5479107941411285, 0.05490896018743924],
    [100000, 3000, 100000, 3150, 0.05, -0.0016869667987175, 0.10168696679871758, 0.052036163698305174],
  ];
  it.each(cases)('matches scipy for %i/%i vs %i/%i', (nc, xc, nt, xt, lift, lo, hi, p) => {
    const result = proportionTest({ n: nc, x: xc }, { n: nt, x: xt });
    expectRelative(result.lift, lift, 1e-12);
    expectRelative(result.ci[0], lo, 1e-12);
    expectRelative(result.ci[1], hi, 1e-12);
    expectRelative(result.pValue, p, 1e-11);
  });

  it('honours alpha', () => {
    const result = proportionTest({ n: 1000, x: 100 }, { n: 1000, x: 130 }, 0.1);
    expectRelative(result.ci[0], 0.03213620550247864, 1e-12);
    expectRelative(result.ci[1], 0.5678637944975214, 1e-12);
  });

  it('has defined, documented values for degenerate inputs', () => {
    const unbounded = { lift: 0, ci: [-1, Number.POSITIVE_INFINITY], pValue: 1 };
    expect(proportionTest({ n: 0, x: 0 }, { n: 0, x: 0 })).toEqual(unbounded);
    expect(proportionTest({ n: 0, x: 0 }, { n: 100, x: 10 })).toEqual(unbounded);
    expect(proportionTest({ n: 100, x: 0 }, { n: 100, x: 0 })).toEqual(unbounded);
    const noControlConversions = proportionTest({ n: 100, x: 0 }, { n: 100, x: 5 });
    expect(noControlConversions.lift).toBe(Number.POSITIVE_INFINITY);
    expect(noControlConversions.ci).toEqual([-1, Number.POSITIVE_INFINITY]);
    // chi2_contingency([[0, 100], [5, 95]], correction=False).pvalue
    expectRelative(noControlConversions.pValue, 0.023540058261177957, 1e-11);
    const noTreatmentConversions = proportionTest({ n: 100, x: 5 }, { n: 100, x: 0 });
    expect(noTreatmentConversions.lift).toBe(-1);
    expect(noTreatmentConversions.ci).toEqual([-1, -1]);
    expect(proportionTest({ n: 10, x: 10 }, { n: 20, x: 20 })).toEqual({ lift: 0, ci: [0, 0], pValue: 1 });
    // A small sample whose delta-method interval would extend below -100%.
    expect(proportionTest({ n: 20, x: 2 }, { n: 20, x: 1 }).ci[0]).toBe(-1);
  });

  it('rejects counts that are not counts', () => {
    expect(() => proportionTest({ n: 10, x: 11 }, { n: 10, x: 1 })).toThrow(RangeError);
    expect(() => proportionTest({ n: -1, x: 0 }, { n: 10, x: 1 })).toThrow(RangeError);
    expect(() => proportionTest({ n: 10.5, x: 1 }, { n: 10, x: 1 })).toThrow(RangeError);
    expect(() => proportionTest({ n: 10, x: 1 }, { n: 10, x: 1 }, 1)).toThrow(RangeError);
  });
});

describe('chanceToBeatControl', () => {
  // P(pT > pC) = ∫ Beta(1+xt, 1+nt-xt).pdf(u) · Beta(1+xc, 1+nc-xc).cdf(u) du, computed with
  // mpmath.quad (30 digits, mpmath.betainc(..., regularized=True)) split at ±k posterior sd, and where
  // mpmath's betainc does not converge (1e5+ conversions) by Evan Miller's closed-form sum evaluated
  // term by term with mpmath.loggamma at 40 digits. Quoted rounded to the nearest double.
  const cases: [number, number, number, number, number][] = [
    [10, 1, 10, 3, 0.8446115288220551],
    [10, 0, 10, 0, 0.5],
    [0, 0, 0, 0, 0.5],
    [0, 0, 10, 5, 0.5],
    [30, 29, 40, 40, 0.818075117370892],
    [100, 10, 100, 15, 0.8532837899339661],
    [1000, 100, 1000, 130, 0.9821650661163506],
    [10000, 500, 10000, 560, 0.9708376637062499],
    [50, 5, 200000, 21000, 0.4494497823728571], // mpmath.quad, confirmed by the closed-form sum
    [20, 0, 1000000, 1000, 0.020811660549453402], // mpmath.quad
    [1000000, 10, 1000000, 12, 0.6611811442948646], // mpmath.quad
    [1000000, 100000, 1000000, 100500, 0.8804425367656455], // closed-form sum, mpmath 40 digits
    [1000000, 500000, 1000000, 500900, 0.8984540905875322], // closed-form sum, mpmath 40 digits
  ];
  it.each(cases)('is exact for %i/%i vs %i/%i', (nc, xc, nt, xt, expected) => {
    // The requirement is 1e-4; the method is exact, so hold it to 1e-12.
    expectAbsolute(chanceToBeatControl({ n: nc, x: xc }, { n: nt, x: xt }), expected, 1e-12);
  });

  it('is complementary and symmetric', () => {
    const a = { n: 5000, x: 260 };
    const b = { n: 4800, x: 270 };
    expectAbsolute(chanceToBeatControl(a, b) + chanceToBeatControl(b, a), 1, 1e-14);
    expectAbsolute(chanceToBeatControl(a, a), 0.5, 1e-14);
  });

  it('handles ten million visitors per arm', () => {
    const p = chanceToBeatControl({ n: 10_000_000, x: 5_000_000 }, { n: 10_000_000, x: 5_000_000 });
    expectAbsolute(p, 0.5, 1e-12);
  });
});

describe('expectedLoss', () => {
  // E[max(pC - pT, 0)] = ∫_0^1 F_T(u) (1 - F_C(u)) du, by scipy.integrate.quad(lambda u:
  // scipy.stats.beta.cdf(u, 1+xt, 1+nt-xt) * scipy.stats.beta.sf(u, 1+xc, 1+nc-xc), 0, 1,
  // points=posterior quantiles, epsabs=1e-15, epsrel=1e-12) — an identity independent of the closed form.
  const cases: [number, number, number, number, number][] = [
    [1000, 100, 1000, 130, 9.23744915047071e-5],
    [1000, 130, 1000, 100, 0.030032494251983777],
    [10, 1, 10, 3, 0.014056881333769203],
    [0, 0, 0, 0, 0.16666666666666669],
    [100000, 3000, 100000, 3050, 0.00011848832632929412],
    [1000000, 100000, 1000000, 100500, 2.496460518827685e-5],
  ];
  it.each(cases)('matches numerical integration for %i/%i vs %i/%i', (nc, xc, nt, xt, expected) => {
    const loss = expectedLoss({ n: nc, x: xc }, { n: nt, x: xt });
    expectAbsolute(loss, expected, 1e-12);
    expectRelative(loss, expected, 1e-8);
  });
});

describe('welchTest', () => {
  // Data: numpy.random.default_rng(7); revenue = lognormal(3.5 / 3.55, 0.8) for 3% / 3.5% of 2000 / 2100
  // visitors, 0 otherwise; small = normal(10, 2, 5) and normal(13, 4, 7). References:
  // r = scipy.stats.ttest_ind(treatment, control, equal_var=False) -> r.pvalue, r.df,
  // r.confidence_interval(0.95); lift ci = lift ± norm.ppf(0.975) * sqrt(se_t² + (mt/mc)² se_c²) / mc.
  it('matches scipy.stats.ttest_ind(equal_var=False) on revenue-like data', () => {
    const result = welchTest(
      { n: 2000, sum: 2708.0077642152146, sumSquares: 367766.1599068462 },
      { n: 2100, sum: 3398.5955752112804, sumSquares: 212575.45212472248 },
    );
    expectRelative(result.meanDiff, 0.26437496323109766, 1e-12);
    expectRelative(result.pValue, 0.4767899167054611, 1e-10);
    expectRelative(result.df, 3664.5964798373275, 1e-10);
    expectRelative(result.meanDiffCi[0], -0.46408818727489376, 1e-10);
    expectRelative(result.meanDiffCi[1], 0.9928381137370891, 1e-10);
    expectRelative(result.lift, 0.1952542136139066, 1e-12);
    expectRelative(result.ci[0], -0.41388743710197673, 1e-10);
    expectRelative(result.ci[1], 0.8043958643297899, 1e-10);
  });

  it('matches scipy on a small sample (t quantile with fractional df)', () => {
    const result = welchTest(
      { n: 5, sum: 47.106182939476355, sumSquares: 445.5347037950024 },
      { n: 7, sum: 91.12548980162009, sumSquares: 1214.8796532834413 },
    );
    expectRelative(result.pValue, 0.003987912654431899, 1e-9);
    expectRelative(result.df, 7.445122912064041, 1e-9);
    expectRelative(result.meanDiffCi[0], 1.549141256387724, 1e-9);
    expectRelative(result.meanDiffCi[1], 5.644239796856045, 1e-9);
    expectRelative(result.lift, 0.38176416578297556, 1e-12);
    expectRelative(result.ci[0], 0.19029722431232596, 1e-9);
    expectRelative(result.ci[1], 0.5732311072536251, 1e-9);
  });

  it('has defined values for degenerate inputs', () => {
    const tooSmall = welchTest({ n: 1, sum: 5, sumSquares: 25 }, { n: 10, sum: 60, sumSquares: 400 });
    expect(tooSmall).toMatchObject({ meanDiff: 1, lift: 0, pValue: 1, df: 0 });
    expect(tooSmall.ci).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    const constant = welchTest({ n: 3, sum: 6, sumSquares: 12 }, { n: 3, sum: 9, sumSquares: 27 });
    expect(constant).toMatchObject({ meanDiff: 1, meanDiffCi: [1, 1], lift: 0.5, pValue: 0 });
    const zeroControl = welchTest({ n: 10, sum: 0, sumSquares: 0 }, { n: 10, sum: 30, sumSquares: 300 });
    expect(zeroControl.lift).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(zeroControl.pValue)).toBe(false);
  });
});

describe('srmPValue', () => {
  // scipy.stats.chisquare(observed, sum(observed) * weights / sum(weights)).pvalue
  const cases: [number[], number[], number][] = [
    [[5000, 5200], [0.5, 0.5], 0.0476703806561615],
    [[1000, 2000, 980], [1, 2, 1], 0.860059446020169],
    [[50500, 49500], [50, 50], 0.001565402258002549],
    [[10000, 11000, 9000], [1, 1, 1], 3.7200759760208177e-44],
    [[334, 333, 333], [0.2, 0.4, 0.4], 4.2721931978500545e-25],
  ];
  it.each(cases)('matches scipy.stats.chisquare for %j with weights %j', (observed, weights, expected) => {
    expectRelative(srmPValue(observed, weights), expected, 1e-11);
  });

  it('handles empty experiments and zero-weight arms', () => {
    expect(srmPValue([0, 0], [1, 1])).toBe(1);
    expect(srmPValue([10], [1])).toBe(1);
    expect(srmPValue([0, 10], [0, 1])).toBe(1);
    expect(srmPValue([1, 10], [0, 1])).toBe(0);
    expect(() => srmPValue([1, 2], [1])).toThrow(RangeError);
    expect(() => srmPValue([1, 2], [0, 0])).toThrow(RangeError);
  });
});

describe('multiple comparisons', () => {
  const pValues = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04];
  it('benjaminiHochberg matches scipy.stats.false_discovery_control(method="bh")', () => {
    const expected = [0.03, 0.048, 0.048, 0.03, 0.2, 0.048];
    for (const [i, p] of benjaminiHochberg(pValues).entries()) expectRelative(p, expected[i]!, 1e-14);
  });

  it('holm matches the textbook step-down (sorted (m - i) p(i), running max, capped at 1)', () => {
    // Computed with a 6-line numpy reference (scipy has no Holm); also checkable by hand.
    const expected = [0.05, 0.12, 0.12, 0.03, 0.2, 0.12];
    for (const [i, p] of holm(pValues).entries()) expectRelative(p, expected[i]!, 1e-14);
    expect(holm([0.5, 0.6])).toEqual([1, 1]);
    expect(holm([])).toEqual([]);
    expect(() => holm([Number.NaN])).toThrow(RangeError);
  });
});

describe('minSampleReached', () => {
  it('requires every arm to reach the minimum', () => {
    expect(minSampleReached([{ n: 100 }, { n: 150 }], 100)).toBe(true);
    expect(minSampleReached([{ n: 99 }, { n: 150 }], 100)).toBe(false);
    expect(minSampleReached([], 0)).toBe(false);
  });
});

describe('sequentialPValue', () => {
  // 1 / Λ with Λ = sqrt(V / (V + tau²)) exp(tau² θ² / (2 V (V + tau²))), V = p̄(1-p̄)(1/nc + 1/nt),
  // evaluated with numpy from the formula in Johari, Pekelis & Walsh (2017).
  const cases: [number, number, number, number, number, number][] = [
    [1000, 100, 1000, 130, 0.01, 0.5894979074518633],
    [10000, 1000, 10000, 1100, 0.01, 0.26780809084477847],
    [10000, 1000, 10000, 1020, 0.02, 1],
    [50000, 2500, 50000, 2800, 0.005, 0.0009121621289291951],
  ];
  it.each(cases)('matches the mSPRT formula for %i/%i vs %i/%i', (nc, xc, nt, xt, tau, expected) => {
    expectRelative(sequentialPValue({ n: nc, x: xc }, { n: nt, x: xt }, { tau }), expected, 1e-12);
  });

  it('is a running minimum and neutral without data', () => {
    expect(sequentialPValue({ n: 1000, x: 100 }, { n: 1000, x: 130 }, { tau: 0.01, previous: 0.2 })).toBe(
      0.2,
    );
    expect(sequentialPValue({ n: 0, x: 0 }, { n: 0, x: 0 }, { tau: 0.01 })).toBe(1);
    expect(sequentialPValue({ n: 10, x: 0 }, { n: 10, x: 0 }, { tau: 0.01 })).toBe(1);
    expect(() => sequentialPValue({ n: 10, x: 0 }, { n: 10, x: 0 }, { tau: 0 })).toThrow(RangeError);
  });

  it('keeps the false-positive rate under alpha when peeking after every 100 visitors, unlike the z-test', () => {
    const random = mulberry32(2024);
    const experiments = 400;
    let sequentialRejections = 0;
    let naiveRejections = 0;
    for (let e = 0; e < experiments; e++) {
      const control = { n: 0, x: 0 };
      const treatment = { n: 0, x: 0 };
      let p = 1;
      let naive = false;
      for (let look = 0; look < 40; look++) {
        for (let i = 0; i < 100; i++) {
          control.n++;
          treatment.n++;
          if (random() < 0.1) control.x++;
          if (random() < 0.1) treatment.x++;
        }
        p = sequentialPValue(control, treatment, { tau: 0.02, previous: p });
        if (proportionTest(control, treatment).pValue < 0.05) naive = true;
      }
      if (p < 0.05) sequentialRejections++;
      if (naive) naiveRejections++;
    }
    expect(sequentialRejections / experiments).toBeLessThanOrEqual(0.05);
    expect(naiveRejections / experiments).toBeGreaterThan(0.1);
  });
});

describe('verdict', () => {
  it('waits for the minimum sample, then calls winners and losers', () => {
    expect(verdict({ n: 50, x: 5 }, { n: 50, x: 25 })).toBe('insufficient-data');
    expect(verdict({ n: 5000, x: 500 }, { n: 5000, x: 600 })).toBe('winner');
    expect(verdict({ n: 5000, x: 600 }, { n: 5000, x: 500 })).toBe('loser');
    expect(verdict({ n: 5000, x: 500 }, { n: 5000, x: 510 })).toBe('inconclusive');
    expect(verdict({ n: 5000, x: 500 }, { n: 5000, x: 600 }, { minPerArm: 10_000 })).toBe(
      'insufficient-data',
    );
  });

  it('uses an adjusted or sequential p-value when given', () => {
    expect(verdict({ n: 1000, x: 100 }, { n: 1000, x: 130 })).toBe('winner'); // p ≈ 0.035
    expect(verdict({ n: 1000, x: 100 }, { n: 1000, x: 130 }, { pValue: 0.07 })).toBe('inconclusive');
    expect(verdict({ n: 1000, x: 100 }, { n: 1000, x: 130 }, { sequential: { tau: 0.01 } })).toBe(
      'inconclusive',
    );
    expect(verdict({ n: 50000, x: 2500 }, { n: 50000, x: 2800 }, { sequential: { tau: 0.005 } })).toBe(
      'winner',
    );
  });
});

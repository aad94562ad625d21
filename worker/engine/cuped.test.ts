/**
 * @module cuped.test
 * CUPED against an independent numpy computation from the raw rows, and on simulated experiments with a
 * covariate of known correlation, where the interval must narrow by sqrt(1 - ρ²) as the theory says.
 */

import { describe, expect, it } from 'vitest';
import { mulberry32, sampleNormal } from './bandit.ts';
import { addMoment, cupedLift, EMPTY_MOMENTS, type MomentSums } from './cuped.ts';

function expectRelative(actual: number, expected: number, tol: number): void {
  const scale = expected === 0 ? 1 : Math.abs(expected);
  expect(Math.abs(actual - expected) / scale, `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

function sums(y: readonly number[], x: readonly number[]): MomentSums {
  return y.reduce((s, v, i) => addMoment(s, v, x[i]!), EMPTY_MOMENTS);
}

// python3 (from the raw rows, not from sums):
//   def analyse(yc, xc, yt, xt, alpha=0.05):
//       z = norm.ppf(1 - alpha/2)
//       theta = (np.sum((yc-yc.mean())*(xc-xc.mean())) + np.sum((yt-yt.mean())*(xt-xt.mean()))) / \
//               (np.sum((xc-xc.mean())**2) + np.sum((xt-xt.mean())**2))
//       xall = np.concatenate([xc, xt]).mean()
//       def lift(ac, at):
//           mc, mt = ac.mean(), at.mean(); vc, vt = ac.var(ddof=1)/len(ac), at.var(ddof=1)/len(at)
//           r = mt/mc; se = np.sqrt(vt + r*r*vc)/abs(mc); l = (mt - mc)/abs(mc)
//           return l, l - z*se, l + z*se, 2*norm.sf(abs(mt - mc)/np.sqrt(vc + vt)), vc + vt
//       plain = lift(yc, yt); adj = lift(yc - theta*(xc - xall), yt - theta*(xt - xall))
//       return theta, plain, adj, 1 - adj[4]/plain[4]
describe('cupedLift against numpy', () => {
  it('revenue y with a pre-period covariate', () => {
    const yc = [0, 12.5, 0, 30, 5, 0, 18, 0, 7.5, 22];
    const xc = [1, 9, 0, 20, 4, 2, 11, 0, 6, 15];
    const yt = [3, 0, 25, 40, 0, 9, 14, 0, 31, 12, 6];
    const xt = [2, 1, 14, 22, 0, 8, 9, 1, 18, 10, 3];
    const r = cupedLift(sums(yc, xc), sums(yt, xt));
    expectRelative(r.theta, 1.7007946210268947, 1e-12);
    expectRelative(r.plain.lift, 0.339712918660287, 1e-12);
    expectRelative(r.plain.ci[0], -0.9287577182043074, 1e-12);
    expectRelative(r.plain.ci[1], 1.6081835555248813, 1e-12);
    expectRelative(r.plain.pValue, 0.5461324930369207, 1e-10);
    expectRelative(r.adjusted.lift, 0.11224441511874296, 1e-12);
    expectRelative(r.adjusted.ci[0], -0.04936652769635651, 1e-10);
    expectRelative(r.adjusted.ci[1], 0.2738553579338424, 1e-12);
    expectRelative(r.adjusted.pValue, 0.1588269825924148, 1e-10);
    expectRelative(r.varianceReduction, 0.9752062813435577, 1e-12);
  });

  it('binary y (conversion), alpha 0.1', () => {
    const yc = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1];
    const xc = [0, 3, 1, 0, 2, 0, 1, 0, 4, 0, 1, 2];
    const yt = [1, 1, 0, 0, 1, 0, 1, 0, 1, 0];
    const xt = [2, 3, 0, 1, 2, 0, 2, 0, 3, 1];
    const r = cupedLift(sums(yc, xc), sums(yt, xt), 0.1);
    expectRelative(r.theta, 0.3534303534303534, 1e-12);
    expectRelative(r.plain.lift, 0.5000000000000001, 1e-12);
    expectRelative(r.plain.ci[0], -0.8353647796556204, 1e-12);
    expectRelative(r.plain.ci[1], 1.8353647796556207, 1e-12);
    expectRelative(r.plain.pValue, 0.4467252149176356, 1e-10);
    expectRelative(r.adjusted.lift, 0.22706422018348635, 1e-12);
    expectRelative(r.adjusted.ci[0], -0.28048347976945576, 1e-12);
    expectRelative(r.adjusted.ci[1], 0.7346119201364285, 1e-12);
    expectRelative(r.adjusted.pValue, 0.4138072015449582, 1e-10);
    expectRelative(r.varianceReduction, 0.7787456331060664, 1e-12);
  });

  it('degenerate arms and a covariate without variance', () => {
    const one = sums([1], [2]);
    const r = cupedLift(one, sums([1, 0], [1, 1]));
    expect(r.plain).toEqual({ lift: 0, ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY], pValue: 1 });
    const flat = cupedLift(sums([1, 0, 1], [5, 5, 5]), sums([1, 1, 0], [5, 5, 5]));
    expect(flat.theta).toBe(0);
    expect(flat.adjusted).toEqual(flat.plain);
    expect(() => cupedLift({ ...EMPTY_MOMENTS, n: 1.5 }, one)).toThrow(RangeError);
    expect(() => cupedLift(one, one, 1)).toThrow(RangeError);
  });
});

/** A mutable fold, so 40k visitors do not allocate 40k objects. */
function accumulate(target: MomentSums, y: number, x: number): void {
  target.n += 1;
  target.sumY += y;
  target.sumY2 += y * y;
  target.sumX += x;
  target.sumX2 += x * x;
  target.sumXY += x * y;
}

const width = (ci: [number, number]) => ci[1] - ci[0];

describe('cupedLift on simulated experiments with a covariate of known correlation', () => {
  it('revenue: the interval narrows by sqrt(1 - ρ²) with ρ = 0.7', () => {
    // y = μ_arm + σ (ρ x + sqrt(1 - ρ²) e), x and e standard normal: corr(x, y) = ρ in both arms.
    const rho = 0.7;
    const random = mulberry32(2013);
    const n = 20_000;
    const control = { ...EMPTY_MOMENTS };
    const treatment = { ...EMPTY_MOMENTS };
    for (let i = 0; i < n; i++) {
      for (const [arm, mu] of [
        [control, 10],
        [treatment, 10.3],
      ] as const) {
        const x = sampleNormal(random);
        accumulate(arm, mu + 3 * (rho * x + Math.sqrt(1 - rho * rho) * sampleNormal(random)), x);
      }
    }
    const r = cupedLift(control, treatment);
    // Theory: width ratio sqrt(1 - ρ²) = 0.714. Its sampling error comes from ρ̂, whose standard error is
    // (1 - ρ²) / sqrt(2n) ≈ 0.0026 here, times |d sqrt(1 - ρ²) / dρ| ≈ 0.98: a tolerance of 0.01 is ~4 SE.
    expectRelative(width(r.adjusted.ci) / width(r.plain.ci), Math.sqrt(1 - rho * rho), 0.01 / 0.714);
    expect(Math.abs(r.varianceReduction - rho * rho)).toBeLessThan(0.01);
    expect(Math.abs(r.theta - 3 * rho)).toBeLessThan(0.03); // slope σρ, standard error ≈ 0.015
    // The adjusted estimate is unbiased for the true lift 3 %: within 4 of its standard errors.
    const se = width(r.adjusted.ci) / (2 * 1.959963984540054);
    expect(Math.abs(r.adjusted.lift - 0.03)).toBeLessThan(4 * se);
    expect(r.adjusted.pValue).toBeLessThan(r.plain.pValue);
  });

  it('conversion: binary y, binary pre-exposure covariate, exact population ρ', () => {
    // x ~ Bernoulli(q) (e.g. "visited the pricing page before exposure"), y | x ~ Bernoulli(p1 or p0).
    // Per arm: var(y) = p̄(1 - p̄), cov(x, y) = q(1 - q)(p1 - p0), var(x) = q(1 - q).
    const q = 0.3;
    const arms = [
      { p1: 0.5, p0: 0.05 },
      { p1: 0.55, p0: 0.055 }, // +10 % in both strata
    ];
    const random = mulberry32(77);
    const n = 20_000;
    const sumsByArm = arms.map(() => ({ ...EMPTY_MOMENTS }));
    for (let i = 0; i < n; i++) {
      for (const [a, { p1, p0 }] of arms.entries()) {
        const x = random() < q ? 1 : 0;
        accumulate(sumsByArm[a]!, random() < (x ? p1 : p0) ? 1 : 0, x);
      }
    }
    const r = cupedLift(sumsByArm[0]!, sumsByArm[1]!);
    // Population variances with the pooled θ (equal n and var(x) in both arms).
    const pop = arms.map(({ p1, p0 }) => {
      const mean = q * p1 + (1 - q) * p0;
      return { mean, vy: mean * (1 - mean), cov: q * (1 - q) * (p1 - p0) };
    });
    const vx = q * (1 - q);
    const theta = (pop[0]!.cov + pop[1]!.cov) / (2 * vx);
    const vAdj = pop.map((p) => p.vy - 2 * theta * p.cov + theta * theta * vx);
    const ratio = pop[1]!.mean / pop[0]!.mean;
    const expected = Math.sqrt(
      (vAdj[1]! + ratio * ratio * vAdj[0]!) / (pop[1]!.vy + ratio * ratio * pop[0]!.vy),
    );
    expect(expected).toBeGreaterThan(0.8); // ≈ 0.85: ρ² ≈ 0.28
    expect(expected).toBeLessThan(0.9);
    expectRelative(width(r.adjusted.ci) / width(r.plain.ci), expected, 0.015);
    expect(Math.abs(r.theta - theta)).toBeLessThan(0.02);
  });
});

/**
 * @module logistic.test
 * The propensity model against known answers: a numpy Newton solution (cross-checked with scipy's BFGS),
 * data drawn from a known logistic model (the fit must be as good as the truth within the noise), and
 * degenerate inputs (separable data, constant columns).
 */

import { describe, expect, it } from 'vitest';
import { mulberry32, sampleNormal } from './bandit.ts';
import {
  auc,
  calibration,
  featureImportance,
  parseLogisticModel,
  predictLogistic,
  splitHoldout,
  trainLogistic,
} from './logistic.ts';

function expectClose(actual: number, expected: number, tol: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

describe('trainLogistic against a numpy reference', () => {
  // python3:
  //   X = np.array([[0.5,12,1],[1.5,3,0],[-0.3,7,1],[2.2,1,0],[0.0,9,0],[1.1,4,1],
  //                 [-1.2,15,0],[0.8,6,1],[1.9,2,1],[-0.7,11,0],[0.3,5,0],[1.4,8,1]])
  //   y = np.array([0,1,0,1,0,1,0,0,1,0,1,1]); lam = 0.5
  //   mu = X.mean(0); sd = X.std(0); Z = np.column_stack([np.ones(12), (X - mu) / sd])
  //   P = np.diag([0., 1, 1, 1]); b = np.zeros(4)
  //   for _ in range(50):
  //       p = 1 / (1 + np.exp(-Z @ b))
  //       b = b + np.linalg.solve(Z.T @ (Z * (p*(1-p))[:, None]) + lam*P, Z.T @ (y - p) - lam*P @ b)
  //   # cross-check: scipy.optimize.minimize(lambda b: np.sum(np.logaddexp(0, Z@b) - y*(Z@b))
  //   #              + lam/2 * b@P@b, np.zeros(4), method='BFGS', options={'gtol':1e-12}).x agrees to 2e-8
  //   1 / (1 + np.exp(-(b[0] + ((np.array([1.0, 10, 1]) - mu) / sd) @ b[1:])))   # 0.3210636266649892
  const X = [
    [0.5, 12, 1],
    [1.5, 3, 0],
    [-0.3, 7, 1],
    [2.2, 1, 0],
    [0.0, 9, 0],
    [1.1, 4, 1],
    [-1.2, 15, 0],
    [0.8, 6, 1],
    [1.9, 2, 1],
    [-0.7, 11, 0],
    [0.3, 5, 0],
    [1.4, 8, 1],
  ];
  const y: (0 | 1)[] = [0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1];

  it('matches the weights, scaling and a prediction', () => {
    const model = trainLogistic(X, y, { l2: 0.5, featureNames: ['a', 'b', 'c'] });
    expect(model.converged).toBe(true);
    expectClose(model.intercept, 0.028915646678080116, 1e-9);
    const expected = [1.4775228097378275, -1.2022171717943937, -0.42179693792927175];
    for (const [j, w] of model.weights.entries()) expectClose(w, expected[j]!, 1e-9);
    for (const [j, m] of [0.625, 6.916666666666667, 0.5].entries()) expectClose(model.means[j]!, m, 1e-12);
    for (const [j, sd] of [1.007575472772801, 4.091827899063639, 0.5].entries()) {
      expectClose(model.scales[j]!, sd, 1e-12);
    }
    expectClose(predictLogistic(model, [1.0, 10, 1]), 0.3210636266649892, 1e-9);
    expect(featureImportance(model).map((f) => f.name)).toEqual(['a', 'b', 'c']);
  });

  it('survives a JSON round trip and validation', () => {
    const model = trainLogistic(X, y, { l2: 0.5 });
    const back = parseLogisticModel(JSON.parse(JSON.stringify(model)));
    expect(predictLogistic(back, [1.0, 10, 1])).toBe(predictLogistic(model, [1.0, 10, 1]));
    expect(() => parseLogisticModel({ ...model, scales: [1, 0, 1] })).toThrow(RangeError);
    expect(() => parseLogisticModel({ ...model, version: 2 })).toThrow(RangeError);
  });

  it('rejects malformed input', () => {
    expect(() => trainLogistic([], [])).toThrow(RangeError);
    expect(() => trainLogistic([[1], [2, 3]], [0, 1])).toThrow(/row 1/);
    expect(() => trainLogistic([[1], [Number.NaN]], [0, 1])).toThrow(/not finite/);
    expect(() => trainLogistic([[1], [2]], [0, 2 as 1])).toThrow(/0 or 1/);
    expect(() => trainLogistic([[1], [2]], [0, 1], { l2: -1 })).toThrow(/l2/);
    expect(() => predictLogistic(trainLogistic(X, y), [1, 2])).toThrow(RangeError);
  });
});

describe('trainLogistic on rows drawn from a known model', () => {
  // Hidden truth on raw features: continuous, binary, a uniform, a count, and two features without effect.
  const trueWeights = [0.8, -0.3, 1.0, -0.6, 0.15, 0.2, 0, 0.5];
  const trueIntercept = -1.0;
  const random = mulberry32(20_240_601);
  const rows: number[][] = [];
  const truth: number[] = [];
  const labels: (0 | 1)[] = [];
  for (let i = 0; i < 20_000; i++) {
    const x = [
      sampleNormal(random),
      5 + 2 * sampleNormal(random),
      random() < 0.3 ? 1 : 0,
      random() < 0.5 ? 1 : 0,
      10 * random(),
      Math.floor(-3 * Math.log(1 - random())),
      sampleNormal(random),
      random() < 0.1 ? 1 : 0,
    ];
    const eta = trueIntercept + x.reduce((s, v, j) => s + v * trueWeights[j]!, 0);
    const p = 1 / (1 + Math.exp(-eta));
    rows.push(x);
    truth.push(p);
    labels.push(random() < p ? 1 : 0);
  }
  const { train, holdout } = splitHoldout(rows.length, 0.2, 7);
  const model = trainLogistic(
    train.map((i) => rows[i]!),
    train.map((i) => labels[i]!),
    { l2: 1 },
  );
  const heldLabels = holdout.map((i) => labels[i]!);
  const fitted = holdout.map((i) => predictLogistic(model, rows[i]!));
  const oracle = holdout.map((i) => truth[i]!);

  it('splits 16000 / 4000, deterministically', () => {
    expect(train.length).toBe(16_000);
    expect(holdout.length).toBe(4000);
    expect(splitHoldout(rows.length, 0.2, 7).holdout).toEqual(holdout);
    expect(new Set([...train, ...holdout]).size).toBe(20_000);
  });

  it('recovers the weights within 5 standard errors', () => {
    expect(model.converged).toBe(true);
    // For nearly independent standardized features the Fisher information per coefficient is about
    // n · E[p (1 - p)], so the standard error of a standardized weight is 1 / sqrt(n · E[p (1 - p)]).
    const info = train.reduce((s, i) => s + truth[i]! * (1 - truth[i]!), 0);
    const se = 1 / Math.sqrt(info);
    model.weights.forEach((w, j) => {
      expectClose(w, trueWeights[j]! * model.scales[j]!, 5 * se);
    });
  });

  it('discriminates as well as the true model on held-out rows (AUC within 0.01)', () => {
    const fittedAuc = auc(fitted, heldLabels);
    const oracleAuc = auc(oracle, heldLabels);
    expect(oracleAuc).toBeGreaterThan(0.75); // the test is informative: there is signal to find
    expectClose(fittedAuc, oracleAuc, 0.01);
  });

  it('is calibrated on held-out rows (ECE under 0.03)', () => {
    const { ece, bins } = calibration(fitted, heldLabels);
    expect(ece).toBeLessThan(0.03);
    expect(bins.reduce((s, b) => s + b.n, 0)).toBe(4000);
    // A deliberately miscalibrated score (log-odds doubled) must fail the same bound.
    const sharpened = fitted.map((p) => 1 / (1 + ((1 - p) / p) ** 2));
    expect(calibration(sharpened, heldLabels).ece).toBeGreaterThan(0.03);
  });

  it('ranks the effects: x0 (0.8 per standard deviation) first, the null feature x6 last', () => {
    const ranked = featureImportance(model).map((f) => f.index);
    expect(ranked[0]).toBe(0);
    expect(ranked.at(-1)).toBe(6);
  });
});

describe('degenerate data', () => {
  it('converges on separable data with l2 > 0, finite weights', () => {
    const X = [[-2], [-1], [-0.5], [0.5], [1], [2]];
    const y: (0 | 1)[] = [0, 0, 0, 1, 1, 1];
    const model = trainLogistic(X, y, { l2: 0.1 });
    expect(model.converged).toBe(true);
    expect(Number.isFinite(model.weights[0])).toBe(true);
    expect(predictLogistic(model, [3])).toBeGreaterThan(0.9);
    // Without a penalty the weights keep growing: not converged, but finite and still correct.
    const free = trainLogistic(X, y, { l2: 0, maxIter: 40 });
    expect(free.converged).toBe(false);
    expect(Number.isFinite(free.weights[0]) && Number.isFinite(free.intercept)).toBe(true);
    expect(predictLogistic(free, [0.6])).toBeGreaterThan(0.99);
  });

  it('handles a constant column and a single class', () => {
    const model = trainLogistic(
      [
        [1, 5],
        [2, 5],
        [3, 5],
        [4, 5],
      ],
      [0, 1, 0, 1],
      { l2: 0 },
    );
    expect(model.scales[1]).toBe(1);
    expect(model.weights[1]).toBe(0);
    const allZero = trainLogistic([[1], [2], [3]], [0, 0, 0], { l2: 1 });
    expect(predictLogistic(allZero, [2])).toBeLessThan(0.01);
  });

  it('predicts 0 and 1 at extreme log-odds without NaN', () => {
    const model = { ...trainLogistic([[0], [1]], [0, 1]), weights: [1000], means: [0], scales: [1] };
    expect(predictLogistic(model, [1])).toBe(1);
    expect(predictLogistic(model, [-1])).toBe(0);
  });
});

describe('auc and calibration', () => {
  it('auc matches scipy.stats.mannwhitneyu with ties', () => {
    // python3: from scipy.stats import mannwhitneyu
    //   pos = [0.9, 0.8, 0.8, 0.4, 0.3]; neg = [0.8, 0.5, 0.4, 0.2, 0.1, 0.1]
    //   mannwhitneyu(pos, neg).statistic / (5 * 6)   # 0.7833333333333333
    const scores = [0.9, 0.8, 0.8, 0.4, 0.3, 0.8, 0.5, 0.4, 0.2, 0.1, 0.1];
    const labels: (0 | 1)[] = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    expectClose(auc(scores, labels), 0.7833333333333333, 1e-15);
    expect(auc([0.1, 0.2], [1, 1])).toBe(0.5);
    expect(auc([0.1, 0.2, 0.3], [0, 1, 1])).toBe(1);
  });

  it('calibration bins and ece by hand', () => {
    // bin [0, 0.5): scores 0.1, 0.3 (mean 0.2), labels 0, 1 (rate 0.5); bin [0.5, 1]: 0.9, 1.0 (0.95), 1, 1.
    // ece = 0.5 · 0.3 + 0.5 · 0.05 = 0.175
    const { bins, ece } = calibration([0.1, 0.3, 0.9, 1.0], [0, 1, 1, 1], 2);
    expect(bins).toEqual([
      { lo: 0, hi: 0.5, meanPredicted: 0.2, observedRate: 0.5, n: 2 },
      { lo: 0.5, hi: 1, meanPredicted: 0.95, observedRate: 1, n: 2 },
    ]);
    expectClose(ece, 0.175, 1e-15);
    expect(() => calibration([1.2], [1])).toThrow(RangeError);
  });
});

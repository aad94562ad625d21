/**
 * @module logistic
 * A propensity model: L2-regularized logistic regression fitted by Newton's method (IRLS) on standardized
 * features, with the held-out measures the dashboard shows (AUC, calibration, feature weights) and a seeded
 * train/holdout split. The model is plain JSON so a scheduled job can store it in KV and the page path can
 * score a visitor in well under a microsecond with {@link predictLogistic}.
 *
 * Standardizing first makes one penalty mean the same for every feature whatever its unit (visits vs
 * milliseconds), keeps the Newton system well conditioned, and makes the weights comparable as importances.
 */

import { DEFAULT_SEED, mulberry32 } from './bandit.ts';

export interface LogisticModel {
  version: 1;
  /** Weights on standardized features: z_j = (x_j - means[j]) / scales[j]. */
  weights: number[];
  /** Intercept on the standardized scale (the log-odds of a row at the feature means). */
  intercept: number;
  means: number[];
  /** Population standard deviation of each column in the training rows, 1 where it was 0. */
  scales: number[];
  featureNames?: string[];
  l2: number;
  iterations: number;
  converged: boolean;
}

export interface LogisticOptions {
  /**
   * Penalty λ in Σ logloss + λ/2 · Σ w_j² (intercept not penalized), i.e. scikit-learn's C = 1/λ on
   * standardized features. Default 1: negligible with thousands of rows, but keeps separable data finite.
   */
  l2?: number;
  /** Newton iterations at most (default 50; well-posed problems take 5 to 10). */
  maxIter?: number;
  /** Converged when no coefficient moves by more than `tol` in one step (default 1e-8). */
  tol?: number;
  featureNames?: string[];
}

/**
 * Fits an L2-regularized logistic regression by Newton's method with step halving.
 *
 * Each step solves (Zᵀ W Z + λ I') δ = Zᵀ (y - p) - λ w' by Cholesky, Z the standardized design with a
 * column of ones, W = diag(p (1 - p)), I' the identity with a 0 for the intercept. Step halving keeps the
 * penalized log-likelihood increasing, so the method converges from any start when λ > 0 (the objective is
 * then strictly concave). With λ = 0 on separable data the weights grow until `maxIter`, stay finite, and
 * `converged` is false.
 *
 * @throws RangeError on empty or ragged X, non-finite values, labels other than 0/1, or bad options.
 * @example const model = trainLogistic([[0], [1], [2], [3]], [0, 0, 1, 1], { l2: 0.1 });
 */
export function trainLogistic(
  X: readonly (readonly number[])[],
  y: readonly (0 | 1)[],
  options: LogisticOptions = {},
): LogisticModel {
  const { l2 = 1, maxIter = 50, tol = 1e-8, featureNames } = options;
  const n = X.length;
  if (n === 0) throw new RangeError('trainLogistic: X has no rows');
  if (y.length !== n) throw new RangeError(`trainLogistic: ${n} rows but ${y.length} labels`);
  const d = X[0]!.length;
  for (let i = 0; i < n; i++) {
    const row = X[i]!;
    if (row.length !== d)
      throw new RangeError(`trainLogistic: row ${i} has ${row.length} features, not ${d}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j])) throw new RangeError(`trainLogistic: X[${i}][${j}] is not finite`);
    }
    if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`trainLogistic: y[${i}] must be 0 or 1, got ${y[i]}`);
  }
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new RangeError(`trainLogistic: l2 must be >= 0, got ${l2}`);
  if (!(Number.isInteger(maxIter) && maxIter > 0)) {
    throw new RangeError(`trainLogistic: maxIter must be a positive integer, got ${maxIter}`);
  }
  if (!(tol > 0)) throw new RangeError(`trainLogistic: tol must be > 0, got ${tol}`);
  if (featureNames !== undefined && featureNames.length !== d) {
    throw new RangeError(`trainLogistic: ${featureNames.length} feature names for ${d} features`);
  }

  const { means, scales } = columnScaling(X, d);
  // Standardized design, row-major, column 0 the intercept.
  const p1 = d + 1;
  const Z = new Float64Array(n * p1);
  for (let i = 0; i < n; i++) {
    const row = X[i]!;
    Z[i * p1] = 1;
    for (let j = 0; j < d; j++) Z[i * p1 + j + 1] = (row[j]! - means[j]!) / scales[j]!;
  }
  const labels = Float64Array.from(y);

  // Start from the intercept-only optimum, which is exact and usually halves the iterations.
  const rate = Math.min(Math.max(labels.reduce((s, v) => s + v, 0) / n, 1e-6), 1 - 1e-6);
  let beta = new Float64Array(p1);
  beta[0] = Math.log(rate / (1 - rate));
  let objective = penalizedLoss(Z, labels, beta, l2, n, p1);
  const gradient = new Float64Array(p1);
  const hessian = new Float64Array(p1 * p1);
  let iterations = 0;
  let converged = false;

  while (iterations < maxIter) {
    iterations++;
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      const off = i * p1;
      let eta = 0;
      for (let j = 0; j < p1; j++) eta += Z[off + j]! * beta[j]!;
      const p = sigmoid(eta);
      const r = labels[i]! - p;
      const w = p * (1 - p);
      for (let j = 0; j < p1; j++) {
        const zj = Z[off + j]!;
        gradient[j]! += zj * r;
        const wz = w * zj;
        for (let k = 0; k <= j; k++) hessian[j * p1 + k]! += wz * Z[off + k]!;
      }
    }
    for (let j = 1; j < p1; j++) {
      gradient[j]! -= l2 * beta[j]!;
      hessian[j * p1 + j]! += l2;
    }
    const step = solveSpd(hessian, gradient, p1);

    // Step halving: accept the first fraction of the Newton step that does not worsen the objective.
    let t = 1;
    let candidate = new Float64Array(p1);
    let candidateObjective = Number.POSITIVE_INFINITY;
    for (let halvings = 0; halvings < 30; halvings++) {
      for (let j = 0; j < p1; j++) candidate[j] = beta[j]! + t * step[j]!;
      candidateObjective = penalizedLoss(Z, labels, candidate, l2, n, p1);
      if (candidateObjective <= objective + 1e-12 * Math.abs(objective)) break;
      t /= 2;
    }
    if (!(candidateObjective <= objective + 1e-12 * Math.abs(objective))) {
      converged = true; // no direction improves: at the optimum to machine precision
      break;
    }
    let moved = 0;
    for (let j = 0; j < p1; j++) moved = Math.max(moved, Math.abs(candidate[j]! - beta[j]!));
    [beta, candidate] = [candidate, beta];
    objective = candidateObjective;
    if (moved <= tol) {
      converged = true;
      break;
    }
  }

  const model: LogisticModel = {
    version: 1,
    weights: Array.from(beta.subarray(1)),
    intercept: beta[0]!,
    means,
    scales,
    l2,
    iterations,
    converged,
  };
  if (featureNames !== undefined) model.featureNames = [...featureNames];
  return model;
}

function columnScaling(X: readonly (readonly number[])[], d: number): { means: number[]; scales: number[] } {
  const n = X.length;
  const means = new Array<number>(d).fill(0);
  for (const row of X) for (let j = 0; j < d; j++) means[j]! += row[j]!;
  for (let j = 0; j < d; j++) means[j]! /= n;
  // Two-pass variance: no cancellation for columns like timestamps with a large mean.
  const scales = new Array<number>(d).fill(0);
  for (const row of X) {
    for (let j = 0; j < d; j++) {
      const c = row[j]! - means[j]!;
      scales[j]! += c * c;
    }
  }
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scales[j]! / n);
    scales[j] = sd > 1e-12 * Math.max(1, Math.abs(means[j]!)) ? sd : 1;
  }
  return { means, scales };
}

/** -log-likelihood + λ/2 ||w||², with log(1 + e^η) evaluated without overflow. */
function penalizedLoss(
  Z: Float64Array,
  labels: Float64Array,
  beta: Float64Array,
  l2: number,
  n: number,
  p1: number,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const off = i * p1;
    let eta = 0;
    for (let j = 0; j < p1; j++) eta += Z[off + j]! * beta[j]!;
    loss += Math.max(eta, 0) + Math.log1p(Math.exp(-Math.abs(eta))) - labels[i]! * eta;
  }
  let penalty = 0;
  for (let j = 1; j < p1; j++) penalty += beta[j]! * beta[j]!;
  return loss + (l2 / 2) * penalty;
}

/**
 * Solves A x = b for a symmetric positive (semi)definite A given by its lower triangle (row-major, size m),
 * by Cholesky. A pivot that is not clearly positive (λ = 0 with a constant column, or saturated
 * probabilities on separable data) gets a small ridge and the factorization restarts, so the step stays
 * finite instead of failing.
 */
function solveSpd(A: Float64Array, b: Float64Array, m: number): Float64Array {
  let trace = 0;
  for (let j = 0; j < m; j++) trace += A[j * m + j]!;
  const L = new Float64Array(m * m);
  let ridge = 0;
  for (let attempt = 0; attempt < 60; attempt++) {
    if (cholesky(A, L, m, ridge)) break;
    ridge = ridge === 0 ? 1e-12 * Math.max(trace / m, 1e-300) : ridge * 10;
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < m; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= L[i * m + k]! * x[k]!;
    x[i] = s / L[i * m + i]!;
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < m; k++) s -= L[k * m + i]! * x[k]!;
    x[i] = s / L[i * m + i]!;
  }
  return x;
}

function cholesky(A: Float64Array, L: Float64Array, m: number, ridge: number): boolean {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * m + j]! + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) s -= L[i * m + k]! * L[j * m + k]!;
      if (i === j) {
        if (!(s > 1e-14 * Math.abs(A[i * m + i]! + ridge)) || !(s > 0)) return false;
        L[i * m + i] = Math.sqrt(s);
      } else {
        L[i * m + j] = s / L[j * m + j]!;
      }
    }
  }
  return true;
}

/** 1 / (1 + e^-η) without overflow for large |η|. */
function sigmoid(eta: number): number {
  if (eta >= 0) return 1 / (1 + Math.exp(-eta));
  const e = Math.exp(eta);
  return e / (1 + e);
}

/**
 * The predicted probability for one row of raw (unstandardized) features, in the model's feature order.
 * Allocates nothing, so it can run on every page view. Non-finite features give NaN (the caller falls back).
 *
 * @throws RangeError when `x` has the wrong number of features.
 */
export function predictLogistic(model: LogisticModel, x: readonly number[]): number {
  const { weights, means, scales } = model;
  const d = weights.length;
  if (x.length !== d) throw new RangeError(`predictLogistic: model has ${d} features, got ${x.length}`);
  let eta = model.intercept;
  for (let j = 0; j < d; j++) eta += (weights[j]! * (x[j]! - means[j]!)) / scales[j]!;
  return sigmoid(eta);
}

/**
 * Checks that a value read back from storage is a usable {@link LogisticModel}, so a corrupt or foreign
 * record fails when it is loaded rather than as NaN scores on the page path.
 *
 * @throws RangeError naming the first field that is wrong.
 */
export function parseLogisticModel(value: unknown): LogisticModel {
  if (typeof value !== 'object' || value === null) throw new RangeError('model: not an object');
  const m = value as Record<string, unknown>;
  if (m.version !== 1) throw new RangeError(`model: unsupported version ${String(m.version)}`);
  const numbers = (field: string): number[] => {
    const v = m[field];
    if (!Array.isArray(v) || !v.every((e) => typeof e === 'number' && Number.isFinite(e))) {
      throw new RangeError(`model: ${field} must be an array of finite numbers`);
    }
    return v as number[];
  };
  const weights = numbers('weights');
  const means = numbers('means');
  const scales = numbers('scales');
  if (means.length !== weights.length || scales.length !== weights.length) {
    throw new RangeError('model: weights, means and scales differ in length');
  }
  if (!scales.every((s) => s > 0)) throw new RangeError('model: scales must be > 0');
  if (typeof m.intercept !== 'number' || !Number.isFinite(m.intercept)) {
    throw new RangeError('model: intercept must be a finite number');
  }
  const names = m.featureNames;
  if (
    names !== undefined &&
    !(Array.isArray(names) && names.length === weights.length && names.every((s) => typeof s === 'string'))
  ) {
    throw new RangeError('model: featureNames must be one string per weight');
  }
  const model: LogisticModel = {
    version: 1,
    weights,
    intercept: m.intercept,
    means,
    scales,
    l2: typeof m.l2 === 'number' ? m.l2 : 0,
    iterations: typeof m.iterations === 'number' ? m.iterations : 0,
    converged: m.converged === true,
  };
  if (names !== undefined) model.featureNames = names as string[];
  return model;
}

function assertScored(fn: string, scores: readonly number[], labels: readonly (0 | 1)[]): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`${fn}: ${scores.length} scores but ${labels.length} labels`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new RangeError(`${fn}: score ${i} is not finite`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`${fn}: label ${i} must be 0 or 1`);
  }
}

/**
 * Area under the ROC curve as the Mann-Whitney statistic: the probability that a random positive scores
 * above a random negative, ties counting one half (mid-ranks). Returns 0.5 when either class is absent (no
 * discrimination can be measured).
 *
 * @throws RangeError on mismatched lengths, non-finite scores or labels other than 0/1.
 */
export function auc(scores: readonly number[], labels: readonly (0 | 1)[]): number {
  assertScored('auc', scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const midRank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) {
      if (labels[order[i]!] === 1) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  meanPredicted: number;
  observedRate: number;
  n: number;
}

/**
 * Reliability table on `bins` equal-width bins of [0, 1] (a score of exactly 1 falls in the last bin).
 * Only bins holding rows are returned, so every point can be plotted. `ece`, the expected calibration
 * error, is Σ (n_b / N) |meanPredicted_b - observedRate_b| (Naeini, Cooper & Hauskrecht 2015); 0 with no rows.
 *
 * @throws RangeError on mismatched lengths, scores outside [0, 1], or `bins` not a positive integer.
 */
export function calibration(
  scores: readonly number[],
  labels: readonly (0 | 1)[],
  bins = 10,
): { bins: CalibrationBin[]; ece: number } {
  assertScored('calibration', scores, labels);
  if (!(Number.isInteger(bins) && bins > 0)) {
    throw new RangeError(`calibration: bins must be a positive integer, got ${bins}`);
  }
  const count = new Array<number>(bins).fill(0);
  const predicted = new Array<number>(bins).fill(0);
  const observed = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s < 0 || s > 1) throw new RangeError(`calibration: score ${i} is outside [0, 1]`);
    const b = Math.min(bins - 1, Math.floor(s * bins));
    count[b]! += 1;
    predicted[b]! += s;
    observed[b]! += labels[i]!;
  }
  const result: CalibrationBin[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const nb = count[b]!;
    if (nb === 0) continue;
    const meanPredicted = predicted[b]! / nb;
    const observedRate = observed[b]! / nb;
    ece += (nb / scores.length) * Math.abs(meanPredicted - observedRate);
    result.push({ lo: b / bins, hi: (b + 1) / bins, meanPredicted, observedRate, n: nb });
  }
  return { bins: result, ece };
}

export interface FeatureWeight {
  name: string;
  index: number;
  /** The weight on the standardized feature: change in log-odds per standard deviation. */
  weight: number;
  importance: number;
}

/**
 * Features ranked by |standardized weight|, the change in log-odds for one standard deviation of the
 * feature. Names default to `x0`, `x1`, ...
 */
export function featureImportance(model: LogisticModel): FeatureWeight[] {
  return model.weights
    .map((weight, index) => ({
      name: model.featureNames?.[index] ?? `x${index}`,
      index,
      weight,
      importance: Math.abs(weight),
    }))
    .sort((a, b) => b.importance - a.importance || a.index - b.index);
}

/**
 * A deterministic train/holdout split of row indices 0..n-1: a seeded Fisher-Yates shuffle, the first
 * round(n · fraction) rows held out. Both lists are returned in ascending order.
 *
 * @throws RangeError when n is not a non-negative integer or fraction is outside [0, 1].
 */
export function splitHoldout(
  n: number,
  fraction = 0.2,
  seed = DEFAULT_SEED,
): { train: number[]; holdout: number[] } {
  if (!(Number.isInteger(n) && n >= 0))
    throw new RangeError(`splitHoldout: n must be an integer >= 0, got ${n}`);
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`splitHoldout: fraction must be in [0, 1], got ${fraction}`);
  }
  const random = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cut = Math.round(n * fraction);
  return {
    train: order.slice(cut).sort((a, b) => a - b),
    holdout: order.slice(0, cut).sort((a, b) => a - b),
  };
}

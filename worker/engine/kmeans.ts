/**
 * @module kmeans
 * Discovered segments: k-means clustering of visitors' standardized behaviour vectors, the choice of k by
 * silhouette, stable cluster ids across re-clustering (optimal matching of new centroids to old ones), and
 * a description of each cluster by the features that set it apart. Deterministic for a seed.
 */

import { DEFAULT_SEED, mulberry32 } from './bandit.ts';

export interface KMeansOptions {
  /** Seed of the k-means++ draws (default {@link DEFAULT_SEED}). */
  seed?: number;
  /** Lloyd iterations per run at most (default 100). */
  maxIter?: number;
  /** Independent k-means++ starts; the run with the least inertia is kept (default 4). */
  restarts?: number;
}

export interface KMeansResult {
  centroids: number[][];
  assignments: number[];
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  /** Lloyd iterations of the kept run. */
  iterations: number;
}

function assertPoints(fn: string, points: readonly (readonly number[])[]): number {
  if (points.length === 0) throw new RangeError(`${fn}: no points`);
  const d = points[0]!.length;
  if (d === 0) throw new RangeError(`${fn}: points have no coordinates`);
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.length !== d) throw new RangeError(`${fn}: point ${i} has ${p.length} coordinates, not ${d}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(p[j])) throw new RangeError(`${fn}: point ${i} coordinate ${j} is not finite`);
    }
  }
  return d;
}

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const diff = a[j]! - b[j]!;
    s += diff * diff;
  }
  return s;
}

/**
 * The index of the centroid nearest to `x` (squared Euclidean distance; the lowest index on ties). On the
 * page path, `x` must be scaled like the clustered points (see {@link scaleRow}).
 */
export function nearest(centroids: readonly (readonly number[])[], x: readonly number[]): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < centroids.length; c++) {
    const dist = squaredDistance(centroids[c]!, x);
    if (dist < bestDistance) {
      bestDistance = dist;
      best = c;
    }
  }
  return best;
}

/**
 * Standardizes each column to mean 0 and (population) standard deviation 1, a constant column to scale 1,
 * so that no feature dominates the distances by its unit alone.
 */
export function standardize(points: readonly (readonly number[])[]): {
  points: number[][];
  means: number[];
  scales: number[];
} {
  const d = assertPoints('standardize', points);
  const n = points.length;
  const means = new Array<number>(d).fill(0);
  for (const p of points) for (let j = 0; j < d; j++) means[j]! += p[j]!;
  for (let j = 0; j < d; j++) means[j]! /= n;
  const scales = new Array<number>(d).fill(0);
  for (const p of points) {
    for (let j = 0; j < d; j++) scales[j]! += (p[j]! - means[j]!) ** 2;
  }
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scales[j]! / n);
    scales[j] = sd > 1e-12 * Math.max(1, Math.abs(means[j]!)) ? sd : 1;
  }
  return { points: points.map((p) => scaleRow(p, { means, scales })), means, scales };
}

/** One raw row scaled as {@link standardize} scaled the training points. */
export function scaleRow(
  x: readonly number[],
  scaling: { means: readonly number[]; scales: readonly number[] },
): number[] {
  return x.map((v, j) => (v - scaling.means[j]!) / scaling.scales[j]!);
}

/**
 * k-means (Lloyd's algorithm) from a k-means++ start (Arthur & Vassilvitskii 2007: each next seed drawn
 * with probability proportional to its squared distance to the nearest seed so far). A cluster left empty
 * is re-seeded with the point farthest from its centroid. Iterates until no assignment changes or
 * `maxIter`; of `restarts` runs, the one with the least inertia is returned.
 *
 * @throws RangeError on empty or ragged points, non-finite coordinates, or k not in 1..points.length.
 * @example kmeans([[0, 0], [0, 1], [10, 10], [10, 11]], 2, { seed: 1 }).assignments // [0, 0, 1, 1] or [1, 1, 0, 0]
 */
export function kmeans(
  points: readonly (readonly number[])[],
  k: number,
  options: KMeansOptions = {},
): KMeansResult {
  const { seed = DEFAULT_SEED, maxIter = 100, restarts = 4 } = options;
  assertPoints('kmeans', points);
  if (!(Number.isInteger(k) && k >= 1 && k <= points.length)) {
    throw new RangeError(`kmeans: k must be an integer in 1..${points.length}, got ${k}`);
  }
  if (!(Number.isInteger(maxIter) && maxIter > 0)) {
    throw new RangeError(`kmeans: maxIter must be a positive integer, got ${maxIter}`);
  }
  if (!(Number.isInteger(restarts) && restarts > 0)) {
    throw new RangeError(`kmeans: restarts must be a positive integer, got ${restarts}`);
  }
  const random = mulberry32(seed);
  let best: KMeansResult | undefined;
  for (let r = 0; r < restarts; r++) {
    const run = lloyd(points, seedPlusPlus(points, k, random), maxIter);
    if (best === undefined || run.inertia < best.inertia) best = run;
  }
  return best!;
}

function seedPlusPlus(points: readonly (readonly number[])[], k: number, random: () => number): number[][] {
  const n = points.length;
  const centroids: number[][] = [[...points[Math.floor(random() * n)]!]];
  const closest = points.map((p) => squaredDistance(p, centroids[0]!));
  while (centroids.length < k) {
    const total = closest.reduce((s, v) => s + v, 0);
    let pick: number;
    if (total === 0) {
      pick = Math.floor(random() * n); // fewer distinct points than k: any point will do
    } else {
      let u = random() * total;
      pick = n - 1;
      for (let i = 0; i < n; i++) {
        u -= closest[i]!;
        if (u < 0) {
          pick = i;
          break;
        }
      }
    }
    const c = [...points[pick]!];
    centroids.push(c);
    for (let i = 0; i < n; i++) closest[i] = Math.min(closest[i]!, squaredDistance(points[i]!, c));
  }
  return centroids;
}

function lloyd(points: readonly (readonly number[])[], centroids: number[][], maxIter: number): KMeansResult {
  const n = points.length;
  const k = centroids.length;
  const d = points[0]!.length;
  const assignments = new Array<number>(n).fill(-1);
  const distances = new Array<number>(n).fill(0);
  let iterations = 0;
  for (; iterations < maxIter; iterations++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      const c = nearest(centroids, points[i]!);
      distances[i] = squaredDistance(points[i]!, centroids[c]!);
      if (c !== assignments[i]) {
        assignments[i] = c;
        changed = true;
      }
    }
    if (!changed) break;
    const sums = Array.from({ length: k }, () => new Array<number>(d).fill(0));
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i]!;
      counts[c]! += 1;
      const p = points[i]!;
      const s = sums[c]!;
      for (let j = 0; j < d; j++) s[j]! += p[j]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) {
        centroids[c] = sums[c]!.map((v) => v / counts[c]!);
        continue;
      }
      // Empty cluster: take over the worst-served point of a cluster that can spare one.
      let far = -1;
      for (let i = 0; i < n; i++) {
        if (counts[assignments[i]!]! > 1 && (far === -1 || distances[i]! > distances[far]!)) far = i;
      }
      if (far === -1) continue;
      counts[assignments[far]!]! -= 1;
      counts[c] = 1;
      assignments[far] = c;
      distances[far] = 0;
      centroids[c] = [...points[far]!];
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    assignments[i] = nearest(centroids, points[i]!);
    inertia += squaredDistance(points[i]!, centroids[assignments[i]!]!);
  }
  return { centroids, assignments, inertia, iterations };
}

/**
 * Mean silhouette (Rousseeuw 1987): for each point, s = (b - a) / max(a, b) with a the mean distance to
 * the other members of its cluster and b the least mean distance to another cluster's members; 0 for a
 * point alone in its cluster. Euclidean distances, as `sklearn.metrics.silhouette_score`. O(n²).
 *
 * @throws RangeError when lengths differ or fewer than two clusters are present.
 */
export function silhouette(points: readonly (readonly number[])[], assignments: readonly number[]): number {
  assertPoints('silhouette', points);
  const n = points.length;
  if (assignments.length !== n)
    throw new RangeError(`silhouette: ${n} points but ${assignments.length} labels`);
  const labels = [...new Set(assignments)].sort((a, b) => a - b);
  if (labels.length < 2) throw new RangeError('silhouette: needs at least two clusters');
  const index = new Map(labels.map((l, i) => [l, i]));
  const compact = assignments.map((a) => index.get(a)!);
  const sizes = new Array<number>(labels.length).fill(0);
  for (const c of compact) sizes[c]! += 1;
  const sums = new Array<number>(labels.length).fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      if (j !== i) sums[compact[j]!]! += Math.sqrt(squaredDistance(points[i]!, points[j]!));
    }
    const own = compact[i]!;
    if (sizes[own]! === 1) continue;
    const a = sums[own]! / (sizes[own]! - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < labels.length; c++) if (c !== own) b = Math.min(b, sums[c]! / sizes[c]!);
    const m = Math.max(a, b);
    total += m === 0 ? 0 : (b - a) / m;
  }
  return total / n;
}

export interface ChooseKOptions extends KMeansOptions {
  /** Points on which the silhouette is computed, drawn without replacement (default 1000). */
  sampleSize?: number;
}

/**
 * Chooses k in kMin..kMax (kMin >= 2) by the largest mean silhouette of the k-means clustering, computed
 * on a seeded sample of the points (as `silhouette_score(sample_size=...)`) so the cost stays
 * O(sampleSize²) per k. The silhouette is chosen over the elbow of the inertia curve because it has a
 * maximum to find rather than a bend to judge. Ties go to the smaller k.
 *
 * @throws RangeError when the range is empty, kMin < 2 or kMax > points.length.
 */
export function chooseK(
  points: readonly (readonly number[])[],
  kMin: number,
  kMax: number,
  options: ChooseKOptions = {},
): { k: number; scores: { k: number; silhouette: number; inertia: number }[] } {
  const { sampleSize = 1000, ...kmeansOptions } = options;
  assertPoints('chooseK', points);
  if (
    !(Number.isInteger(kMin) && Number.isInteger(kMax) && kMin >= 2 && kMin <= kMax && kMax <= points.length)
  ) {
    throw new RangeError(
      `chooseK: need integers 2 <= kMin <= kMax <= ${points.length}, got ${kMin}..${kMax}`,
    );
  }
  const random = mulberry32((kmeansOptions.seed ?? DEFAULT_SEED) ^ 0x5f3759df);
  const order = Array.from({ length: points.length }, (_, i) => i);
  const m = Math.min(sampleSize, points.length);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (points.length - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sample = order.slice(0, m);
  const samplePoints = sample.map((i) => points[i]!);
  const scores: { k: number; silhouette: number; inertia: number }[] = [];
  let bestK = kMin;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let k = kMin; k <= kMax; k++) {
    const result = kmeans(points, k, kmeansOptions);
    const labels = sample.map((i) => result.assignments[i]!);
    const score = new Set(labels).size < 2 ? 0 : silhouette(samplePoints, labels);
    scores.push({ k, silhouette: score, inertia: result.inertia });
    if (score > bestScore) {
      bestScore = score;
      bestK = k;
    }
  }
  return { k: bestK, scores };
}

/**
 * Stable cluster ids across re-clustering: matches each new centroid to the old one it continues, by the
 * assignment of least total squared distance (Hungarian algorithm, O(k³)). Returns for each new centroid
 * its id: the matched old centroid's id (`previousIds[i]`, default the old index i); new centroids beyond
 * the old count get fresh ids above every old one, in order. Old clusters left unmatched disappear.
 */
export function matchCentroids(
  previous: readonly (readonly number[])[],
  next: readonly (readonly number[])[],
  previousIds: readonly number[] = previous.map((_, i) => i),
): number[] {
  if (previousIds.length !== previous.length) {
    throw new RangeError(`matchCentroids: ${previous.length} centroids but ${previousIds.length} ids`);
  }
  let fresh = previousIds.reduce((m, id) => Math.max(m, id), -1) + 1;
  if (previous.length === 0) return next.map(() => fresh++);
  if (next.length === 0) return [];
  const ids = new Array<number>(next.length).fill(-1);
  if (next.length <= previous.length) {
    const cost = next.map((c) => previous.map((p) => squaredDistance(c, p)));
    hungarian(cost).forEach((old, i) => {
      ids[i] = previousIds[old]!;
    });
  } else {
    const cost = previous.map((p) => next.map((c) => squaredDistance(c, p)));
    hungarian(cost).forEach((nw, old) => {
      ids[nw] = previousIds[old]!;
    });
    for (let i = 0; i < ids.length; i++) if (ids[i] === -1) ids[i] = fresh++;
  }
  return ids;
}

/**
 * Minimum-cost assignment for an r x c cost matrix with r <= c: for each row, its column. The
 * shortest-augmenting-path form of the Hungarian algorithm with row and column potentials (Kuhn 1955,
 * Munkres 1957; as in Jonker & Volgenant), O(r² c).
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const r = cost.length;
  if (r === 0) return [];
  const c = cost[0]!.length;
  if (c < r) throw new RangeError(`hungarian: needs rows <= columns, got ${r} x ${c}`);
  // 1-based arrays, index 0 a virtual column/row.
  const u = new Array<number>(r + 1).fill(0);
  const v = new Array<number>(c + 1).fill(0);
  const rowOf = new Array<number>(c + 1).fill(0);
  const way = new Array<number>(c + 1).fill(0);
  for (let i = 1; i <= r; i++) {
    rowOf[0] = i;
    let j0 = 0;
    const minv = new Array<number>(c + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Array<boolean>(c + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = rowOf[j0]!;
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= c; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= c; j++) {
        if (used[j]) {
          u[rowOf[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    do {
      const j1 = way[j0]!;
      rowOf[j0] = rowOf[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const result = new Array<number>(r).fill(-1);
  for (let j = 1; j <= c; j++) if (rowOf[j]! > 0) result[rowOf[j]! - 1] = j - 1;
  return result;
}

export interface ClusterTrait {
  feature: string;
  clusterMean: number;
  overallMean: number;
  /** (clusterMean - overallMean) / overall standard deviation. */
  z: number;
}

export interface ClusterDescription {
  cluster: number;
  size: number;
  share: number;
  /** Features ordered by |z|, largest first, at most `top`. */
  traits: ClusterTrait[];
}

/**
 * What sets each cluster apart: per cluster its size and the features whose cluster mean lies farthest
 * from the overall mean, in overall standard deviations. Means are taken from `points` (pass raw values to
 * show them in their own units); `centroids` only fixes the number of clusters, so an empty one is listed
 * with size 0 and no traits.
 */
export function describeClusters(
  points: readonly (readonly number[])[],
  assignments: readonly number[],
  centroids: readonly (readonly number[])[],
  featureNames: readonly string[],
  top = 3,
): ClusterDescription[] {
  const d = assertPoints('describeClusters', points);
  const n = points.length;
  if (assignments.length !== n) {
    throw new RangeError(`describeClusters: ${n} points but ${assignments.length} assignments`);
  }
  if (featureNames.length !== d)
    throw new RangeError(`describeClusters: ${featureNames.length} names for ${d} features`);
  const k = centroids.length;
  const overall = new Array<number>(d).fill(0);
  const sums = Array.from({ length: k }, () => new Array<number>(d).fill(0));
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const c = assignments[i]!;
    if (!(Number.isInteger(c) && c >= 0 && c < k))
      throw new RangeError(`describeClusters: assignment ${i} is ${c}`);
    sizes[c]! += 1;
    for (let j = 0; j < d; j++) {
      overall[j]! += points[i]![j]!;
      sums[c]![j]! += points[i]![j]!;
    }
  }
  for (let j = 0; j < d; j++) overall[j]! /= n;
  const sd = new Array<number>(d).fill(0);
  for (const p of points) for (let j = 0; j < d; j++) sd[j]! += (p[j]! - overall[j]!) ** 2;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]! / n);
  return sizes.map((size, cluster) => {
    const traits =
      size === 0
        ? []
        : featureNames
            .map((feature, j) => {
              const clusterMean = sums[cluster]![j]! / size;
              const z = sd[j]! > 0 ? (clusterMean - overall[j]!) / sd[j]! : 0;
              return { feature, clusterMean, overallMean: overall[j]!, z };
            })
            .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
            .slice(0, top);
    return { cluster, size, share: size / n, traits };
  });
}

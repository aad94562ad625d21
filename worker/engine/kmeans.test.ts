/**
 * @module kmeans.test
 * Clustering against known answers: Gaussian blobs with hidden centres, a numpy silhouette, the Hungarian
 * assignment against brute force over all permutations, and determinism for a seed.
 */

import { describe, expect, it } from 'vitest';
import { mulberry32, sampleNormal } from './bandit.ts';
import {
  chooseK,
  describeClusters,
  hungarian,
  kmeans,
  matchCentroids,
  nearest,
  scaleRow,
  silhouette,
  standardize,
} from './kmeans.ts';

const CENTERS = [
  [0, 0, 0],
  [6, 0, 0],
  [0, 6, 0],
  [3, 3, 6],
];
const PER_BLOB = 500;

function blobs(seed: number, centers: number[][] = CENTERS): { points: number[][]; truth: number[] } {
  const random = mulberry32(seed);
  const points: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < PER_BLOB; i++) {
    for (const [c, center] of centers.entries()) {
      points.push(center.map((m) => m + sampleNormal(random)));
      truth.push(c);
    }
  }
  return { points, truth };
}

describe('kmeans on Gaussian blobs with known centres', () => {
  const { points, truth } = blobs(11);
  const result = kmeans(points, 4, { seed: 3 });

  it('recovers the centres within 4.5 standard errors and assigns >= 99 % correctly', () => {
    // Match each found centroid to a true centre, then compare: the mean of 500 unit-variance points has
    // standard error 1/sqrt(500) ≈ 0.045 per coordinate.
    const ids = matchCentroids(CENTERS, result.centroids);
    expect(new Set(ids).size).toBe(4);
    for (const [c, centroid] of result.centroids.entries()) {
      const center = CENTERS[ids[c]!]!;
      for (const [j, v] of centroid.entries()) expect(Math.abs(v - center[j]!)).toBeLessThan(0.2);
    }
    // Two centres 6 apart misclassify a point with probability Φ(-3) ≈ 0.13 %.
    const correct = result.assignments.filter((a, i) => ids[a] === truth[i]).length;
    expect(correct / points.length).toBeGreaterThanOrEqual(0.99);
  });

  it('is deterministic for a seed, and the inertia is what the assignments say', () => {
    expect(kmeans(points, 4, { seed: 3 })).toEqual(result);
    let inertia = 0;
    for (const [i, p] of points.entries()) {
      const c = result.centroids[result.assignments[i]!]!;
      inertia += p.reduce((s, v, j) => s + (v - c[j]!) ** 2, 0);
    }
    expect(Math.abs(inertia - result.inertia)).toBeLessThan(1e-9 * inertia);
    // 3 dimensions of unit variance per point: about 3 · 2000 = 6000.
    expect(result.inertia / points.length).toBeGreaterThan(2.8);
    expect(result.inertia / points.length).toBeLessThan(3.2);
  });

  it('nearest agrees with the assignments', () => {
    for (const [i, p] of points.entries()) {
      expect(nearest(result.centroids, p)).toBe(result.assignments[i]);
    }
  });

  it('chooseK finds the true k by silhouette', () => {
    const { k, scores } = chooseK(points, 2, 7, { seed: 5, sampleSize: 600 });
    expect(k).toBe(4);
    expect(scores.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describe('kmeans edge cases', () => {
  it('k equal to the number of points, duplicates and k = 1', () => {
    const pts = [
      [1, 1],
      [1, 1],
      [5, 5],
    ];
    const r = kmeans(pts, 3, { seed: 1 });
    expect(r.inertia).toBe(0);
    expect(Number.isFinite(r.inertia)).toBe(true);
    const one = kmeans(pts, 1);
    expect(one.centroids[0]).toEqual([7 / 3, 7 / 3]);
  });

  it('rejects malformed input', () => {
    expect(() => kmeans([], 1)).toThrow(RangeError);
    expect(() => kmeans([[1], [2]], 3)).toThrow(/k must be/);
    expect(() => kmeans([[1], [1, 2]], 1)).toThrow(/point 1/);
    expect(() => kmeans([[Number.NaN]], 1)).toThrow(/not finite/);
    expect(() => chooseK([[1], [2], [3]], 1, 2)).toThrow(RangeError);
  });
});

describe('standardize', () => {
  it('gives columns of mean 0 and sd 1, scale 1 for a constant column', () => {
    const { points, means, scales } = standardize([
      [1, 10, 3],
      [2, 20, 3],
      [3, 60, 3],
    ]);
    // python3: np.array([[1,10,3],[2,20,3],[3,60,3]]).std(0)  # [0.816496580927726, 21.602468994692867, 0.]
    expect(means).toEqual([2, 30, 3]);
    expect(Math.abs(scales[0]! - 0.816496580927726)).toBeLessThan(1e-14);
    expect(Math.abs(scales[1]! - 21.602468994692867)).toBeLessThan(1e-12);
    expect(scales[2]).toBe(1);
    expect(points[2]![2]).toBe(0);
    expect(scaleRow([3, 60, 3], { means, scales })).toEqual(points[2]);
  });
});

describe('silhouette', () => {
  it('matches a numpy computation', () => {
    // python3:
    //   P = np.array([[0,0],[0.5,0.2],[1,0.1],[4,4],[4.2,3.5],[3.8,4.4],[0.2,4],[9,9]])
    //   lab = np.array([0,0,0,1,1,1,2,2]); D = np.sqrt(((P[:,None,:]-P[None,:,:])**2).sum(-1))
    //   s_i = (b - a) / max(a, b), a = D[i, own].sum()/(|own|-1), b = min over other clusters of D[i, c].mean()
    //   np.mean(s)   # 0.5381926458587228
    const P = [
      [0, 0],
      [0.5, 0.2],
      [1, 0.1],
      [4, 4],
      [4.2, 3.5],
      [3.8, 4.4],
      [0.2, 4],
      [9, 9],
    ];
    expect(Math.abs(silhouette(P, [0, 0, 0, 1, 1, 1, 2, 2]) - 0.5381926458587228)).toBeLessThan(1e-14);
    expect(() => silhouette(P, [0, 0, 0, 0, 0, 0, 0, 0])).toThrow(RangeError);
  });
});

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

describe('hungarian and matchCentroids', () => {
  it('finds the minimum-cost assignment found by brute force', () => {
    const random = mulberry32(99);
    for (let trial = 0; trial < 30; trial++) {
      const rows = 1 + (trial % 6);
      const cols = rows + (trial % 3);
      const cost = Array.from({ length: rows }, () =>
        Array.from({ length: cols }, () => Math.floor(random() * 20)),
      );
      const assignment = hungarian(cost);
      expect(new Set(assignment).size).toBe(rows);
      const total = assignment.reduce((s, c, r) => s + cost[r]![c]!, 0);
      // Brute force: every injective map rows -> cols, via permutations of the columns.
      let best = Number.POSITIVE_INFINITY;
      for (const perm of permutations(cols)) {
        best = Math.min(
          best,
          cost.reduce((s, row, r) => s + row[perm[r]!]!, 0),
        );
      }
      expect(total).toBe(best);
    }
  });

  it('recovers a permutation of moved centroids, where greedy matching would not', () => {
    const previous = [
      [0, 0],
      [10, 0],
      [0, 10],
      [10, 10],
      [5, 5],
    ];
    const order = [3, 0, 4, 1, 2];
    const next = order.map((i) => previous[i]!.map((v) => v + 0.7));
    expect(matchCentroids(previous, next)).toEqual(order);
    // Greedy (closest pair first) would pair new 1.9 with old 3 (1.21) and then 5 with 0 (25): total 26.21.
    // The optimum keeps 1.9 -> 0 (3.61) and 5 -> 3 (4): total 7.61.
    expect(matchCentroids([[0], [3]], [[1.9], [5]])).toEqual([0, 1]);
  });

  it('gives fresh ids to extra clusters and keeps stored ids', () => {
    const previous = [
      [0, 0],
      [10, 10],
    ];
    const next = [
      [10, 9],
      [50, 50],
      [0, 1],
    ];
    expect(matchCentroids(previous, next, [4, 7])).toEqual([7, 8, 4]);
    expect(matchCentroids(next, previous, [7, 8, 4])).toEqual([4, 7]);
    expect(matchCentroids([], [[1], [2]])).toEqual([0, 1]);
  });
});

describe('describeClusters', () => {
  it('names the features that set a cluster apart, in standard deviations', () => {
    const points = [
      [1, 100, 0],
      [1, 102, 0],
      [9, 101, 1],
      [9, 101, 1],
    ];
    const d = describeClusters(points, [0, 0, 1, 1], [[], [], []], ['visits', 'scroll', 'mobile'], 2);
    // visits: mean 5, sd 4, cluster 0 mean 1 → z = -1; mobile: mean 0.5, sd 0.5 → z = -1; scroll: 0.
    expect(d[0]!.size).toBe(2);
    expect(d[0]!.share).toBe(0.5);
    expect(d[0]!.traits.map((t) => [t.feature, t.z])).toEqual([
      ['visits', -1],
      ['mobile', -1],
    ]);
    expect(d[1]!.traits[0]!.z).toBe(1);
    expect(d[2]).toEqual({ cluster: 2, size: 0, share: 0, traits: [] });
  });
});

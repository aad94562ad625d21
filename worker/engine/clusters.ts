/**
 * @module clusters
 * Discovered segments: k-means (k-means++ start, seeded) over the standardized behaviour of recent
 * visitors at their session starts (the propensity training rows, without time of day), k set in the
 * document or chosen by the silhouette, and ids kept stable across re-clustering by matching the new
 * centroids to the old ones (Hungarian assignment). The page path gives each visitor their nearest
 * cluster as the attribute `cluster` ("c0", "c1", ...).
 */
import {
  type ClusterTrait,
  chooseK,
  describeClusters,
  kmeans,
  matchCentroids,
  nearest,
  scaleRow,
  standardize,
} from './kmeans.ts';
import { FEATURE_NAMES } from './propensity.ts';

/** The behaviour features clusters are made of: every propensity feature but the time of day. */
export const CLUSTER_FEATURES = FEATURE_NAMES.map((name, index) => ({ name, index })).filter(
  (f) => !f.name.startsWith('hour'),
);

export const clusterVector = (features: readonly number[]): number[] =>
  CLUSTER_FEATURES.map((f) => features[f.index] ?? 0);

export interface ClusterRecord {
  trainedAt: number;
  k: number;
  /** the stable id of each centroid */
  ids: number[];
  /** centroids in standardized units */
  centroids: number[][];
  means: number[];
  scales: number[];
  /** how k was chosen, and the silhouette of each k tried */
  chosenBy: 'document' | 'silhouette';
  scores?: { k: number; silhouette: number }[];
  clusters: { id: number; size: number; share: number; conversionRate: number; traits: ClusterTrait[] }[];
  rows: number;
}

export function parseClusterRecord(value: unknown): ClusterRecord | null {
  if (!value || typeof value !== 'object') return null;
  const r = value as Partial<ClusterRecord>;
  const d = CLUSTER_FEATURES.length;
  const ok =
    Array.isArray(r.centroids) &&
    Array.isArray(r.ids) &&
    r.ids.length === r.centroids.length &&
    r.centroids.every((c) => Array.isArray(c) && c.length === d && c.every((x) => Number.isFinite(x))) &&
    Array.isArray(r.means) &&
    r.means.length === d &&
    Array.isArray(r.scales) &&
    r.scales.length === d;
  return ok ? (r as ClusterRecord) : null;
}

/** The visitor's cluster ("c<id>") from their attributes' features. */
export function clusterOf(record: ClusterRecord, features: readonly number[]): string {
  const i = nearest(record.centroids, scaleRow(clusterVector(features), record));
  return `c${record.ids[i] ?? i}`;
}

export const MIN_CLUSTER_ROWS = 100;

/**
 * Clusters the rows (features of session starts, with whether the visitor converted), keeping the
 * previous record's ids where the clusters continue.
 */
export function clusterVisitors(
  rows: readonly { features: readonly number[]; label: 0 | 1 }[],
  now: number,
  previous: ClusterRecord | null,
  options: { k?: number; seed?: number } = {},
): ClusterRecord | null {
  if (rows.length < MIN_CLUSTER_ROWS) return null;
  const raw = rows.map((r) => clusterVector(r.features));
  const { points, means, scales } = standardize(raw);
  const seed = options.seed ?? 7;
  let k = options.k;
  let scores: { k: number; silhouette: number }[] | undefined;
  if (k === undefined) {
    const chosen = chooseK(points, 2, 6, { seed, sampleSize: 600, restarts: 2 });
    k = chosen.k;
    scores = chosen.scores.map((s) => ({ k: s.k, silhouette: s.silhouette }));
  }
  const result = kmeans(points, k, { seed, restarts: 3 });
  // stable ids: match the new centroids to the previous ones, both in this run's units
  let ids = result.centroids.map((_, i) => i);
  if (previous?.centroids.length) {
    const previousHere = previous.centroids.map((c) =>
      scaleRow(
        c.map((v, j) => v * (previous.scales[j] ?? 1) + (previous.means[j] ?? 0)),
        { means, scales },
      ),
    );
    ids = matchCentroids(previousHere, result.centroids, previous.ids);
  }
  const described = describeClusters(
    raw,
    result.assignments,
    result.centroids,
    CLUSTER_FEATURES.map((f) => f.name),
  );
  const positives = new Array<number>(k).fill(0);
  result.assignments.forEach((a, i) => {
    positives[a] = (positives[a] ?? 0) + (rows[i]?.label ?? 0);
  });
  return {
    trainedAt: now,
    k,
    ids,
    centroids: result.centroids,
    means,
    scales,
    chosenBy: options.k === undefined ? 'silhouette' : 'document',
    scores,
    clusters: described.map((c) => ({
      id: ids[c.cluster] ?? c.cluster,
      size: c.size,
      share: c.share,
      conversionRate: c.size ? (positives[c.cluster] ?? 0) / c.size : 0,
      traits: c.traits,
    })),
    rows: rows.length,
  };
}

/**
 * Discovered segments on data with a known answer: visitors drawn from three behaviour groups are
 * found as three clusters, each visitor gets their group's cluster, and re-clustering new visitors of
 * the same groups keeps every group's id.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './bandit.ts';
import { clusterOf, clusterVisitors } from './clusters.ts';
import { FEATURE_NAMES } from './propensity.ts';

function visitor(group: number, rand: () => number): number[] {
  const f = new Array<number>(FEATURE_NAMES.length).fill(0);
  const jitter = () => (rand() - 0.5) * 0.6;
  // 0: one-visit browsers, 1: loyal readers, 2: mobile deal hunters from campaigns
  f[0] = [1, 12, 3][group]! + jitter();
  f[2] = [2, 60, 8][group]! + jitter() * 4;
  f[3] = [0.5, 12, 2][group]! + jitter();
  f[5] = group === 2 ? 1 : 0;
  f[7] = group === 2 ? 1 : 0;
  return f;
}

describe('clusterVisitors', () => {
  it('finds the groups, assigns each visitor their own, and keeps ids stable across runs', () => {
    const rand = mulberry32(3);
    const rows = Array.from({ length: 600 }, (_, i) => ({
      features: visitor(i % 3, rand),
      label: (i % 3 === 1 ? 1 : 0) as 0 | 1,
    }));
    const first = clusterVisitors(rows, 1, null, { seed: 1 });
    expect(first?.k).toBe(3);
    const idOf = (group: number, r: NonNullable<typeof first>) => clusterOf(r, visitor(group, rand));
    const ids = [0, 1, 2].map((g) => idOf(g, first!));
    expect(new Set(ids).size).toBe(3);
    // the loyal readers' cluster converts, the others do not
    const loyal = first?.clusters.find((c) => `c${c.id}` === ids[1]);
    expect(loyal?.conversionRate).toBe(1);
    // new visitors of the same groups, in another order: every group keeps its id
    const rand2 = mulberry32(9);
    const later = Array.from({ length: 600 }, (_, i) => ({
      features: visitor((i + 1) % 3, rand2),
      label: 0 as 0 | 1,
    }));
    const second = clusterVisitors(later, 2, first, { seed: 5 });
    expect([0, 1, 2].map((g) => idOf(g, second!))).toEqual(ids);
  });

  it('needs enough visitors', () => {
    expect(clusterVisitors([], 1, null)).toBeNull();
  });
});

/**
 * @module contextual
 * Traffic allocation per context (segment, device, ...) for conversion campaigns whose best variant may
 * differ by context. Each context gets its own Thompson-sampling shares, but its posterior starts from an
 * empirical-Bayes prior fitted across all contexts, so a small or new context starts from what the others
 * learned instead of from nothing, while a large context is dominated by its own data. Pure and seedable.
 */

import { DEFAULT_SEED, enforceMinShare, mulberry32, sampleBeta, toGrid } from './bandit.ts';
import type { Counts } from './stats.ts';

export interface ContextualOptions {
  /** Least traffic share every arm keeps in every context (default 0.05; at most 1 / arms). */
  minShare?: number;
  /** Thompson draws per context; a share's Monte-Carlo standard error is about sqrt(share / draws) (default 10000). */
  draws?: number;
  /**
   * Upper bound of the fitted prior's strength α + β, in visitors (default 200). A context with many more
   * visitors than this is ruled by its own data; one with few is ruled by the pooled prior.
   */
  maxPriorStrength?: number;
  /**
   * Scale of the posterior spread used for sampling, in [0, 1] (default 0.5): each draw is
   * mean + exploration · (sample − mean). 1 is plain Thompson sampling, 0 is greedy on the posterior mean.
   * Below 1 because the minimum share already buys exploration: every arm keeps `minShare` of its context,
   * so the sampler's own exploration is partly paid twice.
   */
  exploration?: number;
  /** Uniform [0, 1) source; defaults to `mulberry32(seed)`. */
  random?: () => number;
  /** Seed of the default generator when `random` is not given (default {@link DEFAULT_SEED}). */
  seed?: number;
}

/** A Beta(alpha, beta) prior of one arm's conversion rate in a context drawn at random. */
export interface BetaPrior {
  alpha: number;
  beta: number;
}

/** Strength below which a fitted prior is not allowed to fall (it would let a single visitor dominate). */
const MIN_PRIOR_STRENGTH = 1;

/**
 * The empirical-Bayes prior of each arm: Beta(α_a, β_a) with mean the arm's pooled rate and strength
 * s_a = α_a + β_a = m(1 − m)/τ² − 1, the method-of-moments fit of a beta distribution to the arm's rates
 * across contexts. τ² is the between-context variance of the rates, estimated as (DerSimonian & Laird 1986)
 * max(0, (Q − (k − 1)·m(1 − m)) / (N − Σ n_c² / N)) with Q = Σ n_c (p̂_c − m)², k the contexts with data.
 * The strength is clamped to [1, min(`maxPriorStrength`, N + 2)]: the prior never claims more visitors than
 * it was fitted from. An arm with no visitors anywhere gets Beta(1, 1); with one context only, the strength
 * is its upper bound (heterogeneity cannot be measured from one context).
 *
 * Counts may be fractional (e.g. discounted with {@link discountCounts}).
 *
 * @throws RangeError on invalid counts or options (see {@link contextualWeights}).
 */
export function contextualPrior(
  stats: readonly (readonly Counts[])[],
  options: ContextualOptions = {},
): BetaPrior[] {
  const arms = validateStats(stats);
  const maxStrength = options.maxPriorStrength ?? 200;
  if (!(maxStrength >= MIN_PRIOR_STRENGTH && Number.isFinite(maxStrength))) {
    throw new RangeError(
      `contextualWeights: maxPriorStrength must be a finite number >= ${MIN_PRIOR_STRENGTH}, got ${maxStrength}`,
    );
  }
  return Array.from({ length: arms }, (_, a) => {
    const column = stats.map((row) => row[a] as Counts).filter((c) => c.n > 0);
    const visitors = column.reduce((s, c) => s + c.n, 0);
    if (visitors === 0) return { alpha: 1, beta: 1 };
    const converters = column.reduce((s, c) => s + c.x, 0);
    const pooled = converters / visitors;
    // half a visitor either way keeps the mean inside (0, 1) when no one (or everyone) converted
    const mean = (converters + 0.5) / (visitors + 1);
    const upper = Math.min(maxStrength, visitors + 2);
    let strength = upper;
    if (column.length >= 2) {
      const q = column.reduce((s, c) => s + c.n * (c.x / c.n - pooled) ** 2, 0);
      const spread = visitors - column.reduce((s, c) => s + c.n * c.n, 0) / visitors;
      const tau2 = Math.max(0, (q - (column.length - 1) * pooled * (1 - pooled)) / spread);
      if (tau2 > 0) strength = (mean * (1 - mean)) / tau2 - 1;
    }
    strength = Math.min(upper, Math.max(MIN_PRIOR_STRENGTH, strength));
    return { alpha: mean * strength, beta: (1 - mean) * strength };
  });
}

/**
 * Traffic shares for the next period in every context. In context c, arm a's posterior is
 * Beta(α_a + x_ca, β_a + n_ca − x_ca) with the prior of {@link contextualPrior}; its share is the fraction
 * of `draws` in which its (tempered, see `exploration`) posterior sample is the largest. Every arm is then
 * lifted to at least `minShare` and the row rounded to multiples of 2^-40 summing to exactly 1, as
 * `banditWeights` does.
 *
 * To follow a winner that changes over time, pass discounted counts ({@link discountCounts}) rather than
 * totals: the function itself sees no time.
 *
 * @param stats `stats[c][a]` = visitors `n` and converters `x` of arm `a` in context `c` (every row the same
 *   length; counts may be fractional, 0 <= x <= n).
 * @throws RangeError on ragged or empty rows, invalid counts, `minShare` outside [0, 1 / arms], `draws` not
 *   a positive integer, `exploration` outside [0, 1] or `maxPriorStrength` below 1.
 * @example contextualWeights([[{ n: 900, x: 90 }, { n: 900, x: 45 }], [{ n: 900, x: 40 }, { n: 900, x: 80 }]])
 *   // ≈ [[0.95, 0.05], [0.05, 0.95]]
 */
export function contextualWeights(
  stats: readonly (readonly Counts[])[],
  options: ContextualOptions = {},
): number[][] {
  const prior = contextualPrior(stats, options);
  const arms = prior.length;
  const { minShare = 0.05, draws = 10_000, exploration = 0.5 } = options;
  if (!(minShare >= 0 && minShare * arms <= 1 + 1e-12)) {
    throw new RangeError(`contextualWeights: minShare must be in [0, 1/${arms}], got ${minShare}`);
  }
  if (!(Number.isInteger(draws) && draws > 0)) {
    throw new RangeError(`contextualWeights: draws must be a positive integer, got ${draws}`);
  }
  if (!(exploration >= 0 && exploration <= 1)) {
    throw new RangeError(`contextualWeights: exploration must be in [0, 1], got ${exploration}`);
  }
  const random = options.random ?? mulberry32(options.seed ?? DEFAULT_SEED);
  if (arms === 1) return stats.map(() => [1]);

  return stats.map((row) => {
    const a = row.map((c, i) => (prior[i] as BetaPrior).alpha + c.x);
    const b = row.map((c, i) => (prior[i] as BetaPrior).beta + c.n - c.x);
    const means = a.map((ai, i) => ai / (ai + (b[i] as number)));
    const wins = new Array<number>(arms).fill(0);
    for (let draw = 0; draw < draws; draw++) {
      let best = 0;
      let bestSample = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < arms; i++) {
        const mean = means[i] as number;
        const sample = mean + exploration * (sampleBeta(a[i] as number, b[i] as number, random) - mean);
        if (sample > bestSample) {
          best = i;
          bestSample = sample;
        }
      }
      wins[best] = (wins[best] as number) + 1;
    }
    return toGrid(
      enforceMinShare(
        wins.map((w) => w / draws),
        minShare,
      ),
      minShare,
    );
  });
}

/**
 * The shares for a context with no data of its own (an unknown or too rare context): Thompson sampling
 * from the pooled prior alone. Same options and randomness as {@link contextualWeights}.
 */
export function pooledWeights(
  stats: readonly (readonly Counts[])[],
  options: ContextualOptions = {},
): number[] {
  const arms = validateStats(stats);
  const empty = Array.from({ length: arms }, () => ({ n: 0, x: 0 }));
  const rows = contextualWeights([...stats, empty], options);
  return rows[rows.length - 1] as number[];
}

/**
 * Folds one period's counts into running discounted counts: running · discount + period. With discount
 * γ < 1 a visitor seen k periods ago weighs γ^k, so the memory is about 1 / (1 − γ) periods and a winner
 * that changes is followed; γ = 1 keeps plain totals. `running` may have fewer rows than `period` (new
 * contexts start at zero).
 *
 * @throws RangeError when `discount` is outside [0, 1] or the shapes disagree.
 */
export function discountCounts(
  running: readonly (readonly Counts[])[],
  period: readonly (readonly Counts[])[],
  discount: number,
): Counts[][] {
  if (!(discount >= 0 && discount <= 1)) {
    throw new RangeError(`discountCounts: discount must be in [0, 1], got ${discount}`);
  }
  if (running.length > period.length) {
    throw new RangeError(
      `discountCounts: running has ${running.length} contexts, the period only ${period.length}`,
    );
  }
  return period.map((row, c) => {
    const old = running[c];
    if (old !== undefined && old.length !== row.length) {
      throw new RangeError(
        `discountCounts: context ${c} has ${old.length} arms running, ${row.length} in the period`,
      );
    }
    return row.map((cur, a) => {
      const prev = old?.[a] ?? { n: 0, x: 0 };
      return { n: prev.n * discount + cur.n, x: prev.x * discount + cur.x };
    });
  });
}

/** Checks the shape and the counts; returns the number of arms. */
function validateStats(stats: readonly (readonly Counts[])[]): number {
  if (stats.length === 0) {
    throw new RangeError('contextualWeights: stats needs at least one context');
  }
  const arms = stats[0]?.length ?? 0;
  if (arms === 0) throw new RangeError('contextualWeights: every context needs at least one arm');
  stats.forEach((row, c) => {
    if (row.length !== arms) {
      throw new RangeError(`contextualWeights: context ${c} has ${row.length} arms, context 0 has ${arms}`);
    }
    row.forEach((cell, a) => {
      if (!(Number.isFinite(cell.n) && Number.isFinite(cell.x) && cell.x >= 0 && cell.x <= cell.n)) {
        throw new RangeError(
          `contextualWeights: context ${c} arm ${a} needs finite counts with 0 <= x <= n, got n=${cell.n}, x=${cell.x}`,
        );
      }
    });
  });
  return arms;
}

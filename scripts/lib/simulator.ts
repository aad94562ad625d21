/**
 * @module simulator
 * The decision-quality simulator behind `npm run simulate`: populations split into contexts with hidden
 * conversion rates whose best variant differs by context, periods of 1,000-2,000 new visitors, and
 * policies that see only the aggregate counts per (context, arm) after each period. It reports the share of
 * the oracle's lift over a uniform split that each policy captures. Pure and seeded: the same options give
 * the same figures.
 *
 * Every policy of a seed meets the same visitors (common random numbers): the contexts of each period's
 * visitors come from one stream, the policy's assignments and conversions from another. Conversion of a
 * policy is its expected conversion given its shares, Σ_period Σ_c visitors_c · Σ_a share_ca · rate_ca, which
 * removes the Bernoulli noise of the outcome from the comparison (the counts the policies learn from are
 * drawn, not expected).
 */

import {
  banditWeights,
  type Counts,
  contextualWeights,
  discountCounts,
  mulberry32,
} from '../../worker/engine/index.ts';

export interface Scenario {
  name: string;
  description: string;
  /** Share of the traffic of each context. */
  weights: number[];
  /** rates[c][a]: true conversion rate of arm a in context c. */
  rates: number[][];
  periods: number;
  /** From period `change.at` on (0-based), the rates are `change.rates`. */
  change?: { at: number; rates: number[][] };
}

export type PolicyName = 'uniform' | 'pooled' | 'per-context' | 'contextual';
export const POLICIES: readonly PolicyName[] = ['uniform', 'pooled', 'per-context', 'contextual'];

export interface SimulationOptions {
  scenarios?: readonly Scenario[];
  /** Replications per scenario (default 5); seed s uses streams derived from s. */
  seeds?: number;
  /** Thompson draws per allocation, for every Thompson policy (default 2000). */
  draws?: number;
  /** Minimum share per arm of every Thompson policy (default 0.05). */
  minShare?: number;
  /** Discount per period of the contextual policy's counts (default 0.98; 1 = plain totals). */
  discount?: number;
  /** The contextual policy's `exploration` (default: contextualWeights' default). */
  exploration?: number;
  /** The contextual policy's `maxPriorStrength` (default: contextualWeights' default). */
  maxPriorStrength?: number;
  /** Divides every scenario's periods (for quick runs; default 1). */
  shorten?: number;
}

export interface PolicyFigures {
  /** Mean over seeds of (conv(policy) − conv(uniform)) / (conv(oracle) − conv(uniform)). */
  captured: number;
  /** Standard error of that mean across seeds. */
  se: number;
  /** Mean expected conversion rate of the policy over the run. */
  conversion: number;
}

export interface ScenarioResult {
  name: string;
  description: string;
  contexts: number;
  arms: number;
  periods: number;
  visitors: number;
  oracleConversion: number;
  uniformConversion: number;
  /** What an oracle held to the minimum share captures: the most any policy with that floor can. */
  ceiling: number;
  policies: Record<PolicyName, PolicyFigures>;
}

const VISITORS_MIN = 1000;
const VISITORS_MAX = 2000;

/** Zipf-like weights 1 / (k + 1)^s, normalized. */
function zipf(count: number, s: number): number[] {
  const raw = Array.from({ length: count }, (_, k) => 1 / (k + 1) ** s);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/**
 * "Many contexts, some tiny": 20 contexts of three kinds (each kind with its own best arm among four),
 * baselines that differ by context, traffic shares from 18 % down to under 1 %.
 */
function manyContexts(): Scenario {
  const kinds = [
    [1, 1.35, 0.9, 1],
    [1.3, 1, 1, 0.85],
    [0.9, 1, 1, 1.4],
  ];
  const rates = Array.from({ length: 20 }, (_, c) => {
    const base = 0.03 + 0.004 * ((c * 7) % 10);
    return (kinds[c % 3] as number[]).map((m) => Math.round(base * m * 10_000) / 10_000);
  });
  return {
    name: 'many-contexts',
    description: '20 contexts (Zipf traffic, the smallest under 1 %), 4 arms, 3 kinds of context',
    weights: zipf(20, 1.1),
    rates,
    periods: 40,
  };
}

const CLEAR_RATES = [
  [0.05, 0.075, 0.045],
  [0.07, 0.045, 0.05],
  [0.03, 0.032, 0.05],
  [0.09, 0.06, 0.065],
];

/** The scenarios of `npm run simulate`. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'clear',
    description: '4 contexts, 3 arms, the best arm 40-65 % above the others, 30 periods',
    weights: [0.4, 0.3, 0.2, 0.1],
    rates: CLEAR_RATES,
    periods: 30,
  },
  {
    name: 'small-long',
    description: '4 contexts, 3 arms, the best arm 10-12 % above the others, 150 periods',
    weights: [0.4, 0.3, 0.2, 0.1],
    rates: [
      [0.05, 0.056, 0.05],
      [0.06, 0.054, 0.054],
      [0.04, 0.04, 0.045],
      [0.07, 0.063, 0.063],
    ],
    periods: 150,
  },
  {
    name: 'winner-changes',
    description: "the clear scenario for 30 periods, then every context's best arm changes, 30 more",
    weights: [0.4, 0.3, 0.2, 0.1],
    rates: CLEAR_RATES,
    periods: 60,
    change: { at: 30, rates: CLEAR_RATES.map(([a, b, c]) => [c, a, b] as number[]) },
  },
  manyContexts(),
];

/** Draws an index from cumulative weights (last index absorbs rounding). */
function pick(cumulative: readonly number[], u: number): number {
  for (let i = 0; i < cumulative.length - 1; i++) if (u < (cumulative[i] as number)) return i;
  return cumulative.length - 1;
}

function cumulate(weights: readonly number[]): number[] {
  let total = 0;
  return weights.map((w) => {
    total += w;
    return total;
  });
}

/** Mixes two integers into a 32-bit seed (so streams of different seeds, periods and roles differ). */
function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

interface Run {
  /** Expected converters of each policy and of the oracle, uniform and floor-bound oracle. */
  expected: Record<PolicyName | 'oracle' | 'ceiling', number>;
  visitors: number;
}

function runOnce(
  scenario: Scenario,
  seed: number,
  options: Required<Omit<SimulationOptions, 'scenarios' | 'seeds' | 'shorten'>>,
  periods: number,
): Run {
  const contexts = scenario.weights.length;
  const arms = (scenario.rates[0] as number[]).length;
  const contextCdf = cumulate(scenario.weights);
  const arrivals = mulberry32(mix(seed, 1));
  const expected: Run['expected'] = {
    uniform: 0,
    pooled: 0,
    'per-context': 0,
    contextual: 0,
    oracle: 0,
    ceiling: 0,
  };
  const zero = () =>
    Array.from({ length: contexts }, () => Array.from({ length: arms }, () => ({ n: 0, x: 0 })));
  const totals: Record<PolicyName, Counts[][]> = {
    uniform: zero(),
    pooled: zero(),
    'per-context': zero(),
    contextual: zero(),
  };
  let discounted: Counts[][] = zero();
  const outcomes = Object.fromEntries(POLICIES.map((p, i) => [p, mulberry32(mix(seed, 2, i))])) as Record<
    PolicyName,
    () => number
  >;
  let visitors = 0;

  for (let period = 0; period < periods; period++) {
    const rates = scenario.change && period >= scenario.change.at ? scenario.change.rates : scenario.rates;
    const size = VISITORS_MIN + Math.floor(arrivals() * (VISITORS_MAX - VISITORS_MIN + 1));
    const perContext = new Array<number>(contexts).fill(0);
    const stream = Array.from({ length: size }, () => pick(contextCdf, arrivals()));
    for (const c of stream) perContext[c] = (perContext[c] as number) + 1;
    visitors += size;

    rates.forEach((row, c) => {
      const n = perContext[c] as number;
      const best = Math.max(...row);
      const mean = row.reduce((a, b) => a + b, 0) / arms;
      expected.oracle += n * best;
      expected.ceiling +=
        n * ((1 - (arms - 1) * options.minShare) * best + options.minShare * (mean * arms - best));
    });

    const tsOptions = { draws: options.draws, minShare: options.minShare };
    for (const [p, policy] of POLICIES.entries()) {
      const counts = totals[policy];
      const seedOf = mix(seed, 3, p, period);
      let shares: number[][];
      if (policy === 'uniform') {
        shares = counts.map(() => new Array<number>(arms).fill(1 / arms));
      } else if (policy === 'pooled') {
        const pooled = Array.from({ length: arms }, (_, a) =>
          counts.reduce((s, row) => ({ n: s.n + (row[a] as Counts).n, x: s.x + (row[a] as Counts).x }), {
            n: 0,
            x: 0,
          }),
        );
        const row = banditWeights(pooled, { ...tsOptions, seed: seedOf });
        shares = counts.map(() => row);
      } else if (policy === 'per-context') {
        const random = mulberry32(seedOf);
        shares = counts.map((row) => banditWeights(row, { ...tsOptions, random }));
      } else {
        shares = contextualWeights(discounted, {
          ...tsOptions,
          seed: seedOf,
          exploration: options.exploration,
          maxPriorStrength: options.maxPriorStrength,
        });
      }

      const random = outcomes[policy];
      const period_counts = zero();
      const cdfs = shares.map(cumulate);
      for (const c of stream) {
        const a = pick(cdfs[c] as number[], random());
        const cell = (period_counts[c] as Counts[])[a] as Counts;
        cell.n += 1;
        if (random() < ((rates[c] as number[])[a] as number)) cell.x += 1;
      }
      rates.forEach((row, c) => {
        const w = shares[c] as number[];
        expected[policy] += (perContext[c] as number) * row.reduce((s, r, a) => s + r * (w[a] as number), 0);
      });
      totals[policy] = discountCounts(counts, period_counts, 1);
      if (policy === 'contextual') discounted = discountCounts(discounted, period_counts, options.discount);
    }
  }
  return { expected, visitors };
}

/** The options a run uses where none are given. */
export const DEFAULT_OPTIONS = {
  seeds: 5,
  draws: 2000,
  // the product's defaults for contextual campaigns (CONTEXTUAL_MIN_SHARE, the job's hourly discount)
  minShare: 0.02,
  discount: 0.98,
  exploration: 0.5,
  maxPriorStrength: 200,
  shorten: 1,
} as const;

/** Runs every scenario for every seed and summarizes the captured share of the oracle's lift. */
export function simulate(options: SimulationOptions = {}): ScenarioResult[] {
  const {
    scenarios = SCENARIOS,
    seeds,
    draws,
    minShare,
    discount,
    exploration,
    maxPriorStrength,
    shorten,
  } = {
    ...DEFAULT_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  if (!(Number.isInteger(seeds) && seeds > 0))
    throw new RangeError(`seeds must be a positive integer, got ${seeds}`);
  if (!(shorten >= 1)) throw new RangeError(`shorten must be >= 1, got ${shorten}`);
  return scenarios.map((scenario) => {
    const periods = Math.max(2, Math.round(scenario.periods / shorten));
    const scaled =
      scenario.change === undefined
        ? scenario
        : { ...scenario, change: { ...scenario.change, at: Math.round(scenario.change.at / shorten) } };
    const runs = Array.from({ length: seeds }, (_, s) =>
      runOnce(scaled, s + 1, { draws, minShare, discount, exploration, maxPriorStrength }, periods),
    );
    const lift = (r: Run, key: PolicyName | 'ceiling') =>
      (r.expected[key] - r.expected.uniform) / (r.expected.oracle - r.expected.uniform);
    const figures = (key: PolicyName): PolicyFigures => {
      const values = runs.map((r) => lift(r, key));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance =
        values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
      return {
        captured: mean,
        se: Math.sqrt(variance / values.length),
        conversion: runs.reduce((a, r) => a + r.expected[key] / r.visitors, 0) / runs.length,
      };
    };
    return {
      name: scenario.name,
      description: scenario.description,
      contexts: scenario.weights.length,
      arms: (scenario.rates[0] as number[]).length,
      periods,
      visitors: Math.round(runs.reduce((a, r) => a + r.visitors, 0) / runs.length),
      oracleConversion: runs.reduce((a, r) => a + r.expected.oracle / r.visitors, 0) / runs.length,
      uniformConversion: runs.reduce((a, r) => a + r.expected.uniform / r.visitors, 0) / runs.length,
      ceiling: runs.reduce((a, r) => a + lift(r, 'ceiling'), 0) / runs.length,
      policies: Object.fromEntries(POLICIES.map((p) => [p, figures(p)])) as Record<PolicyName, PolicyFigures>,
    };
  });
}

/** The results as a plain-text table, one row per scenario. */
export function renderTable(results: readonly ScenarioResult[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const header = ['scenario', 'visitors', 'ceiling', ...POLICIES];
  const rows = results.map((r) => [
    r.name,
    String(r.visitors),
    pct(r.ceiling),
    ...POLICIES.map((p) => `${pct(r.policies[p].captured)} ± ${(100 * r.policies[p].se).toFixed(1)}`),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

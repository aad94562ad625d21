import { describe, expect, it } from 'vitest';
import { cupedLift } from './cuped.ts';
import { type CompiledCampaign, type CompiledDocument, parseDocument } from './document.ts';
import { buildReport, type RawCounts } from './report.ts';
import { liftInterval } from './small-sample.ts';
import { proportionTest } from './stats.ts';

const doc = (() => {
  const r = parseDocument({
    version: 1,
    holdout: 0.1,
    campaigns: [
      {
        id: 'c',
        slot: { selector: '#h', action: 'replace' },
        variants: [{ id: 'control' }, { id: 'b', html: 'B' }, { id: 'c3', html: 'C' }],
        weights: [0.34, 0.33, 0.33],
        goals: ['purchase'],
      },
    ],
  });
  if (!r.ok) throw new Error(r.problems.join());
  return r.doc;
})();

function raw(visitors: [number, number, number], conv: [number, number, number], holdout = 0): RawCounts {
  const ids = ['control', 'b', 'c3'];
  return {
    exposures: [
      ...ids.map((id, i) => ({
        campaignId: 'c',
        seed: 'c',
        variantId: id,
        day: '2026-11-21',
        visitors: visitors[i] ?? 0,
      })),
      { campaignId: 'c', seed: 'c', variantId: '__holdout', day: '2026-11-21', visitors: holdout },
      {
        campaignId: '__all',
        seed: 'all',
        variantId: '__treated',
        day: '2026-11-21',
        visitors: visitors.reduce((a, b) => a + b),
      },
      { campaignId: '__all', seed: 'all', variantId: '__holdout', day: '2026-11-21', visitors: holdout },
    ],
    conversions: [
      ...ids.map((id, i) => ({
        campaignId: 'c',
        seed: 'c',
        variantId: id,
        goal: 'purchase',
        converters: conv[i] ?? 0,
        valueSum: (conv[i] ?? 0) * 10,
        valueSumSq: (conv[i] ?? 0) * 100,
      })),
      {
        campaignId: '__all',
        seed: 'all',
        variantId: '__treated',
        goal: 'purchase',
        converters: conv.reduce((a, b) => a + b),
        valueSum: conv.reduce((a, b) => a + b) * 10,
        valueSumSq: 0,
      },
      {
        campaignId: '__all',
        seed: 'all',
        variantId: '__holdout',
        goal: 'purchase',
        converters: Math.round(holdout * 0.1),
        valueSum: Math.round(holdout * 0.1) * 10,
        valueSumSq: 0,
      },
    ],
    conversionsDaily: [],
    slots: [],
  };
}

describe('buildReport', () => {
  it('computes rates, lift, Holm-adjusted p-values and verdicts against control', () => {
    const r = buildReport(doc, raw([1000, 1000, 1000], [100, 150, 105], 300));
    const c = r.campaigns[0];
    const b = c?.variants[1]?.goals.purchase;
    const c3 = c?.variants[2]?.goals.purchase;
    expect(c?.controlId).toBe('control');
    expect(b?.rate).toBe(0.15);
    expect(b?.lift).toBeCloseTo(0.5, 10);
    expect(b?.verdict).toBe('winner');
    expect(c3?.verdict).toBe('inconclusive');
    // Holm: the smallest p-value is multiplied by the number of comparisons (2)
    expect(b?.adjustedPValue).toBeCloseTo(Math.min(1, 2 * (b?.pValue ?? 1)), 12);
    expect(b?.revenuePerVisitor).toBe(1.5);
    expect(c?.srm.warning).toBe(false);
    expect(c?.holdout.visitors).toBe(300);
  });

  it('flags a broken split and withholds verdicts below the minimum sample', () => {
    const r = buildReport(doc, raw([1000, 600, 1000], [100, 90, 100]));
    expect(r.campaigns[0]?.srm.warning).toBe(true);
    const small = buildReport(doc, raw([50, 50, 50], [1, 20, 1]));
    expect(small.campaigns[0]?.variants[1]?.goals.purchase?.verdict).toBe('insufficient-data');
  });

  it('shows what the programme caused against the global holdout', () => {
    const r = buildReport(doc, raw([1000, 1000, 1000], [100, 150, 105], 1000));
    const g = r.programme.goals.purchase;
    // treated 355/3000 vs holdout 100/1000: caused = 355 - 0.1 * 3000
    expect(g?.caused.conversions).toBeCloseTo(55, 9);
    expect(g?.total.conversions).toBe(455);
    expect(r.programme.holdoutShare).toBe(0.1);
  });

  it('never emits NaN or Infinity', () => {
    const r = buildReport(doc, raw([0, 0, 0], [0, 0, 0]));
    expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity/);
  });
});

describe('daily series', () => {
  it('has visitors, conversions, impressions and clicks per variant and day', () => {
    const r = raw([100, 100, 100], [10, 20, 10]);
    r.slots = [
      { campaignId: 'c', seed: 'c', variantId: 'b', day: '2026-11-21', impressions: 80, clicks: 8 },
      { campaignId: 'c', seed: 'c', variantId: 'b', day: '2026-11-22', impressions: 20, clicks: 1 },
    ];
    r.conversionsDaily = [
      { campaignId: 'c', seed: 'c', variantId: 'b', goal: 'purchase', day: '2026-11-22', converters: 20 },
    ];
    const c = buildReport(doc, r).campaigns[0];
    expect(c?.variants[1]).toMatchObject({ impressions: 100, clicks: 9, clickRate: 0.09 });
    expect(c?.daily.filter((d) => d.variant === 'b')).toEqual([
      { day: '2026-11-21', variant: 'b', visitors: 100, conversions: {}, impressions: 80, clicks: 8 },
      {
        day: '2026-11-22',
        variant: 'b',
        visitors: 0,
        conversions: { purchase: 20 },
        impressions: 20,
        clicks: 1,
      },
    ]);
  });
});

describe('adaptive campaigns', () => {
  const parsed = parseDocument({
    version: 1,
    holdout: 0,
    campaigns: [
      {
        id: 'ad',
        allocation: 'bandit',
        slot: { selector: '#h', action: 'replace' },
        variants: [{ id: 'control' }, { id: 'b', html: 'B' }],
        weights: [0.5, 0.5],
        goals: ['purchase'],
      },
      {
        id: 'fixed',
        slot: { selector: '#f', action: 'replace' },
        variants: [{ id: 'control' }, { id: 'b', html: 'B' }],
        weights: [0.5, 0.5],
        goals: ['purchase'],
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join());
  const bandit = parsed.doc;
  // the same campaign, learning per device (built on the compiled form so it does not depend on the parser)
  const contextual: CompiledDocument = {
    ...bandit,
    campaigns: bandit.campaigns.map((c) =>
      c.id === 'ad' ? { ...c, allocation: 'contextual' as string as CompiledCampaign['allocation'] } : c,
    ),
  };

  // The expected counts of a bandit that moved to b as the season slowed. Period 1: shares .5/.5, rates
  // 20% / 24%; period 2: shares .1/.9, rates 10% / 12%; 20,000 visitors each. True rates: 15% and 18%.
  const exposures = (variantId: string, visitors: number, converters: number) => ({
    exposure: { campaignId: 'ad', seed: 'ad', variantId, day: '2026-11-21', visitors },
    conversion: {
      campaignId: 'ad',
      seed: 'ad',
      variantId,
      goal: 'purchase',
      converters,
      valueSum: 0,
      valueSumSq: 0,
    },
  });
  const plain = [exposures('control', 12_000, 2200), exposures('b', 28_000, 4560)];
  const sums = (context: string, variantId: string, n: number, x: number, p: number) => ({
    campaignId: 'ad',
    seed: 'ad',
    goal: 'purchase',
    context,
    variantId,
    n,
    w: n / p,
    wr: x / p,
    w2: n / p ** 2,
    w2r: x / p ** 2,
  });
  const add = (a: ReturnType<typeof sums>, b: ReturnType<typeof sums>) => ({
    ...a,
    n: a.n + b.n,
    w: a.w + b.w,
    wr: a.wr + b.wr,
    w2: a.w2 + b.w2,
    w2r: a.w2r + b.w2r,
  });
  const season = (context: string) => [
    add(sums(context, 'control', 10_000, 2000, 0.5), sums(context, 'control', 2000, 200, 0.1)),
    add(sums(context, 'b', 10_000, 2400, 0.5), sums(context, 'b', 18_000, 2160, 0.9)),
  ];
  const raw = (weighted?: RawCounts['weighted']): RawCounts => ({
    exposures: plain.map((x) => x.exposure),
    conversions: plain.map((x) => x.conversion),
    conversionsDaily: [],
    slots: [],
    ...(weighted ? { weighted } : {}),
  });

  it('weights bandit results by the logged probabilities: the naive lift is -11%, the weighted one +20%', () => {
    const c = buildReport(bandit, raw(season(''))).campaigns[0];
    const naive = c?.variants[1]?.goals.purchase;
    expect(c?.variants[0]?.goals.purchase?.rate).toBeCloseTo(2200 / 12_000, 12);
    expect(naive?.lift).toBeCloseTo(4560 / 28_000 / (2200 / 12_000) - 1, 12); // -0.112
    expect(c?.note).toMatch(/biased/);
    expect(c?.note).toMatch(/`adaptive`/);
    const a = c?.adaptive;
    expect(a?.method).toBe('inverse-probability weighting (Hájek)');
    expect(a?.goal).toBe('purchase');
    expect(a?.visitors).toBe(40_000);
    expect(a?.variants.map((v) => v.id)).toEqual(['control', 'b']);
    expect(a?.variants[0]?.rate).toBeCloseTo(0.15, 12);
    expect(a?.variants[0]?.lift).toBeUndefined();
    expect(a?.variants[1]?.rate).toBeCloseTo(0.18, 12);
    expect(a?.variants[1]?.lift).toBeCloseTo(0.2, 12);
    const [lo, hi] = a?.variants[1]?.liftCi ?? [0, 0];
    expect(lo).toBeGreaterThan(0.1);
    expect(hi).toBeLessThan(0.3);
    // a bandit has one context: no per-context table and no what-if
    expect(a?.contexts).toBeUndefined();
    expect(a?.whatIf).toBeUndefined();
  });

  it('adds contexts with their current shares and the what-if values for a contextual campaign', () => {
    const weighted = [...season('mobile'), ...season('desktop')];
    const r = buildReport(contextual, raw(weighted), {
      contextualShares: { ad: { pooled: [0.4, 0.6], contexts: { mobile: [0.1, 0.9], bad: [2, -1] } } },
    });
    const c = r.campaigns[0];
    expect(c?.allocation).toBe('contextual');
    expect(c?.variants.map((v) => v.weight)).toEqual([0.4, 0.6]);
    const a = c?.adaptive;
    expect(a?.visitors).toBe(80_000);
    expect(a?.variants[1]?.rate).toBeCloseTo(0.18, 12);
    expect(a?.contexts?.map((x) => [x.key, x.visitors, x.sharesFrom, x.shares])).toEqual([
      ['desktop', 40_000, 'pooled', [0.4, 0.6]],
      ['mobile', 40_000, 'context', [0.1, 0.9]],
    ]);
    const mobile = a?.contexts?.[1];
    expect(mobile?.variants.map((v) => [v.id, v.share])).toEqual([
      ['control', 0.1],
      ['b', 0.9],
    ]);
    expect(mobile?.best?.variant).toBe('b');
    expect(mobile?.best?.rate).toBeCloseTo(0.18, 12);
    const w = a?.whatIf;
    // both contexts have the same rates: uniform = (15% + 18%) / 2, best fixed = 18%, current = .4·15 + .6·18
    // on desktop and .1·15 + .9·18 on mobile, halved; logged = the plain rate 6760 / 40,000 (the plain counts)
    expect(w?.uniform.ips).toBeCloseTo(0.165, 12);
    expect(w?.bestFixed.ips).toBeCloseTo(0.18, 12);
    expect(w?.current?.ips).toBeCloseTo((0.4 * 0.15 + 0.6 * 0.18 + 0.1 * 0.15 + 0.9 * 0.18) / 2, 12);
    expect(w?.logged.ips).toBeCloseTo(6760 / 40_000, 12);
    for (const k of ['uniform', 'current', 'bestFixed', 'logged'] as const) {
      const v = w?.[k];
      expect(v?.ci[0], k).toBeLessThan(v?.ips ?? 0);
      expect(v?.ci[1], k).toBeGreaterThan(v?.ips ?? 0);
    }
    expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity/);
  });

  it('has no `adaptive` without logged probabilities, and none for A/B tests', () => {
    const r = buildReport(bandit, raw());
    expect(r.campaigns[0]?.adaptive).toBeUndefined();
    expect(r.campaigns[0]?.note).toMatch(/not available/);
    const withSums = buildReport(bandit, raw(season('')));
    expect(withSums.campaigns[1]?.id).toBe('fixed');
    expect(withSums.campaigns[1]?.adaptive).toBeUndefined();
    expect(withSums.campaigns[1]?.note).toBeUndefined();
  });

  it('keeps the report when the sums are inconsistent, saying why in the note', () => {
    const bad = season('').map((g) => ({ ...g, wr: g.w * 2 }));
    const c = buildReport(bandit, raw(bad)).campaigns[0];
    expect(c?.adaptive).toBeUndefined();
    expect(c?.note).toMatch(/unavailable: .*wr <= w/);
    expect(c?.variants[1]?.goals.purchase?.lift).toBeLessThan(0);
  });

  it('gives a contextual campaign without shares its contexts and what-if, without `current`', () => {
    const c = buildReport(contextual, raw(season('mobile'))).campaigns[0];
    expect(c?.variants.map((v) => v.weight)).toEqual([0.5, 0.5]);
    expect(c?.adaptive?.contexts?.[0]?.sharesFrom).toBe('unknown');
    expect(c?.adaptive?.contexts?.[0]?.variants[0]?.share).toBeUndefined();
    expect(c?.adaptive?.whatIf?.current).toBeUndefined();
    expect(c?.adaptive?.whatIf?.uniform.ips).toBeCloseTo(0.165, 12);
  });
});

describe('small samples, breakdowns and CUPED', () => {
  const two = (() => {
    const r = parseDocument({
      version: 1,
      holdout: 0,
      campaigns: [
        {
          id: 's',
          slot: { selector: '#h', action: 'replace' },
          variants: [{ id: 'control' }, { id: 'b', html: 'B' }],
          weights: [0.5, 0.5],
          goals: ['purchase'],
        },
      ],
    });
    if (!r.ok) throw new Error(r.problems.join());
    return r.doc;
  })();
  type Dimension = NonNullable<RawCounts['breakdowns']>[number]['dimension'];

  /** overall counts per arm, and breakdown rows: an exposure-only row and a purchase row per arm */
  function rawOf(
    overall: { control: [number, number]; b: [number, number] },
    cells: [Dimension, string, [number, number], [number, number]][] = [],
  ): RawCounts {
    const arms = Object.entries(overall) as [string, [number, number]][];
    return {
      exposures: arms.map(([variantId, [visitors]]) => ({
        campaignId: 's',
        seed: 's',
        variantId,
        day: '2026-11-21',
        visitors,
      })),
      conversions: arms.map(([variantId, [, converters]]) => ({
        campaignId: 's',
        seed: 's',
        variantId,
        goal: 'purchase',
        converters,
        valueSum: converters * 10,
        valueSumSq: converters * 100,
      })),
      conversionsDaily: [],
      slots: [],
      breakdowns: cells.flatMap(([dimension, value, control, b]) =>
        (
          [
            ['control', control],
            ['b', b],
          ] as const
        ).flatMap(([variantId, [visitors, converters]]) => [
          { campaignId: 's', seed: 's', dimension, value, variantId, goal: '', visitors, converters: 0 },
          { campaignId: 's', seed: 's', dimension, value, variantId, goal: 'purchase', visitors, converters },
        ]),
      ),
    };
  }

  it('adds Fisher and the Koopman interval to a small overall comparison, and only to it', () => {
    const small = buildReport(two, rawOf({ control: [45, 1], b: [50, 3] })).campaigns[0];
    const g = small?.variants[1]?.goals.purchase;
    // scipy.stats.fisher_exact([[3, 47], [1, 44]]).pvalue
    expect(g?.smallSample?.pValue).toBeCloseTo(0.6190567433474317, 12);
    expect(g?.smallSample?.method).toBe('fisher');
    expect(g?.smallSample?.ci).toEqual(liftInterval({ n: 45, x: 1 }, { n: 50, x: 3 }).ci);
    // the delta-method fields stay, with their impossible -100 % end
    expect(g?.ci?.[0]).toBe(-1);
    expect(g?.lift).toBeCloseTo(1.7, 12);
    const large = buildReport(two, rawOf({ control: [2000, 200], b: [2000, 260] })).campaigns[0];
    expect(large?.variants[1]?.goals.purchase?.smallSample).toBeUndefined();
    const empty = buildReport(two, rawOf({ control: [0, 0], b: [0, 0] })).campaigns[0];
    expect(empty?.variants[1]?.goals.purchase?.smallSample).toBeUndefined();
  });

  it('breaks results down with the method each comparison needs, Holm across them, and warnings', () => {
    const r = buildReport(
      two,
      rawOf({ control: [2425, 233], b: [2580, 296] }, [
        ['device', 'mobile', [45, 1], [50, 3]],
        ['device', 'desktop', [2000, 200], [2000, 260]],
        ['source', 'google.com', [300, 30], [310, 20]],
        ['segment', 'returning', [80, 0], [90, 4]],
      ]),
    );
    const bd = r.campaigns[0]?.breakdowns ?? [];
    // segment, device (most visitors first), source
    expect(bd.map((x) => `${x.dimension}:${x.value}`)).toEqual([
      'segment:returning',
      'device:desktop',
      'device:mobile',
      'source:google.com',
    ]);
    const find = (value: string) => bd.find((x) => x.value === value);
    const b = (value: string) => find(value)?.variants.find((v) => v.id === 'b')?.goals.purchase;
    const ctl = (value: string) => find(value)?.variants.find((v) => v.id === 'control')?.goals.purchase;
    expect(find('mobile')?.visitors).toBe(95);
    expect(ctl('mobile')).toEqual({ conversions: 1, rate: 1 / 45 });
    expect(b('mobile')?.rate).toBe(0.06);
    // raw p-values, python3:
    //   scipy.stats.fisher_exact([[3, 47], [1, 44]]).pvalue -> 0.6190567433474317
    //   pooled z-test 2 * norm.sf(|pt - pc| / sqrt(p (1 - p) (1/nc + 1/nt))):
    //     2000/200 vs 2000/260 -> 0.002942093070459276; 300/30 vs 310/20 -> 0.1102218982387748
    //   scipy.stats.fisher_exact([[4, 86], [0, 80]]).pvalue -> 0.12317178581030966
    // Holm over the four (sorted, times m - rank, running max):
    //   0.6190567433474317, 0.011768372281837103, 0.3306656947163244, 0.3306656947163244
    const expected: [string, 'fisher' | 'z-test', number, number][] = [
      ['mobile', 'fisher', 0.6190567433474317, 0.6190567433474317],
      ['desktop', 'z-test', 0.002942093070459276, 0.011768372281837103],
      ['google.com', 'z-test', 0.1102218982387748, 0.3306656947163244],
      ['returning', 'fisher', 0.12317178581030966, 0.3306656947163244],
    ];
    for (const [value, method, p, adjusted] of expected) {
      expect(b(value)?.method, value).toBe(method);
      expect(b(value)?.pValue, value).toBeCloseTo(p, 10);
      expect(b(value)?.adjustedPValue, value).toBeCloseTo(adjusted, 10);
    }
    // Fisher's comparisons carry Koopman's interval, the others the delta method's
    expect(b('mobile')?.ci).toEqual(liftInterval({ n: 45, x: 1 }, { n: 50, x: 3 }).ci);
    expect(b('desktop')?.ci).toEqual(proportionTest({ n: 2000, x: 200 }, { n: 2000, x: 260 }).ci);
    // zero conversions in control: an unbounded upper end (null in JSON), a finite lower one above -100 %
    expect(b('returning')?.ci?.[1]).toBeNull();
    expect(b('returning')?.ci?.[0]).toBeGreaterThan(-1);
    // too small below 100 visitors per arm; four comparisons are not "many"
    expect(find('mobile')?.warning).toEqual([
      {
        kind: 'small',
        message: 'fewer than 100 visitors in an arm (the smallest has 45): too small to read on its own',
      },
    ]);
    expect(find('returning')?.warning?.map((w) => w.kind)).toEqual(['small']);
    expect(find('desktop')?.warning).toBeUndefined();
    expect(find('google.com')?.warning).toBeUndefined();
    expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity/);
  });

  it('warns on every breakdown when more than 10 comparisons are made', () => {
    const cells = Array.from(
      { length: 11 },
      (_, i) =>
        ['cluster', `c${i}`, [1000, 100], [1000, 130]] as [
          Dimension,
          string,
          [number, number],
          [number, number],
        ],
    );
    const bd = buildReport(two, rawOf({ control: [11_000, 1100], b: [11_000, 1430] }, cells)).campaigns[0]
      ?.breakdowns;
    expect(bd).toHaveLength(11);
    const raws = bd?.map((x) => x.variants[1]?.goals.purchase?.pValue ?? Number.NaN) ?? [];
    // eleven equal p-values: Holm multiplies each by 11
    for (const x of bd ?? []) {
      expect(x.warning).toEqual([
        {
          kind: 'many',
          message: 'with 11 comparisons, some look significant by chance; read the adjusted p-values',
        },
      ]);
      expect(x.variants[1]?.goals.purchase?.adjustedPValue).toBeCloseTo(Math.min(1, 11 * (raws[0] ?? 0)), 12);
    }
    // python3: 2 * scipy.stats.norm.sf(0.03 / np.sqrt(0.115 * 0.885 * (2 / 1000))) -> 0.03548845046647471
    expect(raws[0]).toBeCloseTo(0.03548845046647471, 12);
    expect(bd?.[0]?.variants[1]?.goals.purchase?.adjustedPValue).toBeCloseTo(11 * 0.03548845046647471, 12);
  });

  it('has no breakdowns without rows for the campaign', () => {
    const { breakdowns: _none, ...plain } = rawOf({ control: [100, 10], b: [100, 12] });
    expect(buildReport(two, plain).campaigns[0]?.breakdowns).toBeUndefined();
    const other = rawOf({ control: [100, 10], b: [100, 12] }, [['device', 'mobile', [50, 5], [50, 6]]]);
    for (const row of other.breakdowns ?? []) row.seed = 'an-older-seed';
    expect(buildReport(two, other).campaigns[0]?.breakdowns).toBeUndefined();
  });

  it('reports the CUPED lift beside the plain one, equal to cupedLift on the same sums', () => {
    const sums = {
      conversion: {
        control: { n: 1000, sumY: 100, sumY2: 100, sumX: 3000, sumX2: 12000, sumXY: 450 },
        b: { n: 1000, sumY: 130, sumY2: 130, sumX: 3100, sumX2: 12500, sumXY: 560 },
      },
      revenue: {
        control: { n: 1000, sumY: 4000, sumY2: 400000, sumX: 3000, sumX2: 12000, sumXY: 18000 },
        b: { n: 1000, sumY: 5000, sumY2: 520000, sumX: 3100, sumX2: 12500, sumXY: 22000 },
      },
    };
    const raw = rawOf({ control: [1000, 100], b: [1000, 130] });
    raw.cuped = (['conversion', 'revenue'] as const).flatMap((metric) =>
      (['control', 'b'] as const).map((variantId) => ({
        campaignId: 's',
        seed: 's',
        variantId,
        goal: 'purchase',
        metric,
        ...sums[metric][variantId],
      })),
    );
    const g = buildReport(two, raw).campaigns[0]?.variants[1]?.goals.purchase;
    for (const metric of ['conversion', 'revenue'] as const) {
      const want = cupedLift(sums[metric].control, sums[metric].b);
      expect(g?.cuped?.find((x) => x.metric === metric)).toEqual({
        metric,
        ...want,
        covariate: 'pageviews before exposure',
      });
    }
    expect(g?.cuped?.map((x) => x.metric)).toEqual(['conversion', 'revenue']);
    // the covariate is correlated with conversion here, so the interval narrows
    const conv = g?.cuped?.[0];
    expect(conv?.varianceReduction).toBeGreaterThan(0);
    const width = (ci: [number, number] | undefined) => (ci ? ci[1] - ci[0] : Number.NaN);
    expect(width(conv?.adjusted.ci)).toBeLessThan(width(conv?.plain.ci));
    expect(buildReport(two, raw).campaigns[0]?.variants[0]?.goals.purchase?.cuped).toBeUndefined();
    // only the control's sums: nothing to compare
    raw.cuped = raw.cuped.filter((x) => x.variantId === 'control');
    expect(buildReport(two, raw).campaigns[0]?.variants[1]?.goals.purchase?.cuped).toBeUndefined();
  });
});

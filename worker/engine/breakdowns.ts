/**
 * @module breakdowns
 * A campaign's results broken down by device, source, named segment or discovered cluster: per breakdown
 * value and variant the visitors, conversions and rate, and against control in the same breakdown the lift
 * with its interval and p-value. Breakdowns are small by nature, so each comparison uses the method its
 * counts call for (`whichMethod`): Fisher's exact test with Koopman's score interval of the rate ratio when
 * an expected cell is below 5, else the z-test with the delta-method interval. Comparing many breakdowns
 * finds flukes, so p-values are also Holm-adjusted across every breakdown comparison of the campaign, and
 * small or numerous breakdowns carry a warning in words. Pure: rows in, JSON-ready sections out.
 */
import { fisherExact, liftInterval, whichMethod } from './small-sample.ts';
import { type Counts, holm, proportionTest } from './stats.ts';

export type BreakdownDimension = 'device' | 'source' | 'segment' | 'cluster';

/** One row from the store: exposed visitors (and converters on `goal`) in a (dimension, value, variant). */
export interface BreakdownRow {
  campaignId: string;
  seed: string;
  dimension: BreakdownDimension;
  value: string;
  variantId: string;
  /** '' for the exposure-only row */
  goal: string;
  visitors: number;
  /** of them, converted on `goal` (0 when goal is '') */
  converters: number;
}

export interface BreakdownGoal {
  conversions: number;
  rate: number;
  /** against control in the same breakdown value; absent on control and when an arm has no visitors */
  lift?: number;
  ci?: [number, number];
  pValue?: number;
  /** Holm over every breakdown comparison of the campaign */
  adjustedPValue?: number;
  /** 'fisher': Fisher's exact p-value and Koopman's interval; 'z-test': z-test and delta method */
  method?: 'fisher' | 'z-test';
}

export interface BreakdownWarning {
  kind: 'small' | 'many';
  message: string;
}

export interface Breakdown {
  dimension: BreakdownDimension;
  value: string;
  /** exposed visitors in this value, over the campaign's variants */
  visitors: number;
  warning?: BreakdownWarning[];
  variants: { id: string; visitors: number; goals: Record<string, BreakdownGoal> }[];
}

export interface BreakdownOptions {
  variants: readonly string[];
  controlId: string;
  goals: readonly string[];
  alpha: number;
  /** visitors per arm below which a breakdown value is too small to read */
  minPerArm: number;
  /** more comparisons than this get the multiple-testing warning */
  maxComparisons?: number;
}

const DIMENSIONS: readonly BreakdownDimension[] = ['segment', 'device', 'source', 'cluster'];

/**
 * The breakdown sections of one campaign from its rows (already filtered to the campaign and seed).
 * Ordered by dimension (segment, device, source, cluster), then most visitors first, then value. Rows of
 * variants outside `variants` (the holdout) and of goals outside `goals` are ignored. Visitors come from
 * the exposure-only row of a (dimension, value, variant), or else the largest count on its goal rows.
 */
export function breakdownSections(rows: readonly BreakdownRow[], o: BreakdownOptions): Breakdown[] {
  const maxComparisons = o.maxComparisons ?? 10;
  const known = new Set(o.variants);
  const goalSet = new Set(o.goals);
  type Cell = { visitors: number; exposureRow: boolean; converters: Map<string, number> };
  const groups = new Map<
    string,
    { dimension: BreakdownDimension; value: string; cells: Map<string, Cell> }
  >();
  for (const r of rows) {
    if (!known.has(r.variantId) || !DIMENSIONS.includes(r.dimension)) continue;
    if (r.goal !== '' && !goalSet.has(r.goal)) continue;
    const k = `${r.dimension}\u0000${r.value}`;
    let g = groups.get(k);
    if (!g) {
      g = { dimension: r.dimension, value: r.value, cells: new Map() };
      groups.set(k, g);
    }
    let cell = g.cells.get(r.variantId);
    if (!cell) {
      cell = { visitors: 0, exposureRow: false, converters: new Map() };
      g.cells.set(r.variantId, cell);
    }
    const n = wholeCount(r.visitors);
    if (r.goal === '') {
      cell.visitors = cell.exposureRow ? cell.visitors + n : n;
      cell.exposureRow = true;
    } else {
      if (!cell.exposureRow) cell.visitors = Math.max(cell.visitors, n);
      cell.converters.set(r.goal, (cell.converters.get(r.goal) ?? 0) + wholeCount(r.converters));
    }
  }

  const comparisons: { goal: BreakdownGoal; p: number }[] = [];
  const sections: Breakdown[] = [...groups.values()].map((g) => {
    const variants = o.variants.map((id) => {
      const cell = g.cells.get(id);
      const n = cell?.visitors ?? 0;
      const goals: Record<string, BreakdownGoal> = {};
      for (const goal of o.goals) {
        const x = Math.min(cell?.converters.get(goal) ?? 0, n);
        goals[goal] = { conversions: x, rate: n ? x / n : 0 };
      }
      return { id, visitors: n, goals };
    });
    const ctl = variants.find((v) => v.id === o.controlId);
    if (ctl && ctl.visitors > 0) {
      for (const v of variants) {
        if (v.id === o.controlId || v.visitors === 0) continue;
        for (const goal of o.goals) {
          const cg = ctl.goals[goal] as BreakdownGoal;
          const tg = v.goals[goal] as BreakdownGoal;
          Object.assign(
            tg,
            compare({ n: ctl.visitors, x: cg.conversions }, { n: v.visitors, x: tg.conversions }, o.alpha),
          );
          comparisons.push({ goal: tg, p: tg.pValue ?? 1 });
        }
      }
    }
    const smallest = Math.min(...variants.map((v) => v.visitors));
    const out: Breakdown = {
      dimension: g.dimension,
      value: g.value,
      visitors: variants.reduce((a, v) => a + v.visitors, 0),
      variants,
    };
    if (smallest < o.minPerArm) {
      out.warning = [
        {
          kind: 'small',
          message: `fewer than ${o.minPerArm} visitors in an arm (the smallest has ${smallest}): too small to read on its own`,
        },
      ];
    }
    return out;
  });

  const adjusted = holm(comparisons.map((c) => c.p));
  comparisons.forEach((c, i) => {
    c.goal.adjustedPValue = adjusted[i] ?? 1;
  });
  if (comparisons.length > maxComparisons) {
    const many: BreakdownWarning = {
      kind: 'many',
      message: `with ${comparisons.length} comparisons, some look significant by chance; read the adjusted p-values`,
    };
    for (const s of sections) s.warning = [...(s.warning ?? []), many];
  }
  return sections.sort(
    (a, b) =>
      DIMENSIONS.indexOf(a.dimension) - DIMENSIONS.indexOf(b.dimension) ||
      b.visitors - a.visitors ||
      a.value.localeCompare(b.value),
  );
}

/**
 * One comparison by the method its counts call for. Exported so the overall variant results can use the
 * same rule.
 */
export function compare(
  control: Counts,
  treatment: Counts,
  alpha: number,
): Required<Pick<BreakdownGoal, 'lift' | 'ci' | 'pValue' | 'method'>> {
  const { method } = whichMethod(control, treatment);
  if (method === 'fisher') {
    const interval = liftInterval(control, treatment, alpha);
    return {
      lift: interval.lift,
      ci: interval.ci,
      pValue: fisherExact(control, treatment).pValue,
      method,
    };
  }
  const test = proportionTest(control, treatment, alpha);
  return { lift: test.lift, ci: test.ci, pValue: test.pValue, method };
}

/** Counts from the store as non-negative integers, so one bad row cannot throw in the tests. */
function wholeCount(x: number): number {
  return Number.isFinite(x) && x > 0 ? Math.floor(x) : 0;
}

/**
 * @module dashboard-format
 * How the dashboard writes numbers and markup. Pure and runtime-agnostic, so the browser test formats the
 * API's numbers with exactly these functions and compares them with the page, cell by cell.
 * Markup is built only with the `html` tag, which escapes every interpolated value that is not itself
 * markup: a string from the campaign document can never become HTML. (Not `hono/html`: its result type
 * includes a Promise, which would make every view function async for no gain; the escaping is the
 * engine's one `escapeHtml`.)
 */
import { escapeHtml } from '../engine/index.ts';

/** Markup that is already safe to insert. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

export const esc = escapeHtml;

function render(p: Part): string {
  if (p === null || p === undefined || p === false || p === true) return '';
  if (p instanceof Html) return p.value;
  if (Array.isArray(p)) return p.map(render).join('');
  return esc(String(p));
}

/** Tagged template: literal parts are markup, interpolations are escaped unless they are `Html`. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** The `data-testid` of a cell: `<kind>-<campaign>-<variant>[-<goal>]`. */
export const testId = (kind: string, ...parts: string[]): string => [kind, ...parts].join('-');

type Num = number | null | undefined;
const DASH = '—';
const ok = (x: Num): x is number => typeof x === 'number' && Number.isFinite(x);

/** toFixed without a "-0.00". */
function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

function group(s: string): string {
  const [int = '', frac] = s.split('.');
  const g = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? g : `${g}.${frac}`;
}

export const fmt = {
  /** whole numbers: 12,345 */
  count: (x: Num): string => (ok(x) ? group(fixed(Math.round(x), 0)) : DASH),
  /** numbers that can be fractional (conversions caused): 12.3 */
  decimal: (x: Num, digits = 1): string => (ok(x) ? group(fixed(x, digits)) : DASH),
  /** a rate or probability in percent: 12.34% */
  pct: (x: Num): string => (ok(x) ? `${fixed(x * 100, 2)}%` : DASH),
  /** a relative change: +12.34% / -3.10% */
  lift: (x: Num): string => {
    if (!ok(x)) return DASH;
    const s = fixed(x * 100, 2);
    return `${x > 0 && s !== '0.00' ? '+' : ''}${s}%`;
  },
  /** an interval of a lift; an unbounded end is shown as ∞ */
  ci: (ci: readonly Num[] | null | undefined): string => {
    if (!ci) return DASH;
    const [lo, hi] = ci;
    const end = (x: Num, inf: string) => (ok(x) ? fmt.lift(x) : inf);
    return `[${end(lo, '-∞')}, ${end(hi, '+∞')}]`;
  },
  /** an interval of a rate, clamped to [0%, 100%] (a normal interval may cross them; a rate cannot) */
  rateCi: (ci: readonly Num[] | null | undefined): string => {
    if (!ci) return DASH;
    const [lo, hi] = ci;
    const end = (x: Num, fallback: number) => fmt.pct(ok(x) ? Math.min(1, Math.max(0, x)) : fallback);
    return `[${end(lo, 0)}, ${end(hi, 1)}]`;
  },
  /** a context key as a person reads it */
  context: (key: string): string => (key === '' ? '(no context)' : key),
  /** p-values with 4 decimals */
  p: (x: Num): string => (ok(x) ? (x < 0.0001 ? '<0.0001' : x.toFixed(4)) : DASH),
  /** "p = 0.0123" or "p < 0.0001", for prose */
  pIs: (x: Num): string => {
    const s = fmt.p(x);
    return s.startsWith('<') ? `p < ${s.slice(1)}` : `p = ${s}`;
  },
  /** money (the document has no currency): 1,234.50 */
  money: (x: Num): string => (ok(x) ? group(fixed(x, 2)) : DASH),
  /** an absolute difference of rates, in percentage points */
  pp: (x: Num): string => (ok(x) ? `${fixed(x * 100, 3)} pp` : DASH),
  /** a duration given in ms, in seconds: 12.3 s */
  seconds: (ms: Num): string => (ok(ms) ? `${group(fixed(ms / 1000, 1))} s` : DASH),
};

const VERDICTS: Record<string, string> = {
  winner: 'Winner',
  loser: 'Loser',
  inconclusive: 'Inconclusive',
  'insufficient-data': 'Collecting data',
};

export const verdictLabel = (v: string | null | undefined): string => (v ? (VERDICTS[v] ?? v) : DASH);

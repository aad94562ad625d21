/**
 * @module lint
 * Warnings about a campaign document that is valid but probably not what its author meant: selectors a
 * streaming parser cannot match, templates and targeting that name attributes no visitor has, campaigns
 * that can never be shown, campaigns shadowed by a higher priority on the same slot, overlaps, and
 * guardrails on pages or engaged time whose `min` is below the sessions they need to fire at all.
 * Pure, so the same lint runs offline (`npm run campaigns -- check`) and on `PUT /__hio/admin/config`
 * (where its warnings come back beside the 200).
 */
import type { CompiledCampaign, CompiledDocument } from './document.ts';
import { fewestSessionsToFire, isSessionMeanMetric, ruleText } from './guardrails.ts';
import type { SafeTemplate } from './template-safe.ts';

export interface LintWarning {
  /**
   * `error`: the worker refuses the document (selectors, found offline); `warning`: accepted, but probably
   * not what was meant; `info`: worth knowing (a lower priority campaign on a shared slot is a fallback)
   */
  level: 'error' | 'warning' | 'info';
  code:
    | 'selector-not-streamable'
    | 'unknown-attribute'
    | 'never-matches'
    | 'shadowed'
    | 'overlap'
    | 'unknown-goal'
    | 'guardrail-min';
  /** where in the document, e.g. `campaigns[2].variants[1].html` */
  path: string;
  message: string;
}

/**
 * Top-level visitor attributes (see attributes.ts and CONTRACT.md); the object-valued ones reach into
 * their keys with dotted names (`interests.shoes`, `conversions.purchase`).
 */
export const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set([
  'visits',
  'pageviews',
  'sessionPageviews',
  'newVisitor',
  'daysSinceLastVisit',
  'engaged',
  'engagement',
  'engagedTime',
  'scrollDepth',
  'interests',
  'topInterest',
  'conversions',
  'conversionValue',
  'propensity',
  'device',
  'country',
  'path',
  'category',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'hour',
  'segments',
  'cluster',
  // micro-signals and windowed counts
  'hesitated',
  'deepReader',
  'bounced',
  'cartAbandoned',
  'returningSoon',
  'visits7d',
  'pageviews7d',
  'engagedTime7d',
  'visits30d',
  'pageviews30d',
  'engagedTime30d',
  // recommendation templates render once per item
  'item',
]);

/** Attributes whose values reach into a map by name: anything after the dot is accepted. */
const MAP_ATTRIBUTES = new Set(['interests', 'conversions', 'conversionValue', 'item']);

/** Attributes with a closed set of values, for "can never match" checks. */
const DEVICES = new Set(['mobile', 'tablet', 'desktop']);

/** Pseudo-classes lol-html (HTMLRewriter) matches while streaming; every other one needs the whole document. */
const STREAMABLE_PSEUDO = new Set(['first-child', 'nth-child', 'first-of-type', 'nth-of-type', 'not']);

/**
 * Why a streaming parser cannot match `selector`, or null. HTMLRewriter decides an element when its start
 * tag arrives, so it supports type, class, id and attribute selectors, descendant and child combinators,
 * and `:first-child`, `:nth-child()`, `:first-of-type`, `:nth-of-type()`, `:not()`; anything that needs
 * later siblings (`:last-child`, `:nth-last-child()`, `:only-child`, `~`, `+`), the element's content
 * (`:empty`, `:has()`) or user state (`:hover`), and pseudo-elements, cannot be matched.
 */
export function streamingSelectorProblem(selector: string): string | null {
  let depthBracket = 0;
  let depthParen = 0;
  let quote: string | null = null;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i] as string;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      continue;
    }
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') depthBracket++;
    else if (ch === ']') depthBracket = Math.max(0, depthBracket - 1);
    if (depthBracket > 0) continue;
    if (ch === '(') depthParen++;
    else if (ch === ')') depthParen = Math.max(0, depthParen - 1);
    // inside parentheses `+` is part of an an+b formula
    if ((ch === '+' || ch === '~') && depthParen === 0) {
      return `the sibling combinator "${ch}" needs elements before this one, which a streaming parser has already passed`;
    }
    if (ch === ':') {
      if (selector[i + 1] === ':') return 'pseudo-elements cannot be matched while streaming';
      const name = /^[A-Za-z-]+/.exec(selector.slice(i + 1))?.[0]?.toLowerCase() ?? '';
      if (!STREAMABLE_PSEUDO.has(name)) {
        return `":${name}" needs ${
          /last|only/.test(name)
            ? 'the elements after this one'
            : /empty|has/.test(name)
              ? "the element's content"
              : 'state a streaming parser does not have'
        }; supported: ${[...STREAMABLE_PSEUDO].map((p) => `:${p}`).join(', ')}`;
      }
      i += name.length;
    }
  }
  return null;
}

function templatePaths(t: SafeTemplate | undefined): string[][] {
  const out: string[][] = [];
  for (const part of t ?? []) {
    if (typeof part === 'string') continue;
    if ('url' in part) {
      for (const p of part.value) if (typeof p !== 'string') out.push([...p.path]);
    } else out.push([...part.path]);
  }
  return out;
}

function unknownAttribute(path: readonly string[]): boolean {
  const root = path[0] ?? '';
  if (!KNOWN_ATTRIBUTES.has(root)) return true;
  return path.length > 1 && !MAP_ATTRIBUTES.has(root);
}

/** Attribute paths a condition reads (keys that are not operators, inside logical operators). */
function conditionAttributes(cond: unknown, out: string[] = []): string[] {
  if (!cond || typeof cond !== 'object' || Array.isArray(cond)) return out;
  for (const [k, v] of Object.entries(cond as Record<string, unknown>)) {
    if (k === '$and' || k === '$or' || k === '$nor') {
      if (Array.isArray(v)) for (const c of v) conditionAttributes(c, out);
    } else if (k === '$not') conditionAttributes(v, out);
    else if (!k.startsWith('$')) out.push(k);
  }
  return out;
}

/** The literal values each top-level `$and` clause allows an attribute (equality, `$eq`, `$in`). */
function equalities(cond: Record<string, unknown> | undefined): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const walk = (c: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(c)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const sub of v) if (sub && typeof sub === 'object') walk(sub as Record<string, unknown>);
        continue;
      }
      if (k.startsWith('$')) continue;
      const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
      const values =
        o === null
          ? [v]
          : Object.keys(o).length === 1 && '$eq' in o
            ? [o.$eq]
            : Object.keys(o).length === 1 && Array.isArray(o.$in)
              ? (o.$in as unknown[])
              : null;
      if (values) out.set(k, values);
    }
  };
  if (cond) walk(cond);
  return out;
}

/** Top-level `$and` clauses that no visitor can satisfy, described (a conservative check: no false alarms). */
function impossibleClauses(cond: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [attr, values] of equalities(cond)) {
    if (attr === 'device' && values.every((x) => typeof x !== 'string' || !DEVICES.has(x))) {
      out.push(`device is one of ${[...DEVICES].join(', ')}, never ${JSON.stringify(values)}`);
    }
    if (attr === 'hour' && values.every((x) => typeof x !== 'number' || x < 0 || x > 23 || x % 1 !== 0)) {
      out.push(`hour is an integer from 0 to 23, never ${JSON.stringify(values)}`);
    }
  }
  return out;
}

/** Whether no visitor can match both targetings: some attribute must equal different values in each. */
function disjoint(a: CompiledCampaign, b: CompiledCampaign): boolean {
  const ea = equalities(a.targeting);
  for (const [k, vb] of equalities(b.targeting)) {
    const va = ea.get(k);
    if (va && !va.some((x) => vb.some((y) => JSON.stringify(x) === JSON.stringify(y)))) return true;
  }
  return false;
}

/** A campaign that fills its slots for every visitor who gets this far (nothing lets a lower one through). */
function alwaysFills(c: CompiledCampaign): boolean {
  return (
    c.status === 'active' &&
    c.targeting === undefined &&
    c.coverage >= 1 &&
    c.start === undefined &&
    c.end === undefined &&
    c.perDayCap === undefined &&
    c.group === undefined
  );
}

/**
 * The lint of a compiled document. `now` (ms) judges schedules. Campaigns are in decision order
 * (highest priority first), and `indexOf` maps each back to its place in the source document for paths.
 */
export function lintDocument(doc: CompiledDocument, now: number = Date.now()): LintWarning[] {
  const warnings: LintWarning[] = [];
  const sourceIds: string[] = (
    ((doc.source as { campaigns?: { id?: unknown }[] } | null)?.campaigns ?? []) as { id?: unknown }[]
  ).map((c) => String(c?.id));
  const at = (c: CompiledCampaign) => `campaigns[${Math.max(0, sourceIds.indexOf(c.id))}]`;
  const warn = (w: Omit<LintWarning, 'level'>, level: LintWarning['level'] = 'warning') =>
    warnings.push({ level, ...w });

  doc.segments.forEach(([name, cond]) => {
    for (const a of conditionAttributes(cond)) {
      if (unknownAttribute(a.split('.')))
        warn({
          code: 'unknown-attribute',
          path: `segments.${name}`,
          message: `segment "${name}" reads "${a}", which no visitor has: it never matches on that clause`,
        });
    }
  });

  for (const c of doc.campaigns) {
    const path = at(c);
    c.slots.forEach((s, i) => {
      const p = streamingSelectorProblem(s.selector);
      if (p)
        warn(
          {
            code: 'selector-not-streamable',
            path: `${path}.slot${c.slots.length > 1 ? `s[${i}]` : ''}.selector`,
            message: `campaign "${c.id}": selector "${s.selector}" cannot be matched while streaming (${p})`,
          },
          'error',
        );
    });
    c.variants.forEach((v, vi) => {
      v.contents.forEach((t) => {
        for (const p of templatePaths(t)) {
          if (p[0] === 'item' && !v.recommend) {
            warn({
              code: 'unknown-attribute',
              path: `${path}.variants[${vi}]`,
              message: `campaign "${c.id}", variant "${v.id}": "{{ ${p.join('.')} }}" only has a value in a recommendation variant`,
            });
          } else if (unknownAttribute(p)) {
            warn({
              code: 'unknown-attribute',
              path: `${path}.variants[${vi}]`,
              message: `campaign "${c.id}", variant "${v.id}": "{{ ${p.join('.')} }}" names no visitor attribute and renders empty`,
            });
          }
        }
      });
    });
    for (const a of conditionAttributes(c.targeting)) {
      if (unknownAttribute(a.split('.')))
        warn({
          code: 'unknown-attribute',
          path: `${path}.targeting`,
          message: `campaign "${c.id}": targeting reads "${a}", which no visitor has`,
        });
    }
    for (const goal of c.goals) {
      if (doc.settings.goals.size > 0 && !doc.settings.goals.has(goal))
        warn({
          code: 'unknown-goal',
          path: `${path}.goals`,
          message: `campaign "${c.id}": goal "${goal}" is not in settings.goals, so its conversions are not stored`,
        });
    }
    c.guardrails.forEach((g, k) => {
      // a mean rule cannot fire before its window holds this many sessions, whatever the variant does
      if (!isSessionMeanMetric(g.metric)) return;
      const side = g.below === undefined ? 'above' : 'below';
      const fewest = fewestSessionsToFire(g.metric, side, g.below ?? g.above ?? 0);
      if (g.min < fewest)
        warn(
          {
            code: 'guardrail-min',
            path: `${path}.guardrails[${k}]`,
            message: `campaign "${c.id}": "${ruleText(g)}" cannot fire before its window holds ${fewest} sessions (even if every one ${side === 'below' ? (g.metric === 'pagesPerSession' ? 'has a single page' : 'has no engaged time') : 'is at the cap'}); min ${g.min} is below that, so size the window to hold at least ${fewest} sessions at your traffic`,
          },
          'info',
        );
    });
    const never: string[] = [];
    if (c.coverage <= 0) never.push('coverage is 0');
    if (c.end !== undefined && c.start !== undefined && c.end <= c.start)
      never.push('it ends before it starts');
    else if (c.end !== undefined && c.end <= now) never.push(`it ended ${new Date(c.end).toISOString()}`);
    if (c.targeting) never.push(...impossibleClauses(c.targeting));
    if (c.status === 'active' && never.length)
      warn({
        code: 'never-matches',
        path,
        message: `campaign "${c.id}" can never be shown: ${never.join('; ')}`,
      });
  }

  // shadowing and overlaps: the decision gives each slot to the first (highest priority) campaign that fills it
  const active = doc.campaigns.filter((c) => c.status === 'active');
  active.forEach((c, i) => {
    for (const h of active.slice(0, i)) {
      const shared = c.slots.find((s) => h.slots.some((t) => t.selector === s.selector));
      if (!shared || disjoint(h, c)) continue;
      if (alwaysFills(h)) {
        warn({
          code: 'shadowed',
          path: at(c),
          message: `campaign "${c.id}" is never shown: "${h.id}" (priority ${h.priority}) targets everyone and always fills slot "${shared.selector}" first`,
        });
        break;
      }
      warn(
        {
          code: 'overlap',
          path: at(c),
          message:
            h.priority === c.priority
              ? `campaigns "${h.id}" and "${c.id}" share slot "${shared.selector}" at the same priority ${c.priority}: where both match, document order decides ("${h.id}" wins); give them different priorities`
              : `campaign "${c.id}" shares slot "${shared.selector}" with "${h.id}" (priority ${h.priority} over ${c.priority}): where both match, "${h.id}" wins`,
        },
        h.priority === c.priority ? 'warning' : 'info',
      );
    }
  });
  return warnings;
}

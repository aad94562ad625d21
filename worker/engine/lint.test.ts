import { describe, expect, it } from 'vitest';
import demo from '../../examples/shop/campaigns.json';
import { type CompiledDocument, parseDocument } from './document.ts';
import { lintDocument, streamingSelectorProblem } from './lint.ts';

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.doc;
}

const campaign = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  slot: { selector: '#hero', action: 'replace' },
  variants: [{ id: 'control' }, { id: 'b', html: '<b>hi</b>' }],
  ...extra,
});

const codes = (doc: unknown, now?: number) =>
  lintDocument(compile(doc), now).map((w) => `${w.level}:${w.code}:${w.path}`);

describe('streamingSelectorProblem', () => {
  it.each([
    '#hero',
    'div.promo > p',
    'main article:first-child',
    'li:nth-child(2n+1)',
    'p:not(.x)',
    'a[href~="x+y"]',
    'a[title="a:last-child ~ b"]',
    'section:nth-of-type(2) h2:first-of-type',
  ])('accepts %s', (s) => {
    expect(streamingSelectorProblem(s)).toBeNull();
  });
  it.each([
    ['li:last-child', /elements after/],
    ['li:nth-last-child(2)', /elements after/],
    ['p:only-child', /elements after/],
    ['h1 + p', /sibling combinator "\+"/],
    ['h1 ~ p', /sibling combinator "~"/],
    ['div:has(img)', /content/],
    ['div:empty', /content/],
    ['a:hover', /state/],
    ['p::before', /pseudo-elements/],
  ])('refuses %s', (s, why) => {
    expect(streamingSelectorProblem(s)).toMatch(why);
  });
});

describe('lintDocument', () => {
  it('says nothing about a plain document', () => {
    expect(codes({ version: 1, campaigns: [campaign('a')] })).toEqual([]);
  });

  it('flags templates and targeting that name attributes no visitor has', () => {
    const doc = {
      version: 1,
      segments: { fans: { vists: { $gte: 3 } } },
      campaigns: [
        campaign('a', {
          targeting: { $and: [{ devise: 'mobile' }, { 'interests.shoes': { $gt: 1 } }] },
          variants: [
            { id: 'control' },
            { id: 'b', html: 'Hi {{ firstName }}, {{ topInterest }} {{ interests.shoes }}' },
          ],
        }),
      ],
    };
    const w = lintDocument(compile(doc));
    expect(w.map((x) => x.message)).toEqual([
      expect.stringContaining('"vists"'),
      expect.stringContaining('{{ firstName }}'),
      expect.stringContaining('"devise"'),
    ]);
  });

  it('finds campaigns that can never be shown', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const doc = {
      version: 1,
      campaigns: [
        campaign('zero', { coverage: 0, slot: { selector: '#a', action: 'replace' } }),
        campaign('over', { end: '2026-01-01T00:00:00Z', slot: { selector: '#b', action: 'replace' } }),
        campaign('phone', { targeting: { device: 'phone' }, slot: { selector: '#c', action: 'replace' } }),
        campaign('fine', {
          targeting: { device: { $in: ['phone', 'mobile'] } },
          slot: { selector: '#d', action: 'replace' },
        }),
      ],
    };
    expect(codes(doc, now)).toEqual([
      'warning:never-matches:campaigns[0]',
      'warning:never-matches:campaigns[1]',
      'warning:never-matches:campaigns[2]',
    ]);
  });

  it('finds a campaign shadowed by a higher priority that takes the slot for everyone, and notes overlaps', () => {
    const doc = {
      version: 1,
      campaigns: [
        campaign('low', { priority: 1, targeting: { visits: { $gte: 2 } } }),
        campaign('everyone', { priority: 5 }),
        campaign('targeted', { priority: 9, targeting: { device: 'mobile' } }),
        campaign('tie', {
          priority: 9,
          slot: { selector: '#other', action: 'replace' },
          targeting: { device: 'mobile' },
        }),
        campaign('tie2', { priority: 9, slot: { selector: '#other', action: 'replace' } }),
      ],
    };
    expect(codes(doc)).toEqual([
      'warning:overlap:campaigns[4]',
      'info:overlap:campaigns[1]',
      'info:overlap:campaigns[0]',
      'warning:shadowed:campaigns[0]',
    ]);
  });

  it('does not call campaigns that target different values of one attribute overlapping', () => {
    const doc = {
      version: 1,
      campaigns: [
        campaign('shoes', { targeting: { topInterest: 'shoes' } }),
        campaign('bags', {
          targeting: { $and: [{ topInterest: { $in: ['bags', 'belts'] } }, { visits: { $gte: 2 } }] },
        }),
        campaign('any', { targeting: { topInterest: { $in: ['bags', 'hats'] } } }),
      ],
    };
    expect(codes(doc)).toEqual(['warning:overlap:campaigns[2]']);
  });

  it('reports selectors a streaming parser cannot match as errors', () => {
    expect(
      codes({
        version: 1,
        campaigns: [campaign('a', { slot: { selector: 'li:last-child', action: 'replace' } })],
      }),
    ).toEqual(['error:selector-not-streamable:campaigns[0].slot.selector']);
  });

  it('says when a pages or engaged-time guardrail cannot fire before more sessions than its min', () => {
    const rules = [
      // 204 sessions of a single page are the fewest that reject "mean >= 2.5" (mean-bounds.test.ts)
      { metric: 'pagesPerSession', below: 2.5, window: '1h', min: 100, action: 'pause' },
      { metric: 'pagesPerSession', below: 2.5, window: '1h', min: 204, action: 'pause' },
      { metric: 'engagedTime', above: 60, window: '1h', min: 10, action: 'pause' },
      { metric: 'ctr', below: 0.02, window: '1h', min: 10, action: 'pause' },
    ];
    const doc = compile({ version: 1, campaigns: [campaign('g', { guardrails: rules })] });
    const w = lintDocument(doc).filter((x) => x.code === 'guardrail-min');
    expect(w.map((x) => `${x.level}:${x.path}`)).toEqual([
      'info:campaigns[0].guardrails[0]',
      'info:campaigns[0].guardrails[2]',
    ]);
    expect(w[0]?.message).toMatch(
      /cannot fire before its window holds 204 sessions \(even if every one has a single page\); min 100/,
    );
    expect(w[1]?.message).toMatch(/holds 33 sessions \(even if every one is at the cap\)/);
  });

  it('has no warnings for the demo document', () => {
    const w = lintDocument(compile(demo));
    expect(w.filter((x) => x.level !== 'info')).toEqual([]);
  });
});

/**
 * Recommendation variants, pure: what the document accepts and refuses, the attribution marks, the
 * rendering of each item (escaped, URLs sanitized), the visitor read from the profile, planPage with a
 * model and a catalogue, and the fallback to the origin's content when there is nothing to show.
 */
import { describe, expect, it } from 'vitest';
import type { RequestFacts } from './attributes.ts';
import { type CompiledDocument, parseDocument, usesRecommendations } from './document.ts';
import { lintDocument } from './lint.ts';
import { planPage } from './plan.ts';
import { type CatalogueItem, learnNeighbours, type RecommendModel, type SessionEvent } from './recommend.ts';
import {
  itemPath,
  markItemTemplate,
  pageItem,
  recommendationRenderer,
  recommendContext,
  recommendVisitor,
} from './recommend-render.ts';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;

function compile(doc: unknown): CompiledDocument {
  const r = parseDocument(doc);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.doc;
}
function problems(doc: unknown): string[] {
  const r = parseDocument(doc);
  return r.ok ? [] : r.problems;
}

const campaign = (variant: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  version: 1,
  campaigns: [
    {
      id: 'recs',
      slot: { selector: '#recs', action: 'replace' },
      variants: [{ id: 'control' }, { id: 'similar', ...variant }],
      ...over,
    },
  ],
});

const LI = '<li><a href="{{ item.url }}">{{ item.title }}</a></li>';

describe('the document', () => {
  it('accepts a recommendation variant with its defaults (count 4, exclude viewed)', () => {
    const doc = compile(campaign({ recommend: { strategy: 'similar' }, html: LI }));
    const v = doc.campaigns[0]?.variants[1];
    expect(v?.recommend).toEqual({ strategy: 'similar', count: 4, exclude: 'viewed' });
    expect(v?.control).toBe(false);
    expect(usesRecommendations(doc)).toBe(true);
    expect(usesRecommendations(compile({ version: 1, campaigns: [] }))).toBe(false);
  });

  it('refuses unknown strategies, counts outside 1-12, unknown item fields and misplaced variants', () => {
    expect(problems(campaign({ recommend: { strategy: 'magic' }, html: LI })).join()).toMatch(
      /recommend\.strategy/,
    );
    expect(problems(campaign({ recommend: { strategy: 'similar', count: 13 }, html: LI })).join()).toMatch(
      /recommend\.count/,
    );
    expect(problems(campaign({ recommend: { strategy: 'similar', count: 0 }, html: LI })).join()).toMatch(
      /recommend\.count/,
    );
    expect(problems(campaign({ recommend: { strategy: 'similar', extra: 1 }, html: LI }))).not.toEqual([]);
    expect(
      problems(campaign({ recommend: { strategy: 'similar' }, html: '<li>{{ item.secret }}</li>' })),
    ).toEqual([
      'campaigns.0.variants.1.html: "{{ item.secret }}" is not an item field (id, url, title, image, price, category, position)',
    ]);
    expect(
      problems(campaign({ recommend: { strategy: 'similar' }, html: '<li>{{ item }}</li>' })).join(),
    ).toMatch(/not an item field/);
    expect(problems(campaign({ recommend: { strategy: 'similar' } })).join()).toMatch(/needs "html"/);
    expect(problems(campaign({ recommend: { strategy: 'similar' }, html: LI, value: 'x' })).join()).toMatch(
      /not "slots" or "value"/,
    );
    expect(
      problems(
        campaign(
          { recommend: { strategy: 'similar' }, html: LI },
          {
            slot: undefined,
            slots: { a: { selector: '#a', action: 'replace' }, b: { selector: '#b', action: 'replace' } },
          },
        ),
      ).join(),
    ).toMatch(/fills one slot/);
    expect(
      problems(
        campaign(
          { recommend: { strategy: 'similar' }, value: '{{ item.url }}' },
          { slot: { selector: 'a', action: 'setAttribute', name: 'href' } },
        ),
      ).join(),
    ).toMatch(/recommend/);
    // placeholders where escaping is not safe are refused as in every template
    expect(
      problems(
        campaign({ recommend: { strategy: 'similar' }, html: '<li onclick="{{ item.title }}">x</li>' }),
      ),
    ).not.toEqual([]);
  });

  it('lints item fields inside recommendation variants as known, and outside them as empty', () => {
    const ok = compile(
      campaign({
        recommend: { strategy: 'for-you' },
        html: '<li data-c="{{ item.category }}"><img src="{{ item.image }}" alt=""> {{ item.price }} #{{ item.position }} {{ item.id }} {{ topInterest }}</li>',
      }),
    );
    expect(lintDocument(ok, NOW).filter((w) => w.code === 'unknown-attribute')).toEqual([]);
    const outside = compile(campaign({ html: '<p>{{ item.title }}</p>' }));
    expect(
      lintDocument(outside, NOW)
        .map((w) => w.message)
        .join(),
    ).toMatch(/only has a value in a recommendation variant/);
  });
});

describe('markItemTemplate', () => {
  it('marks the first element, or wraps a template that does not start with one', () => {
    expect(markItemTemplate(LI)).toBe(
      '<li data-hio-item="{{ item.id }}" data-hio-pos="{{ item.position }}"><a href="{{ item.url }}">{{ item.title }}</a></li>',
    );
    expect(markItemTemplate('  <div class="card">x</div>')).toBe(
      '  <div data-hio-item="{{ item.id }}" data-hio-pos="{{ item.position }}" class="card">x</div>',
    );
    expect(markItemTemplate('<br/>')).toMatch(/^<br data-hio-item=/);
    expect(markItemTemplate('{{ item.title }}, ')).toBe(
      '<span data-hio-item="{{ item.id }}" data-hio-pos="{{ item.position }}">{{ item.title }}, </span>',
    );
    expect(markItemTemplate('<!-- x --><li></li>')).toMatch(/^<span /);
  });
});

const ITEMS: CatalogueItem[] = [
  { id: 'boot', url: '/p/boot', title: 'Boot', category: 'shoes', price: 120, image: '/img/boot.png' },
  { id: 'sock', url: '/p/sock', title: 'Sock <3 "wool"', category: 'shoes', price: 9.5 },
  { id: 'lace', url: 'https://shop.example/p/lace?ref=1', title: 'Lace', category: 'shoes' },
  { id: 'bag', url: '/p/bag/', title: 'Bag', category: 'bags' },
  { id: 'gone', url: '/p/gone', title: 'Gone', category: 'shoes', available: false },
];

/** boot is viewed with sock (often), lace and gone; bag alone. */
function model(): RecommendModel {
  const s = (...items: string[]): SessionEvent[] =>
    items.map((item, i) => ({ item, at: NOW - i * MIN, kind: 'view' }));
  return learnNeighbours(
    [
      s('boot', 'sock'),
      s('boot', 'sock'),
      s('boot', 'sock', 'lace'),
      s('boot', 'lace'),
      s('boot', 'gone'),
      s('boot', 'gone'),
      s('bag'),
    ],
    { now: NOW, shrinkage: 0 },
  );
}

describe('the page item and the visitor', () => {
  it('finds the page item by its path (absolute URLs, trailing slashes and queries aside)', () => {
    const ctx = recommendContext(ITEMS, null);
    expect(itemPath('https://shop.example/p/lace?ref=1')).toBe('/p/lace');
    expect(itemPath('javascript:alert(1)')).toBeNull();
    expect(pageItem(ctx, '/p/lace')).toBe('lace');
    expect(pageItem(ctx, '/p/bag')).toBe('bag');
    expect(pageItem(ctx, '/p/boot/')).toBe('boot');
    expect(pageItem(ctx, '/p/none')).toBeNull();
  });

  it('reads viewed, bought and carted items from the profile', () => {
    const v = recommendVisitor(
      { 'iv.boot': NOW - MIN, 'iv.sock': NOW, 'ib.bag': NOW, 'ic.bag': 3, 'ic.lace': 4, 'i.shoes': 2, v: 4 },
      'shoes',
    );
    expect(v.viewed).toEqual([
      { item: 'boot', at: NOW - MIN },
      { item: 'sock', at: NOW },
    ]);
    expect(v.purchased).toEqual(['bag']);
    expect(v.cart).toEqual(['lace']);
    expect(v.topInterest).toBe('shoes');
  });
});

describe('rendering', () => {
  const render = (html: string, profile = {}, path = '/p/boot', ctx = recommendContext(ITEMS, model())) => {
    const doc = compile(campaign({ recommend: { strategy: 'similar', count: 3 }, html }));
    const v = doc.campaigns[0]?.variants[1];
    return recommendationRenderer({ ctx, profile, attributes: { topInterest: 'shoes' }, path })(
      v?.recommend as NonNullable<typeof v>['recommend'] & object,
      v?.contents[0] as NonNullable<NonNullable<typeof v>['contents'][0]>,
    );
  };

  it('renders each item once, marked with its id and position, escaped', () => {
    expect(render(LI)).toBe(
      [
        '<li data-hio-item="sock" data-hio-pos="1"><a href="/p/sock">Sock &lt;3 &quot;wool&quot;</a></li>',
        '<li data-hio-item="lace" data-hio-pos="2"><a href="https://shop.example/p/lace?ref=1">Lace</a></li>',
        // gone is unavailable: the rest comes from the fallbacks (popularity)
        '<li data-hio-item="bag" data-hio-pos="3"><a href="/p/bag/">Bag</a></li>',
      ].join(''),
    );
  });

  it('renders the other item fields and the visitor attributes', () => {
    expect(
      render(
        '<li><img src="{{ item.image }}" alt="{{ item.title }}">{{ item.price }} {{ item.category }} {{ topInterest }}</li>',
        {},
        '/p/sock',
      ),
    ).toMatch(
      /^<li data-hio-item="boot" data-hio-pos="1"><img src="\/img\/boot.png" alt="Boot">120 shoes shoes<\/li>/,
    );
  });

  it('keeps a javascript: URL out of the page even if one reached the catalogue', () => {
    const bad = ITEMS.map((i) => (i.id === 'sock' ? { ...i, url: 'javascript:alert(1)' } : i));
    const html = render(LI, {}, '/p/boot', recommendContext(bad, model()));
    expect(html).toContain('<li data-hio-item="sock" data-hio-pos="1"><a href="">');
    expect(html).not.toContain('javascript');
  });

  it('leaves out what the visitor viewed (exclude: viewed, the default)', () => {
    expect(render(LI, { 'iv.sock': NOW - MIN })).toMatch(/^<li data-hio-item="lace" data-hio-pos="1">/);
  });

  it('has nothing to show without a model or a catalogue', () => {
    expect(render(LI, {}, '/p/boot', recommendContext(ITEMS, null))).toBeUndefined();
    expect(render(LI, {}, '/p/boot', recommendContext([], model()))).toBeUndefined();
  });
});

function facts(path: string): RequestFacts {
  return {
    url: new URL(`https://shop.example${path}`),
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0',
    referer: null,
    country: null,
    timezone: null,
    now: NOW,
    category: null,
  };
}

describe('planPage with a recommendation variant', () => {
  const doc = compile(
    campaign({ recommend: { strategy: 'similar', count: 2 }, html: LI }, { weights: [0, 1] }),
  );
  const plan = (recommendations: ReturnType<typeof recommendContext> | null, stored = {}) =>
    planPage({ doc, visitorId: 'v1', stored, facts: facts('/p/boot'), mode: 'page', recommendations });

  it('renders the neighbours of the page item into the slot', () => {
    const p = plan(recommendContext(ITEMS, model()), {
      'iv.lace': NOW - 5 * MIN,
      fs: NOW - MIN,
      ls: NOW - MIN,
      v: 1,
    });
    expect(p.rewrite.writes).toEqual([
      {
        selector: '#recs',
        action: 'replace',
        name: undefined,
        campaign: 'recs',
        variant: 'similar',
        content:
          '<li data-hio-item="sock" data-hio-pos="1"><a href="/p/sock">Sock &lt;3 &quot;wool&quot;</a></li>' +
          '<li data-hio-item="bag" data-hio-pos="2"><a href="/p/bag/">Bag</a></li>',
      },
    ]);
  });

  it('keeps the origin content, still assigned and marked, when there is nothing to show', () => {
    for (const ctx of [null, recommendContext(ITEMS, null)]) {
      const p = plan(ctx);
      expect(p.rewrite.writes).toMatchObject([{ campaign: 'recs', variant: 'similar', content: undefined }]);
      // the visitor is exposed to the variant they were assigned (intent to treat)
      expect(p.settle(new Set(['recs'])).measurement.exposures.map((e) => e.variantId)).toContain('similar');
    }
  });
});

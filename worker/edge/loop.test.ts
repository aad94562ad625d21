import { describe, expect, it } from 'vitest';
import {
  ADMIN,
  call,
  collect,
  eventId,
  me,
  page,
  putConfig,
  settle,
  visitorCookie,
} from '../test/helpers.ts';

const DOC = {
  version: 1,
  segments: { shoppers: { 'interests.shoes': { $gte: 1 } } },
  campaigns: [
    {
      id: 'post-purchase',
      priority: 30,
      slot: { selector: '#hero', action: 'replace' },
      targeting: { 'conversions.purchase': { $gte: 1 } },
      variants: [{ id: 'thanks', html: '<p class="b">Thanks for your order</p>' }],
    },
    {
      id: 'shoes-affinity',
      priority: 20,
      slot: { selector: '#hero', action: 'replace' },
      targeting: { segments: { $in: ['shoppers'] }, topInterest: 'shoes' },
      variants: [{ id: 'shoes', html: '<p class="b">Back for more {{ topInterest }}?</p>' }],
    },
    {
      id: 'welcome',
      priority: 10,
      slot: { selector: '#hero', action: 'replace' },
      targeting: { newVisitor: true },
      variants: [{ id: 'welcome', html: '<p class="b">Welcome!</p>' }],
    },
    {
      id: 'offer',
      slot: { selector: '#offer', action: 'append' },
      targeting: { engaged: true, 'conversions.purchase': { $exists: false } },
      variants: [{ id: 'ten-off', html: '<a class="cta">10% off: SHOES10</a>' }],
    },
  ],
};

function hero(html: string): string {
  return /<section id="hero"[^>]*>(.*?)<\/section>/s.exec(html)?.[1] ?? '';
}

describe('the personalization loop', () => {
  it('changes the page because of what the visitor did on earlier pages', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    const first = await page('/');
    const cookie = visitorCookie(first);
    const html1 = await first.text();
    expect(hero(html1)).toBe('<p class="b">Welcome!</p>');
    expect(html1).toContain('data-hio-campaign="welcome" data-hio-variant="welcome"');
    expect(html1).not.toContain('SHOES10');

    // browse and read the shoes pages
    for (let i = 0; i < 2; i++) {
      expect((await page('/c/shoes', cookie)).status).toBe(200);
      const r = await collect(cookie, {
        events: [
          { t: 'pageview', id: eventId(), path: '/c/shoes', category: 'shoes' },
          { t: 'scroll', id: eventId(), depth: 75 },
          { t: 'engaged', id: eventId(), ms: 20_000 },
        ],
      });
      expect(r.status).toBe(204);
    }
    const html2 = await (await page('/', cookie)).text();
    expect(hero(html2)).toBe('<p class="b">Back for more shoes?</p>');
    expect(html2).toContain('<a class="cta">10% off: SHOES10</a></div>');

    const why = await me(cookie);
    const campaigns = why.campaigns as { campaign: string; status: string; reason: string }[];
    expect(campaigns.find((c) => c.campaign === 'shoes-affinity')?.status).toBe('assigned');
    expect(campaigns.find((c) => c.campaign === 'welcome')?.status).toBe('slot-taken');
    expect(campaigns.find((c) => c.campaign === 'post-purchase')?.reason).toMatch(/conversions\.purchase/);
    expect(why.segments).toEqual(['shoppers']);

    const buy = await collect(cookie, {
      events: [{ t: 'conversion', id: eventId(), goal: 'purchase', value: 80 }],
    });
    expect(buy.status).toBe(204);
    const html3 = await (await page('/', cookie)).text();
    expect(hero(html3)).toBe('<p class="b">Thanks for your order</p>');
    expect(html3).not.toContain('SHOES10');
  });

  it('escapes attributes inserted by templates', async () => {
    await putConfig({
      version: 1,
      campaigns: [
        {
          id: 'utm',
          slot: { selector: '#hero', action: 'replace' },
          variants: [{ id: 'v', html: '<p>From {{ utm_source }}</p>' }],
        },
      ],
    });
    const html = await (await page('/?utm_source=%3Cscript%3Ealert(1)%3C/script%3E')).text();
    expect(hero(html)).toBe('<p>From &lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('supports every slot action and marks the slot', async () => {
    // on a slot with content (<h1>Original hero</h1>), so prepend and append differ from each other
    // and from replace
    const actions = ['replace', 'prepend', 'append', 'before', 'after'] as const;
    const marked = 'data-hio-campaign="c" data-hio-variant="v"';
    const original = '<h1>Original hero</h1>';
    for (const action of actions) {
      await putConfig({
        version: 1,
        campaigns: [
          { id: 'c', slot: { selector: '#hero', action }, variants: [{ id: 'v', html: '<i>x</i>' }] },
        ],
      });
      const html = await (await page('/')).text();
      const expected = {
        replace: `<section id="hero" ${marked}><i>x</i></section>`,
        prepend: `<section id="hero" ${marked}><i>x</i>${original}</section>`,
        append: `<section id="hero" ${marked}>${original}<i>x</i></section>`,
        before: `<div ${marked}><i>x</i></div><section id="hero">${original}</section>`,
        after: `<section id="hero">${original}</section><div ${marked}><i>x</i></div>`,
      }[action];
      expect(html, action).toContain(expected);
    }
    await putConfig({
      version: 1,
      campaigns: [
        {
          id: 'c',
          slot: { selector: 'p.cta a', action: 'setAttribute', name: 'href' },
          variants: [{ id: 'v', value: '/p/2?from={{ path }}' }],
        },
      ],
    });
    const html = await (await page('/')).text();
    expect(html).toContain('<a href="/p/2?from=/" data-hio-campaign="c" data-hio-variant="v">now</a>');
  });

  it('marks the control without changing the content', async () => {
    await putConfig({
      version: 1,
      campaigns: [{ id: 'c', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'control' }] }],
    });
    const html = await (await page('/')).text();
    expect(html).toContain(
      '<section id="hero" data-hio-campaign="c" data-hio-variant="control"><h1>Original hero</h1></section>',
    );
  });

  it('treats a forged cookie as a new visitor', async () => {
    await putConfig(DOC);
    const first = await page('/');
    const cookie = visitorCookie(first);
    await collect(cookie, { events: [{ t: 'conversion', id: eventId(), goal: 'purchase' }] });
    const forged = `${cookie.slice(0, -3)}AAA`;
    const res = await page('/', forged);
    expect(hero(await res.text())).toBe('<p class="b">Welcome!</p>');
    expect(visitorCookie(res)).not.toBe(cookie);
  });
});

describe('/__hio/me', () => {
  it('erases everything on DELETE and clears the cookie', async () => {
    await putConfig(DOC);
    const cookie = visitorCookie(await page('/'));
    await collect(cookie, { events: [{ t: 'conversion', id: eventId(), goal: 'purchase' }] });
    await settle();
    expect(Object.keys((await me(cookie)).stored as object).length).toBeGreaterThan(0);
    const del = await call('/__hio/me', { method: 'DELETE', headers: { cookie } });
    expect(del.status).toBe(200);
    expect(del.headers.getSetCookie()[0]).toMatch(/^hio_vid=; Max-Age=0/);
    expect((await me(cookie)).stored).toEqual({});
  });

  it('says nothing is stored without a cookie', async () => {
    const res = await call('/__hio/me');
    expect(((await res.json()) as { visitor: null }).visitor).toBeNull();
  });
});

describe('/__hio/health and /__hio/client.js', () => {
  it('reports the backends', async () => {
    const h = (await (await call('/__hio/health')).json()) as {
      ok: boolean;
      backends: { state: string; measurement: string; eventLog: string; htmlCache: string };
    };
    expect(h.ok).toBe(true);
    expect(h.backends.state).toBe('kv');
    // the tests bind the queue and the event log (wrangler.toml), and write D1 directly (MEASUREMENT_QUEUE=off)
    expect(h.backends).toMatchObject({ measurement: 'direct', eventLog: 'r2', htmlCache: 'off' });
  });

  it('serves the script with a validator', async () => {
    const res = await call('/__hio/client.js');
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const etag = res.headers.get('etag') as string;
    expect(etag).toMatch(/^".+"$/);
    expect((await res.text()).length).toBeGreaterThan(500);
    expect((await call('/__hio/client.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});

describe('exposure', () => {
  it('counts a visitor as exposed only on a page that has the campaign slot', async () => {
    await putConfig({
      version: 1,
      campaigns: [
        {
          id: 'footer-only',
          slot: { selector: '#not-on-this-page', action: 'replace' },
          variants: [{ id: 'control' }, { id: 'v', html: 'x' }],
        },
      ],
    });
    const res = await page('/page');
    const cookie = visitorCookie(res);
    await res.text();
    await settle();
    expect((await me(cookie)).assignments).toEqual({});
    const results = (await (await call('/__hio/admin/results', { headers: ADMIN })).json()) as {
      campaigns: { variants: { visitors: number }[] }[];
    };
    expect(results.campaigns[0]?.variants.map((v) => v.visitors)).toEqual([0, 0]);
  });
});

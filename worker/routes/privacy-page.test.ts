/**
 * `/__hio/me` for the visitor: only the campaigns that run now, reasons without the campaigns'
 * configuration; the privacy page (HTML for a browser, JSON otherwise), its opt-out switch and its erase
 * button, which refuse posts from other sites. The three POST routes are called through their handlers
 * until app.ts registers them; everything else goes through the worker.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDeps } from '../deps.ts';
import { BASE, call, collect, eventId, me, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';
import { decidingAttributes } from './me.ts';
import {
  handleErase,
  handleOptIn,
  handleOptOut,
  hasOptedOut,
  PRIVACY_CSP,
  wantsHtml,
} from './privacy-page.ts';

const DOC = {
  version: 1,
  settings: { goals: ['newsletter'] },
  campaigns: [
    {
      id: 'hero-live',
      priority: 20,
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'bold', html: '<p>Bold &amp; new</p>' }],
    },
    {
      id: 'loyal-only',
      priority: 10,
      slot: { selector: '#offer', action: 'append' },
      targeting: { $and: [{ device: { $in: ['desktop', 'mobile'] } }, { visits: { $gte: 7 } }] },
      variants: [{ id: 'gift', html: '<p>gift</p>' }],
    },
    {
      id: 'secret-draft-sale',
      status: 'draft',
      slot: { selector: '#offer', action: 'append' },
      targeting: { country: 'XX-DRAFT-COUNTRY' },
      variants: [{ id: 'seventy-off', html: '<p>70% off</p>' }],
    },
    {
      id: 'paused-promo',
      status: 'paused',
      slot: { selector: '#offer', action: 'append' },
      targeting: { utm_source: 'PAUSED-SOURCE' },
      variants: [{ id: 'promo', html: '<p>promo</p>' }],
    },
    {
      id: 'future-launch',
      start: '2099-01-01T00:00:00Z',
      slot: { selector: '#offer', action: 'append' },
      variants: [{ id: 'launch', html: '<p>launch</p>' }],
    },
  ],
};
const HIDDEN = [
  'secret-draft-sale',
  'paused-promo',
  'future-launch',
  'XX-DRAFT-COUNTRY',
  'PAUSED-SOURCE',
  '2099',
];

const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** A POST route as app.ts will register it, with the worker's real deps. */
async function post(
  path: '/__hio/me/optout' | '/__hio/me/optin' | '/__hio/me/erase',
  headers: Record<string, string>,
): Promise<Response> {
  const req = new Request(BASE + path, { method: 'POST', headers });
  if (path === '/__hio/me/optout') return handleOptOut(req);
  if (path === '/__hio/me/optin') return handleOptIn(req);
  const ctx = createExecutionContext();
  const res = await handleErase(createDeps(env, ctx), req);
  await waitOnExecutionContext(ctx);
  return res;
}

async function visitor(): Promise<string> {
  expect((await putConfig(DOC)).status).toBe(200);
  const cookie = visitorCookie(await page('/'));
  const r = await collect(cookie, {
    events: [
      { t: 'pageview', id: eventId(), path: '/c/shoes', category: 'shoes' },
      { t: 'conversion', id: eventId(), goal: 'purchase', value: 42 },
    ],
  });
  expect(r.status).toBe(204);
  await settle();
  return cookie;
}

describe('/__hio/me shows only what concerns the visitor', () => {
  it('names no draft, paused or scheduled campaign, nor their targeting or dates, in JSON or HTML', async () => {
    const cookie = await visitor();
    const res = await call('/__hio/me', { headers: { cookie, accept: 'application/json' } });
    const text = await res.text();
    for (const s of HIDDEN) expect(text).not.toContain(s);
    const html = await (await call('/__hio/me', { headers: { cookie, accept: HTML_ACCEPT } })).text();
    for (const s of HIDDEN) expect(html).not.toContain(s);
    const body = JSON.parse(text) as { campaigns: { campaign: string; status: string }[] };
    expect(body.campaigns.map((c) => c.campaign)).toEqual(['hero-live', 'loyal-only']);
  });

  it('says which of the visitor own values decided a campaign was not for them, not what it looks for', async () => {
    const cookie = await visitor();
    const body = (await me(cookie)) as {
      campaigns: { campaign: string; status: string; reason: string; decidedBy?: object }[];
    };
    const loyal = body.campaigns.find((c) => c.campaign === 'loyal-only');
    expect(loyal?.status).toBe('not-targeted');
    expect(loyal?.decidedBy).toEqual({ visits: 1 });
    expect(loyal?.reason).toBe('Not shown: it is meant for other visitors. Decided by your visits (1).');
    // the threshold and the operators stay the site's
    expect(JSON.stringify(body.campaigns)).not.toMatch(/\$gte|\b7\b|desktop/);
  });

  it('finds the deciding attributes through $and, $or and $not, with the visitor values (null when missing)', () => {
    const attrs = { visits: 1, device: 'mobile', conversions: { purchase: 2 } };
    expect(decidingAttributes(attrs, { visits: { $gte: 2 } }, {})).toEqual({ visits: 1 });
    expect(
      decidingAttributes(attrs, { $and: [{ device: 'mobile' }, { 'conversions.purchase': { $gt: 5 } }] }, {}),
    ).toEqual({ 'conversions.purchase': 2 });
    expect(
      decidingAttributes(attrs, { $or: [{ country: 'FR' }, { device: { $in: ['desktop'] } }] }, {}),
    ).toEqual({ country: null, device: 'mobile' });
    expect(decidingAttributes(attrs, { $not: { visits: 1 } }, {})).toEqual({ visits: 1 });
    expect(decidingAttributes(attrs, { visits: 1 }, {})).toEqual({});
  });
});

describe('the privacy page', () => {
  it('is HTML for a browser and JSON otherwise', () => {
    const req = (accept?: string, q = '') =>
      new Request(`${BASE}/__hio/me${q}`, { headers: accept ? { accept } : {} });
    expect(wantsHtml(req(HTML_ACCEPT))).toBe(true);
    expect(wantsHtml(req('text/html'))).toBe(true);
    expect(wantsHtml(req())).toBe(false);
    expect(wantsHtml(req('*/*'))).toBe(false);
    expect(wantsHtml(req('application/json'))).toBe(false);
    expect(wantsHtml(req('application/json, text/html;q=0.5'))).toBe(false);
    expect(wantsHtml(req('text/html;q=0'))).toBe(false);
    expect(wantsHtml(req(HTML_ACCEPT, '?format=json'))).toBe(false);
  });

  it('tells what is stored and why, in words, with no script and everything escaped', async () => {
    const utm = {
      id: 'from-newsletter',
      slot: { selector: '#offer', action: 'append' },
      targeting: { utm_source: 'newsletter' },
      variants: [{ id: 'hi', html: '<p>hi</p>' }],
    };
    expect((await putConfig({ ...DOC, campaigns: [...DOC.campaigns, utm] })).status).toBe(200);
    const cookie = visitorCookie(await page('/'));
    const evil = '"><img src=x onerror=alert(1)>';
    expect(
      (
        await collect(cookie, {
          events: [
            { t: 'pageview', id: eventId(), path: '/x', category: 'shoes' },
            { t: 'conversion', id: eventId(), goal: 'newsletter', value: 3 },
          ],
        })
      ).status,
    ).toBe(204);
    await settle();
    // the visitor's own utm_source, from the page they came from, decides a campaign: shown, escaped
    const res = await call('/__hio/me', {
      headers: {
        cookie,
        accept: HTML_ACCEPT,
        referer: `${BASE}/c/shoes?utm_source=${encodeURIComponent(evil)}`,
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(PRIVACY_CSP);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('vary')).toMatch(/Accept/);
    const html = await res.text();
    expect(html).not.toMatch(/<script|<img|javascript:/i);
    expect(html).toContain('<b>Visits:</b> 1');
    expect(html).toContain('shoes');
    expect(html).toContain('newsletter × 1 (value 3)');
    expect(html).toContain(
      '<b>from-newsletter</b>: Not shown: it is meant for other visitors. Decided by your utm_source (&quot;\\&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&quot;).',
    );
    expect(html).toContain('For the page <code>/c/shoes</code>');
    expect(html).toContain('<b>hero-live</b>: You see version &quot;bold&quot; of this campaign.');
    expect(html).toContain(
      '<b>loyal-only</b>: Not shown: it is meant for other visitors. Decided by your visits (1).',
    );
    expect(html).toContain('action="/__hio/me/optout"');
    expect(html).toContain('action="/__hio/me/erase"');
  });

  it('explains the page the visitor came from (same-origin Referer), never another site', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    const cookie = visitorCookie(await page('/'));
    const from = async (referer: string) =>
      (await (await call('/__hio/me', { headers: { cookie, accept: HTML_ACCEPT, referer } })).text()).match(
        /For the page <code>([^<]*)<\/code>/,
      )?.[1];
    expect(await from(`${BASE}/c/bags?x=1`)).toBe('/c/bags');
    expect(await from('https://evil.example/steal')).toBe('/');
    expect(await from(`${BASE}/__hio/dashboard`)).toBe('/');
  });

  it('without a cookie says nothing is stored, and still offers the switch', async () => {
    const html = await (await call('/__hio/me', { headers: { accept: HTML_ACCEPT } })).text();
    expect(html).toContain('HIO has nothing stored about you');
    expect(html).toContain('action="/__hio/me/optout"');
    expect(html).not.toContain('/__hio/me/erase');
  });

  it('turns personalization off and back on for this browser with a cookie', async () => {
    const off = await post('/__hio/me/optout', { 'sec-fetch-site': 'same-origin' });
    expect(off.status).toBe(303);
    expect(off.headers.get('location')).toBe('/__hio/me');
    const set = off.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^hio_optout=1; Max-Age=34560000; Path=\/; HttpOnly; SameSite=Lax$/);
    const optedOut = 'hio_optout=1';
    expect(hasOptedOut(new Request(BASE, { headers: { cookie: optedOut } }))).toBe(true);
    const html = await (
      await call('/__hio/me', { headers: { cookie: optedOut, accept: HTML_ACCEPT } })
    ).text();
    expect(html).toContain('you turned it off');
    expect(html).toContain('action="/__hio/me/optin"');
    const on = await post('/__hio/me/optin', { 'sec-fetch-site': 'same-origin', cookie: optedOut });
    expect(on.status).toBe(303);
    expect(on.headers.get('set-cookie')).toMatch(/^hio_optout=; Max-Age=0; Path=\//);
  });

  it('shows Global Privacy Control as off', async () => {
    const html = await (await call('/__hio/me', { headers: { accept: HTML_ACCEPT, 'sec-gpc': '1' } })).text();
    expect(html).toContain('Global Privacy Control');
  });

  it('erases everything from the page and confirms it', async () => {
    const cookie = await visitor();
    expect(Object.keys((await me(cookie)).stored as object).length).toBeGreaterThan(0);
    const res = await post('/__hio/me/erase', { cookie, origin: BASE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(PRIVACY_CSP);
    expect(res.headers.get('set-cookie')).toMatch(/^hio_vid=; Max-Age=0/);
    expect(await res.text()).toContain('has been erased');
    expect((await me(cookie)).stored).toEqual({});
  });

  it('refuses the forms when posted from another site, and changes nothing', async () => {
    const cookie = await visitor();
    for (const headers of <Record<string, string>[]>[
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
    ]) {
      for (const path of ['/__hio/me/optout', '/__hio/me/optin', '/__hio/me/erase'] as const) {
        const res = await post(path, { ...headers, cookie });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
    expect(Object.keys((await me(cookie)).stored as object).length).toBeGreaterThan(0);
  });
});

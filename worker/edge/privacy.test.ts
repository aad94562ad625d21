import { describe, expect, it } from 'vitest';
import { PAGE } from '../test/fixtures.ts';
import { collect, eventId, me, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

const campaigns = [
  { id: 'all', slot: { selector: '#hero', action: 'replace' }, variants: [{ id: 'v', html: '<b>hi</b>' }] },
];

describe('privacy', () => {
  it('serves the origin page untouched, with no cookie, to a browser sending Global Privacy Control', async () => {
    await putConfig({ version: 1, campaigns });
    const res = await page('/page', undefined, { headers: { 'sec-gpc': '1' } });
    expect(await res.text()).toBe(PAGE);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('personalizes and profiles a Global Privacy Control browser when the site switches honouring off', async () => {
    await putConfig({
      version: 1,
      settings: { goals: ['g'], privacy: { honorGlobalPrivacyControl: false } },
      campaigns,
    });
    const gpc = { headers: { 'sec-gpc': '1' } };
    const res = await page('/page', undefined, gpc);
    const html = await res.text();
    expect(html).toContain('<b>hi</b>');
    expect(html).toContain('/__hio/client.js');
    expect(res.headers.get('server-timing')).not.toMatch(/hio-skip/);
    const cookie = visitorCookie(res);
    const r = await collect(cookie, { events: [{ t: 'conversion', id: eventId(), goal: 'g' }] }, gpc);
    expect(r.status).toBe(204);
    expect((await me(cookie)).stored).toMatchObject({ 'c.g': 1 });
  });

  it('profiles only visitors with the consent cookie when the site requires consent', async () => {
    await putConfig({
      version: 1,
      settings: { privacy: { consentCookie: { name: 'consent', value: 'yes' } } },
      campaigns,
    });
    const without = await page('/page');
    expect(await without.text()).toBe(PAGE);
    expect(without.headers.getSetCookie()).toEqual([]);
    const withConsent = await page('/page', 'consent=yes');
    expect(await withConsent.text()).toContain('<b>hi</b>');
    await settle();
    const cookie = `${visitorCookie(withConsent)}; consent=yes`;
    // consent withdrawn: beacons are accepted and dropped, nothing stored
    const before = (await me(cookie)).stored;
    const res = await collect(cookie.replace('; consent=yes', '; consent=no'), {
      events: [{ t: 'conversion', id: eventId(), goal: 'g' }],
    });
    expect(res.status).toBe(204);
    expect((await me(cookie)).stored).toEqual(before);
  });
});

import { describe, expect, it } from 'vitest';
import { collect, eventId, me, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

const DOC = {
  version: 1,
  settings: { signals: { hesitatedSeconds: 15 } },
  campaigns: [
    {
      id: 'help',
      slot: { selector: '#offer', action: 'append' },
      targeting: { hesitated: true },
      stable: true,
      variants: [{ id: 'chat', html: '<p class="help">Need help choosing?</p>' }],
    },
  ],
};

describe('micro-signals on the next request', () => {
  it('a visitor who hesitated on a page gets help on the next one; a stable campaign keeps it', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    const first = await page('/c/shoes');
    const cookie = visitorCookie(first);
    expect(await first.text()).not.toContain('Need help choosing?');
    // 18 s engaged on the page, no click
    const r = await collect(cookie, {
      events: [
        { t: 'pageview', id: eventId(), path: '/c/shoes' },
        { t: 'engaged', id: eventId(), ms: 18_000 },
      ],
    });
    expect(r.status).toBe(204);
    await settle();
    const why = await me(cookie);
    const signals = why.signals as Record<string, { value: boolean; why: string }>;
    expect(signals.hesitated).toEqual({
      value: true,
      why: 'engaged 18 s on /c/shoes without a click; threshold 15 s without a click',
    });
    expect((why.attributes as Record<string, unknown>).hesitated).toBe(true);

    const second = await (await page('/c/shoes', cookie)).text();
    expect(second).toContain('<p class="help">Need help choosing?</p>');
    await settle();

    // the next page is reported with a click: no longer hesitated, but the stable campaign keeps its slot
    await collect(cookie, {
      events: [
        { t: 'pageview', id: eventId(), path: '/c/shoes' },
        { t: 'engaged', id: eventId(), ms: 3_000 },
        { t: 'click', id: eventId(), campaign: 'help', variant: 'chat' },
      ],
    });
    await settle();
    const after = await me(cookie);
    expect((after.signals as Record<string, { value: boolean }>).hesitated?.value).toBe(false);
    expect(await (await page('/c/shoes', cookie)).text()).toContain('Need help choosing?');
  });
});

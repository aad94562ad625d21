import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, eventId, me, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

const DOC = {
  version: 1,
  settings: { slotChanges: 'session', goals: ['purchase'] },
  campaigns: [
    {
      id: 'buyer',
      priority: 100,
      slot: { selector: '#offer', action: 'append' },
      targeting: { 'conversions.purchase': { $gte: 1 } },
      variants: [{ id: 'thanks', html: '<p class="b">Thanks for your order</p>' }],
    },
    {
      id: 'hello',
      priority: 10,
      slot: { selector: '#offer', action: 'append' },
      variants: [{ id: 'hi', html: '<p class="h">Hello there</p>' }],
    },
  ],
};

afterEach(() => {
  vi.useRealTimers();
});

describe('slotChanges: "session"', () => {
  it('a targeting change mid-session does not switch the slot until the next session', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    const first = await page('/');
    const cookie = visitorCookie(first);
    expect(await first.text()).toContain('Hello there');
    await settle();
    await collect(cookie, {
      events: [
        { t: 'pageview', id: eventId(), path: '/' },
        { t: 'conversion', id: eventId(), goal: 'purchase' },
      ],
    });
    await settle();
    // bought: buyer now targets the visitor, but hello keeps the slot for this session
    const second = await (await page('/', cookie)).text();
    expect(second).toContain('Hello there');
    expect(second).not.toContain('Thanks for your order');
    await settle();
    const why = (await me(cookie)).campaigns as Array<{ campaign: string; reason: string }>;
    expect(why.find((c) => c.campaign === 'buyer')?.reason).toContain('slot did not change');
    expect(why.find((c) => c.campaign === 'hello')?.reason).toContain('Kept for this session');
    // the next session (after the 30 min idle timeout): the slot changes once
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 31 * 60_000);
    const next = await (await page('/', cookie)).text();
    expect(next).toContain('Thanks for your order');
    await settle();
  });
});

/**
 * Measurement rows follow from the events, not from whether this particular store call applied them:
 * a batch resent after its reply was lost (the store has every event already) still writes the rows D1
 * is missing, and counts nothing twice.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

describe('a resent batch', () => {
  it('writes the measurement rows D1 lacks, once', async () => {
    await putConfig({
      version: 1,
      campaigns: [
        {
          id: 'rows',
          slot: { selector: '#hero', action: 'replace' },
          variants: [{ id: 'v', html: 'x' }],
          goals: ['buy'],
        },
      ],
    });
    const res = await page('/page');
    const cookie = visitorCookie(res);
    await res.text();
    await settle();
    const batch = { events: [{ t: 'conversion', id: eventId(), goal: 'buy', value: 7 }] };
    expect((await collect(cookie, batch)).status).toBe(204);
    await settle();
    const count = async () =>
      (
        await env.HIO_DB.prepare(
          "SELECT COUNT(*) AS n FROM conversion_events WHERE campaign_id = 'rows'",
        ).first<{
          n: number;
        }>()
      )?.n;
    expect(await count()).toBe(1);
    // the D1 write of that request was lost (as when Upstash applied the events but its reply never came)
    await env.HIO_DB.prepare("DELETE FROM conversion_events WHERE campaign_id = 'rows'").run();
    expect((await collect(cookie, batch)).status).toBe(204);
    await settle();
    expect(await count()).toBe(1);
    expect((await collect(cookie, batch)).status).toBe(204);
    await settle();
    expect(await count()).toBe(1);
  });
});

/**
 * `POST /__hio/admin/bandits` on a bandit campaign run through the worker with known true rates:
 * after traffic, the shares move toward the variant that converts better, and the results API and
 * `bandit_state` hold the new shares.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { mulberry32, type Report } from '../engine/index.ts';
import { ADMIN, call, collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';

const DOC = {
  version: 1,
  campaigns: [
    {
      id: 'bandit-hero',
      allocation: 'bandit',
      slot: { selector: '#hero', action: 'replace' },
      weights: [0.5, 0.5],
      variants: [{ id: 'control' }, { id: 'bold', html: '<h1>Bold</h1>' }],
      goals: ['purchase'],
    },
  ],
};
// clearly different: 5 % against 60 %
const TRUE_RATE: Record<string, number> = { control: 0.05, bold: 0.6 };

async function campaign(): Promise<Report['campaigns'][number] | undefined> {
  const res = await call('/__hio/admin/results', { headers: ADMIN });
  return ((await res.json()) as Report).campaigns.find((c) => c.id === 'bandit-hero');
}

const update = (headers: Record<string, string> = ADMIN) =>
  call('/__hio/admin/bandits', { method: 'POST', headers });

describe('POST /__hio/admin/bandits', () => {
  it('needs the admin token', async () => {
    expect((await update({})).status).toBe(401);
  });

  it('moves the shares toward the variant that converts better', { timeout: 60_000 }, async () => {
    await putConfig(DOC);
    // too few visitors yet: the starting shares stay
    expect(await (await update()).json()).toEqual({ updated: [], contextual: [] });
    expect((await campaign())?.variants.map((v) => v.weight)).toEqual([0.5, 0.5]);

    const rand = mulberry32(3);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 80; i++) {
      const res = await page('/');
      const cookie = visitorCookie(res);
      const variant = /data-hio-variant="([^"]+)"/.exec(await res.text())?.[1] as string;
      seen[variant] = (seen[variant] ?? 0) + 1;
      if (rand() < (TRUE_RATE[variant] ?? 0)) {
        await settle();
        const buy = { events: [{ t: 'conversion', id: eventId(), goal: 'purchase', value: 10 }] };
        expect((await collect(cookie, buy)).status).toBe(204);
      }
    }
    await settle();
    expect(seen.control).toBeGreaterThan(20);
    expect(seen.bold).toBeGreaterThan(20);

    const res = await update();
    expect(res.status).toBe(200);
    const { updated } = (await res.json()) as { updated: { campaignId: string; weights: number[] }[] };
    expect(updated.map((u) => u.campaignId)).toEqual(['bandit-hero']);
    const weights = updated[0]?.weights as number[];
    expect(weights[0]! + weights[1]!).toBeCloseTo(1, 9);
    // the loser keeps at least the exploration floor (5 % for two arms), the winner most of the rest
    expect(weights[1]).toBeGreaterThan(0.8);
    expect(weights[0]).toBeGreaterThanOrEqual(0.05);

    // read back: the results API reports the shares now in force, and D1 holds them
    expect((await campaign())?.variants.map((v) => v.weight)).toEqual(weights);
    const row = await env.HIO_DB.prepare(
      "SELECT weights FROM bandit_state WHERE campaign_id = 'bandit-hero' AND seed = 'bandit-hero'",
    ).first<{ weights: string }>();
    expect(JSON.parse(row?.weights ?? 'null')).toEqual(weights);
  });
});

/**
 * The beacon against other sites and floods: a batch posted from another site is refused (403) and
 * changes nothing; too many batches of one visitor in a minute get 429 with Retry-After.
 */
import { describe, expect, it } from 'vitest';
import { collect, eventId, me, page, putConfig, visitorCookie } from '../test/helpers.ts';
import { BEACON_LIMITS } from './collect.ts';

async function visitor(): Promise<string> {
  await putConfig({ version: 1, settings: { goals: ['purchase'] }, campaigns: [] });
  return visitorCookie(await page('/page'));
}

const purchase = () => ({ events: [{ t: 'conversion', id: eventId(), goal: 'purchase', value: 10 }] });
const conversions = async (cookie: string) =>
  ((await me(cookie)).profile as { conversions: Record<string, number> }).conversions.purchase ?? 0;

describe('beacons from other sites', () => {
  it('are refused when the browser says cross-site, or Origin names another host', async () => {
    const cookie = await visitor();
    const cross = await collect(cookie, purchase(), { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(cross.status).toBe(403);
    const origin = await collect(cookie, purchase(), { headers: { origin: 'https://evil.example' } });
    expect(origin.status).toBe(403);
    expect(await conversions(cookie)).toBe(0);
  });

  it('are taken from the same origin, and from servers that send neither header', async () => {
    const cookie = await visitor();
    expect((await collect(cookie, purchase(), { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(
      204,
    );
    expect((await collect(cookie, purchase(), { headers: { origin: 'http://hio.test' } })).status).toBe(204);
    expect((await collect(cookie, purchase())).status).toBe(204);
    expect(await conversions(cookie)).toBe(3);
  });
});

describe('floods', () => {
  it(`answer 429 past ${BEACON_LIMITS.perVisitor} batches of one visitor a minute, and keep other visitors working`, async () => {
    const cookie = await visitor();
    const statuses: number[] = [];
    for (let i = 0; i < BEACON_LIMITS.perVisitor + 5; i++)
      statuses.push((await collect(cookie, purchase())).status);
    expect(statuses.slice(0, BEACON_LIMITS.perVisitor).every((s) => s === 204)).toBe(true);
    expect(statuses.slice(BEACON_LIMITS.perVisitor)).toEqual([429, 429, 429, 429, 429]);
    const limited = await collect(cookie, purchase());
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // what was refused changed nothing
    expect(await conversions(cookie)).toBe(BEACON_LIMITS.perVisitor);
    const other = await visitor();
    expect((await collect(other, purchase())).status).toBe(204);
  });
});

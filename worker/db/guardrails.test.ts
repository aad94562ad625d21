/**
 * Guardrails through the worker with simulated traffic: a variant whose click-through falls far below
 * its guardrail is paused by the scheduled job at the first minute the evidence holds, the audit log
 * says why, its new visitors go elsewhere and its old ones see the control; undoing brings it back.
 * An A/A check: a variant whose true click-through is at the threshold is not paused.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../engine/index.ts';
import type { Bindings } from '../env.ts';
import { runScheduled } from '../scheduled.ts';
import { ADMIN, call, collect, eventId, page, putConfig, settle, visitorCookie } from '../test/helpers.ts';
import { createConfigRepo } from './config-repo.ts';

const doc = (id: string) => ({
  version: 1,
  campaigns: [
    {
      id,
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'control' }, { id: 'risky', html: '<button>Try it</button>' }],
      guardrails: [{ metric: 'ctr', below: 0.1, window: '30m', min: 150, action: 'pause' }],
    },
  ],
});

const variantOf = (html: string) => /data-hio-variant="([^"]+)"/.exec(html)?.[1] ?? '';

/** Visitors who see the page, report an impression of their slot and click at their variant's rate. */
async function traffic(campaign: string, visitors: number, ctr: Record<string, number>, seed: number) {
  const rand = mulberry32(seed);
  const seen: { cookie: string; variant: string }[] = [];
  for (let i = 0; i < visitors; i++) {
    const res = await page('/page');
    const cookie = visitorCookie(res);
    const variant = variantOf(await res.text());
    await settle();
    const events: unknown[] = [{ t: 'impression', id: eventId(), campaign, variant }];
    if (rand() < (ctr[variant] ?? 0)) events.push({ t: 'click', id: eventId(), campaign, variant });
    await collect(cookie, { events });
    seen.push({ cookie, variant });
  }
  await settle();
  return seen;
}

const nextMinute = () => (Math.floor(Date.now() / 60_000) + 1) * 60_000 + 1;

describe('guardrails through the worker', () => {
  it('pause a variant whose click-through is far below the rule, say why, and can be undone', {
    timeout: 120_000,
  }, async () => {
    await putConfig(doc('g1'));
    const seen = await traffic('g1', 400, { control: 0.2, risky: 0 }, 1);
    await runScheduled(env as unknown as Bindings, nextMinute());
    const audit = (await (await call('/__hio/admin/audit', { headers: ADMIN })).json()) as {
      id: number;
      campaign: string;
      variant: string;
      action: string;
      rule: string;
      evidence: { observations: number; bound: number; threshold: number };
    }[];
    const paused = audit.find((a) => a.campaign === 'g1');
    expect(paused).toMatchObject({ variant: 'risky', action: 'pause' });
    expect(paused?.rule).toMatch(/ctr below 0.1/);
    expect(paused?.evidence.observations).toBeGreaterThanOrEqual(150);
    expect(paused?.evidence.bound).toBeLessThan(0.1);

    // the dashboard shows it on the campaign (and reloads itself every minute)
    const dashboard = await (await call('/__hio/dashboard', { headers: ADMIN })).text();
    expect(dashboard).toContain(`data-testid="audit-action-g1-${paused?.id}">pause<`);
    expect(dashboard).toContain('<meta http-equiv="refresh" content="60">');

    createConfigRepo(env.HIO_DB, 0, () => {}).invalidate();
    // new visitors never get it; a visitor who had it sees the control
    const fresh = await traffic('g1', 30, {}, 2);
    expect(fresh.every((v) => v.variant === 'control')).toBe(true);
    const old = seen.find((v) => v.variant === 'risky');
    expect(variantOf(await (await page('/page', old?.cookie)).text())).toBe('control');

    // undo: the variant is back for new visitors
    const undo = await call(`/__hio/admin/audit/${paused?.id}/undo`, { method: 'POST', headers: ADMIN });
    expect(undo.status).toBe(200);
    createConfigRepo(env.HIO_DB, 0, () => {}).invalidate();
    expect(variantOf(await (await page('/page', old?.cookie)).text())).toBe('risky');
  });

  it('do not fire when the variant is at the threshold (A/A)', { timeout: 120_000 }, async () => {
    await putConfig(doc('g2'));
    await traffic('g2', 400, { control: 0.1, risky: 0.1 }, 3);
    await runScheduled(env as unknown as Bindings, nextMinute());
    const audit = (await (await call('/__hio/admin/audit', { headers: ADMIN })).json()) as {
      campaign: string;
    }[];
    expect(audit.filter((a) => a.campaign === 'g2')).toEqual([]);
  });
});

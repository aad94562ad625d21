/**
 * The cron job (`runScheduled`): it recomputes the shares of active bandit campaigns from their
 * results and purges counted-event ids older than 7 days. The results are written with the
 * measurement writer, as the worker writes them, with known counts.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createMeasurementWriter } from './db/measurement.ts';
import type { Bindings } from './env.ts';
import { runScheduled } from './scheduled.ts';
import { ADMIN, call, putConfig } from './test/helpers.ts';

const DAY = 86_400_000;
// a ten-minute mark: the bandit job and the purges run then
const NOW = Math.floor(Date.now() / 600_000) * 600_000;

const bandit = (id: string, status = 'active') => ({
  id,
  status,
  allocation: 'bandit',
  slot: { selector: `#${id}`, action: 'replace' },
  variants: [{ id: 'a' }, { id: 'b', html: 'B' }],
  goals: ['buy'],
});

/** `n` visitors exposed to `variant` of `campaign`, the first `converted` of them buying once. */
async function arm(campaign: string, variant: string, n: number, converted: number): Promise<void> {
  const w = createMeasurementWriter(env.HIO_DB, () => {});
  for (let i = 0; i < n; i++) {
    const visitorId = `${campaign}-${variant}-${i}`;
    await w.persist({
      visitorId,
      at: NOW - DAY,
      measurement: {
        exposures: [{ campaignId: campaign, seed: campaign, variantId: variant }],
        conversions:
          i < converted
            ? [
                {
                  eventId: `buy-${i}`,
                  campaignId: campaign,
                  seed: campaign,
                  variantId: variant,
                  goal: 'buy',
                  value: 1,
                },
              ]
            : [],
        slotEvents: [],
      },
    });
  }
}

async function shares(campaign: string): Promise<number[] | null> {
  const row = await env.HIO_DB.prepare('SELECT weights FROM bandit_state WHERE campaign_id = ?')
    .bind(campaign)
    .first<{ weights: string }>();
  return row ? (JSON.parse(row.weights) as number[]) : null;
}

describe('runScheduled', () => {
  it('moves the shares of active bandit campaigns toward the better arm, and only theirs', async () => {
    await putConfig({
      version: 1,
      campaigns: [bandit('winner-b'), bandit('paused', 'paused'), bandit('thin')],
    });
    // 40 visitors per arm: 5 % against 60 %
    await arm('winner-b', 'a', 40, 2);
    await arm('winner-b', 'b', 40, 24);
    await arm('paused', 'a', 40, 2);
    await arm('paused', 'b', 40, 24);
    // fewer than 20 visitors per arm: too little to move the shares
    await arm('thin', 'a', 10, 0);
    await arm('thin', 'b', 10, 9);

    await runScheduled(env as unknown as Bindings, NOW);
    const w = (await shares('winner-b')) as number[];
    expect(w).toHaveLength(2);
    expect(w[0]! + w[1]!).toBeCloseTo(1, 9);
    expect(w[1]).toBeGreaterThan(0.8);
    expect(w[0]).toBeGreaterThanOrEqual(0.05);
    expect(await shares('paused')).toBeNull();
    expect(await shares('thin')).toBeNull();
    // the move from the starting 50/50 to > 80% is beyond 0.1: in the audit log, and undo is refused
    const audit = (await (await call('/__hio/admin/audit', { headers: ADMIN })).json()) as {
      id: number;
      campaign: string;
      variant: string;
      rule: string;
      action: string;
      evidence: { from: number; to: number; n: number };
    }[];
    const moved = audit.filter((a) => a.campaign === 'winner-b' && a.rule === 'bandit');
    expect(moved.map((a) => a.variant).sort()).toEqual(['a', 'b']);
    const b = moved.find((a) => a.variant === 'b');
    expect(b?.action).toBe('share');
    expect(b?.evidence.from).toBe(0.5);
    expect(b?.evidence.to).toBeCloseTo(w[1] as number, 9);
    expect(b?.evidence.n).toBeGreaterThan(0);
    const undo = await call(`/__hio/admin/audit/${b?.id}/undo`, { method: 'POST', headers: ADMIN });
    expect(undo.status).toBe(409);
    expect(((await undo.json()) as { error: string }).error).toMatch(/bandit share change/);
  });

  it('purges counted-event ids older than 7 days and keeps the rest', async () => {
    const w = createMeasurementWriter(env.HIO_DB, () => {});
    const ages = { old: 8 * DAY, edge: 7 * DAY, recent: DAY };
    for (const [name, age] of Object.entries(ages)) {
      await w.persist({
        visitorId: 'purge-visitor',
        at: NOW - age,
        measurement: {
          exposures: [],
          conversions: [],
          slotEvents: [
            { eventId: `imp-${name}`, kind: 'impression', campaignId: 'p', seed: 'p', variantId: 'v' },
          ],
        },
      });
    }
    await runScheduled(env as unknown as Bindings, NOW);
    const rows = await env.HIO_DB.prepare(
      "SELECT event_id FROM seen_events WHERE visitor_id = 'purge-visitor' ORDER BY event_id",
    ).all<{ event_id: string }>();
    expect(rows.results.map((r) => r.event_id)).toEqual(['imp-edge', 'imp-recent']);
  });
});

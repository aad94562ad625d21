/**
 * @module bandit-job
 * Recomputes the traffic shares of bandit campaigns from their results (Thompson sampling on the
 * first goal), run by the scheduled handler and on demand by the admin API. Visitors already
 * assigned keep their variant (assignments are sticky); new visitors follow the new shares.
 */
import { banditWeights, buildReport, type CompiledDocument } from '../engine/index.ts';
import { readRawCounts, writeBanditWeights } from './results.ts';
import { auditShareChanges, readPreviousShares } from './share-audit.ts';

export async function updateBandits(
  db: D1Database,
  doc: CompiledDocument,
  now: number,
): Promise<{ campaignId: string; weights: number[] }[]> {
  const bandits = doc.campaigns.filter((c) => c.allocation === 'bandit' && c.status === 'active');
  if (!bandits.length) return [];
  const report = buildReport(doc, await readRawCounts(db));
  const previous = await readPreviousShares(db);
  const rows: {
    campaignId: string;
    seed: string;
    weights: number[];
    variants: string[];
    before: number[];
    arms: { n: number; x: number }[];
  }[] = [];
  for (const c of bandits) {
    const r = report.campaigns.find((x) => x.id === c.id);
    const goal = r?.goals[0];
    if (!r || !goal) continue;
    const arms = r.variants.map((v) => ({
      n: v.visitors,
      x: Math.min(v.goals[goal]?.conversions ?? 0, v.visitors),
    }));
    // fewer than ~1 visitor per arm and period: keep the configured starting weights
    if (arms.reduce((a, b) => a + b.n, 0) < arms.length * 20) continue;
    const minShare = Math.min(0.05, 1 / (arms.length * 2));
    rows.push({
      campaignId: c.id,
      seed: c.seed,
      weights: banditWeights(arms, { minShare, seed: Math.floor(now / 600_000) }),
      variants: c.variants.map((v) => v.id),
      // no stored shares yet: the change is measured from the configured starting weights
      before: previous.get(`${c.id}\u0000${c.seed}`) ?? c.weights,
      arms,
    });
  }
  await writeBanditWeights(db, rows, now);
  await auditShareChanges(
    db,
    previous,
    rows.map((r) => ({ ...r, after: r.weights })),
    now,
  );
  return rows.map(({ campaignId, weights }) => ({ campaignId, weights }));
}

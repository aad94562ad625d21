/**
 * @module share-audit
 * Large bandit share changes in the audit log: when a recomputation moves a variant's share by more than
 * SHARE_CHANGE_THRESHOLD (0.1 absolute), a row `{ rule: 'bandit', action: 'share', evidence: { from, to,
 * threshold, n, x } }` is written (for contextual campaigns, of the pooled shares). These rows are records,
 * never stops: readStopped ignores them and undoing one is refused (routes/audit.ts).
 */
import { drizzle } from 'drizzle-orm/d1';
import { largeShareChanges, SHARE_CHANGE_THRESHOLD } from '../engine/index.ts';
import { auditLog, banditState } from './schema.ts';

/** The stored shares before this run, by campaign and seed (`pooled` for contextual campaigns). */
export async function readPreviousShares(d1: D1Database): Promise<Map<string, number[]>> {
  const rows = await drizzle(d1).select().from(banditState);
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const w: unknown = JSON.parse(r.weights);
    const arr = Array.isArray(w)
      ? w
      : w && typeof w === 'object' && 'pooled' in w
        ? (w as { pooled: unknown }).pooled
        : null;
    if (Array.isArray(arr) && arr.every((x) => typeof x === 'number'))
      out.set(`${r.campaignId}\u0000${r.seed}`, arr);
  }
  return out;
}

export async function auditShareChanges(
  d1: D1Database,
  previous: Map<string, number[]>,
  updates: {
    campaignId: string;
    seed: string;
    variants: readonly string[];
    before?: readonly number[];
    after: readonly number[];
    arms: readonly { n: number; x: number }[];
  }[],
  now: number,
): Promise<number> {
  const values = updates.flatMap((u) =>
    largeShareChanges(u.variants, u.before ?? previous.get(`${u.campaignId}\u0000${u.seed}`), u.after).map(
      (ch) => {
        const i = u.variants.indexOf(ch.variant);
        return {
          at: now,
          campaignId: u.campaignId,
          seed: u.seed,
          variantId: ch.variant,
          rule: 'bandit',
          ruleIndex: -1,
          action: 'share',
          toVariant: null,
          evidence: JSON.stringify({
            from: ch.from,
            to: ch.to,
            threshold: SHARE_CHANGE_THRESHOLD,
            n: u.arms[i]?.n ?? 0,
            x: u.arms[i]?.x ?? 0,
            arms: u.arms,
          }),
        };
      },
    ),
  );
  if (values.length) await drizzle(d1).insert(auditLog).values(values);
  return values.length;
}

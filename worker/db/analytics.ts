/**
 * @module analytics
 * Writing measurement to D1, off the response path. Every write is idempotent by construction
 * (primary keys on visitor + campaign for exposures, on visitor + event id for conversions and for
 * counted impressions/clicks), a batch is one D1 transaction, a failed batch is retried with backoff,
 * and a batch that still fails is logged with everything needed to replay it (`hio-replay` lines).
 *
 * Volume: a page request writes only when a visitor is exposed to a campaign for the first time;
 * a beacon writes one batch (at most 100 events) and only for events that matter to a campaign.
 * docs/measurement.md describes putting a Queue in front of D1 where that is still too much.
 */
import type { Log } from '../deps.ts';
import { isInHoldout, seedTag } from '../engine/decide.ts';
import type { CompiledDocument } from '../engine/document.ts';
import type { HioEvent } from '../engine/events.ts';
import type { FlatProfile } from '../engine/profile.ts';

export const HOLDOUT_VARIANT = '__holdout';
export const TREATED_VARIANT = '__treated';
/** the pseudo-campaign of every visitor's first visit, for the programme-wide (holdout) lift */
export const ALL_CAMPAIGN = '__all';

export function dayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

interface Statement {
  sql: string;
  params: (string | number | null)[];
}

export interface ExposureRow {
  campaignId: string;
  seed: string;
  variantId: string;
}

export interface AnalyticsWriterOptions {
  attempts?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface AnalyticsWriter {
  recordExposures(visitorId: string, rows: readonly ExposureRow[], now: number): Promise<void>;
  recordEvents(
    visitorId: string,
    profile: FlatProfile,
    doc: CompiledDocument,
    events: readonly HioEvent[],
    now: number,
  ): Promise<void>;
  eraseVisitor(visitorId: string): Promise<void>;
  /** deletes counted-event ids older than `maxAgeMs` (they only guard retries) */
  purgeSeenEvents(now: number, maxAgeMs?: number): Promise<void>;
}

export function createAnalyticsWriter(
  db: D1Database,
  log: Log,
  opts: AnalyticsWriterOptions = {},
): AnalyticsWriter {
  const { attempts = 3, backoffMs = 200, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = opts;

  async function run(what: string, statements: Statement[]): Promise<void> {
    if (!statements.length) return;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params)));
        return;
      } catch (err) {
        lastError = err;
        if (attempt < attempts - 1) await sleep(backoffMs * 2 ** attempt);
      }
    }
    // the data is not lost: this line holds the exact statements; scripts/replay.mjs turns it into SQL
    console.error(
      JSON.stringify({
        level: 'error',
        msg: `hio-replay: ${what} failed after ${attempts} attempts`,
        statements,
      }),
    );
    log('error', `analytics write failed (${what}); logged for replay`, lastError);
  }

  return {
    recordExposures(visitorId, rows, now) {
      const day = dayOf(now);
      return run(
        'exposures',
        rows.map((r) => ({
          sql: 'INSERT OR IGNORE INTO exposures (visitor_id, campaign_id, seed, variant_id, day, at) VALUES (?, ?, ?, ?, ?, ?)',
          params: [visitorId, r.campaignId, r.seed, r.variantId, day, now],
        })),
      );
    },

    recordEvents(visitorId, profile, doc, events, now) {
      const day = dayOf(now);
      const statements: Statement[] = [];
      const byId = new Map(doc.campaigns.map((c) => [c.id, c]));
      // the variant each campaign assigned this visitor (under the campaign's current seed)
      const assigned = new Map<string, string>();
      for (const c of doc.campaigns) {
        const raw = profile[`a.${c.id}`];
        if (typeof raw !== 'string') continue;
        const [variant, tag] = raw.split('|');
        if (variant && tag === seedTag(c.seed)) assigned.set(c.id, variant);
      }
      for (const e of events) {
        if (e.t === 'conversion') {
          const value = e.value ?? 0;
          for (const c of doc.campaigns) {
            const variant = assigned.get(c.id);
            if (!variant || (c.goals.length > 0 && !c.goals.includes(e.goal))) continue;
            statements.push(conversion(visitorId, e.id, c.id, c.seed, variant, e.goal, value, day, now));
          }
          const group = isInHoldout(doc, visitorId) ? HOLDOUT_VARIANT : TREATED_VARIANT;
          statements.push(conversion(visitorId, e.id, ALL_CAMPAIGN, 'all', group, e.goal, value, day, now));
        } else if (e.t === 'impression' || e.t === 'click') {
          const c = byId.get(e.campaign);
          // count only what this visitor was really shown: the marker must match the assignment
          if (!c || assigned.get(c.id) !== e.variant) continue;
          const column = e.t === 'impression' ? 'impressions' : 'clicks';
          statements.push(
            {
              sql: `INSERT INTO slot_daily (campaign_id, seed, variant_id, day, ${column}) SELECT ?, ?, ?, ?, 1
                    WHERE NOT EXISTS (SELECT 1 FROM seen_events WHERE visitor_id = ? AND event_id = ?)
                    ON CONFLICT (campaign_id, seed, variant_id, day) DO UPDATE SET ${column} = ${column} + 1`,
              params: [c.id, c.seed, e.variant, day, visitorId, e.id],
            },
            {
              sql: 'INSERT OR IGNORE INTO seen_events (visitor_id, event_id, at) VALUES (?, ?, ?)',
              params: [visitorId, e.id, now],
            },
          );
        }
      }
      return run('events', statements);
    },

    async eraseVisitor(visitorId) {
      await db.batch(
        ['exposures', 'conversion_events', 'seen_events'].map((t) =>
          db.prepare(`DELETE FROM ${t} WHERE visitor_id = ?`).bind(visitorId),
        ),
      );
    },

    async purgeSeenEvents(now, maxAgeMs = 7 * 86_400_000) {
      await db
        .prepare('DELETE FROM seen_events WHERE at < ?')
        .bind(now - maxAgeMs)
        .run();
    },
  };
}

function conversion(
  visitorId: string,
  eventId: string,
  campaignId: string,
  seed: string,
  variant: string,
  goal: string,
  value: number,
  day: string,
  now: number,
): Statement {
  return {
    sql: `INSERT OR IGNORE INTO conversion_events (visitor_id, event_id, campaign_id, seed, variant_id, goal, value, day, at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    params: [visitorId, eventId, campaignId, seed, variant, goal, value, day, now],
  };
}

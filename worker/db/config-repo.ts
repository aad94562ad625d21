/**
 * @module config-repo
 * The live campaign document: stored in D1 (every accepted version kept), cached in the isolate.
 * A worker reads D1 at most once per `ttlMs`; a failed read keeps serving the last good document
 * (or the empty one), so D1 trouble never takes pages down.
 */
import { desc, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import {
  type ClusterRecord,
  type CompiledDocument,
  type ContextShares,
  EMPTY_DOCUMENT,
  type PropensityRecord,
  parseDocument,
  type RecommendContext,
  usesRecommendations,
} from '../engine/index.ts';
import { readStopped, type StoppedVariants } from './guardrail-job.ts';
import { readClusters, readModel } from './models.ts';
import { loadRecommendContext } from './recs-repo.ts';
import { readAdaptiveState } from './results.ts';
import { configs } from './schema.ts';

export interface LiveConfig {
  doc: CompiledDocument;
  /** id of the stored version (0 when none was ever stored) */
  version: number;
  /** the last load failed: serving a cached or empty document */
  degraded: boolean;
  /**
   * a document was really loaded (stored and valid). Without one HIO profiles nobody: the empty
   * fallback knows nothing of the site's consent rules.
   */
  loaded: boolean;
  /** current traffic shares of bandit campaigns */
  bandit: Record<string, number[]>;
  /** current traffic shares per context of contextual campaigns */
  contextual: Record<string, ContextShares>;
  /** the trained propensity model of the document's propensity goal, when one exists */
  propensity: PropensityRecord | null;
  /** the discovered clusters, when the scheduled job has found some */
  clusters: ClusterRecord | null;
  /** variants stopped by guardrails (actions in force in the audit log) */
  stopped: StoppedVariants;
  /**
   * the catalogue and the learned recommendation model (recs-repo.ts), for recommendation variants;
   * null when the document has none, without KV (no model can exist), or when neither could ever be read
   */
  recommendations: RecommendContext | null;
}

const EMPTY = (() => {
  const r = parseDocument(EMPTY_DOCUMENT);
  if (!r.ok) throw new Error('empty document does not parse');
  return r.doc;
})();

interface CacheEntry {
  value: LiveConfig;
  expires: number;
  pending?: Promise<LiveConfig>;
}

export interface ConfigRepo {
  live(now: number, waitUntil?: (p: Promise<unknown>) => void): Promise<LiveConfig>;
  /**
   * Stores an already validated document as the new live version, atomically only when the live
   * version is one of `expected` (null: whatever it is). `saved: false` carries the live version.
   */
  save(
    doc: CompiledDocument,
    now: number,
    expected?: readonly number[] | null,
  ): Promise<{ saved: true; version: number } | { saved: false; version: number }>;
  /** forget the isolate cache (tests, admin) */
  invalidate(): void;
}

/** The empty document and nothing learned: no document was ever stored, or none can be read. */
function notLoaded(version: number, degraded: boolean): LiveConfig {
  return {
    doc: EMPTY,
    version,
    degraded,
    loaded: false,
    bandit: {},
    contextual: {},
    propensity: null,
    clusters: null,
    stopped: {},
    recommendations: null,
  };
}

// one cache per D1 binding, shared by the requests an isolate serves
const caches = new WeakMap<D1Database, CacheEntry>();

export function createConfigRepo(
  db: D1Database,
  ttlMs: number,
  log: (msg: string, err?: unknown) => void,
  /** where trained models are (KV); without it, pages use the heuristic propensity */
  kv?: KVNamespace,
): ConfigRepo {
  const orm = drizzle(db);

  async function fetchLive(): Promise<LiveConfig> {
    const rows = await orm.select().from(configs).orderBy(desc(configs.id)).limit(1);
    const row = rows[0];
    if (!row) return notLoaded(0, false);
    const parsed = parseDocument(JSON.parse(row.document));
    if (!parsed.ok) {
      log(`stored campaign document ${row.id} no longer parses: ${parsed.problems.join('; ')}`);
      return notLoaded(row.id, true);
    }
    return {
      doc: parsed.doc,
      version: row.id,
      degraded: false,
      loaded: true,
      ...(await readAdaptiveState(db, parsed.doc)),
      propensity: await readModel(kv, parsed.doc.settings.propensity.goal),
      clusters: await readClusters(kv),
      stopped: await readStopped(db, parsed.doc),
      recommendations: await recommendationsFor(parsed.doc),
    };
  }

  // only a document with recommendation variants needs them; reloaded only when changed (recs-repo.ts)
  async function recommendationsFor(doc: CompiledDocument): Promise<RecommendContext | null> {
    return kv && usesRecommendations(doc) ? loadRecommendContext(db, kv, log) : null;
  }

  return {
    async live(now, waitUntil) {
      const entry = caches.get(db);
      if (entry && entry.expires > now) return entry.value;
      if (entry?.pending) return entry.value;
      const pending = fetchLive().then(
        (value) => {
          caches.set(db, { value, expires: now + ttlMs });
          return value;
        },
        (err: unknown) => {
          log('loading the campaign document from D1 failed; serving the cached one', err);
          const value = {
            ...(entry?.value ?? notLoaded(0, true)),
            degraded: true,
          };
          // retry soon, not on every request
          caches.set(db, { value, expires: now + Math.min(ttlMs, 5000) });
          return value;
        },
      );
      if (entry) {
        // stale-while-revalidate: this request uses the cached document
        entry.pending = pending;
        waitUntil?.(pending);
        return entry.value;
      }
      return pending;
    },

    async save(doc, now, expected = null) {
      const document = JSON.stringify(doc.source);
      let id: number | undefined;
      if (expected === null) {
        const [row] = await orm
          .insert(configs)
          .values({ document, createdAt: now })
          .returning({ id: configs.id });
        id = row?.id;
      } else {
        // One statement, so no other save can land between the check and the insert. Drizzle's
        // insert().select() cannot take a guard on a scalar subquery; the statement stays parameterized.
        const rows = await orm.all<{ id: number }>(
          sql`INSERT INTO ${configs} (document, created_at) SELECT ${document}, ${now}
              WHERE (SELECT coalesce(max(id), 0) FROM ${configs}) IN (${sql.join(
                [...expected, -1].map((v) => sql`${v}`),
                sql`, `,
              )}) RETURNING id`,
        );
        id = rows[0]?.id;
      }
      if (id === undefined) {
        const [row] = await orm.select({ id: configs.id }).from(configs).orderBy(desc(configs.id)).limit(1);
        return { saved: false, version: row?.id ?? 0 };
      }
      const value: LiveConfig = {
        doc,
        version: id,
        degraded: false,
        loaded: true,
        ...(await readAdaptiveState(db, doc)),
        propensity: await readModel(kv, doc.settings.propensity.goal),
        clusters: await readClusters(kv),
        stopped: await readStopped(db, doc),
        recommendations: await recommendationsFor(doc),
      };
      caches.set(db, { value, expires: now + ttlMs });
      return { saved: true, version: id };
    },

    invalidate() {
      caches.delete(db);
    },
  };
}

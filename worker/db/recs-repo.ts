/**
 * @module recs-repo
 * What the page path needs for recommendation variants: the catalogue (D1 `catalog_items`) and the
 * learned model (KV), loaded with the campaign document (config-repo.ts, so at most once per its TTL
 * and never on a page's own path) and kept in the isolate between loads:
 * - the catalogue is read whole only when its fingerprint (count and latest update, one small query)
 *   differs from the one held, and is indexed by id and by page path once per version;
 * - the model is read and decoded only when its stamp (`hio:recs:stamp`, a few bytes) names another
 *   training than the one held; the isolate holds it compact (engine/recommend-model.ts: a few typed
 *   arrays over the stored value), whatever format KV has it in.
 * A failed load keeps what the isolate holds (or nothing): recommendations never take a page down, a
 * variant with nothing to show keeps the origin's content.
 */
import { type CompactRecommendModel, type RecommendContext, recommendContext } from '../engine/index.ts';
import { createCatalogRepo } from './catalog-repo.ts';
import { readRecsModel, readRecsStamp } from './models.ts';

interface CatalogueEntry {
  fingerprint: string;
  /** indexed once per catalogue version, whatever the model */
  indexed: RecommendContext;
}
interface ModelEntry {
  trainedAt: number;
  model: CompactRecommendModel | null;
}
interface ContextEntry {
  catalogue: CatalogueEntry;
  model: ModelEntry | null;
  ctx: RecommendContext;
}

// one of each per binding, shared by the requests an isolate serves
const catalogues = new WeakMap<D1Database, CatalogueEntry>();
const models = new WeakMap<KVNamespace, ModelEntry>();
const contexts = new WeakMap<D1Database, ContextEntry>();

async function loadCatalogue(d1: D1Database): Promise<CatalogueEntry> {
  const repo = createCatalogRepo(d1);
  const fingerprint = await repo.fingerprint();
  const held = catalogues.get(d1);
  if (held && held.fingerprint === fingerprint) return held;
  const entry = { fingerprint, indexed: recommendContext(await repo.all(), null) };
  catalogues.set(d1, entry);
  return entry;
}

async function loadModel(kv: KVNamespace | undefined): Promise<ModelEntry | null> {
  if (!kv) return null;
  const stamp = await readRecsStamp(kv);
  if (!stamp) return null;
  const held = models.get(kv);
  if (held && held.trainedAt === stamp.trainedAt) return held;
  const entry = { trainedAt: stamp.trainedAt, model: await readRecsModel(kv, stamp.version) };
  models.set(kv, entry);
  return entry;
}

/**
 * The recommendation context: the catalogue and the model, each reloaded only when it changed (the
 * context is rebuilt only then too). On failure, the last context this isolate built, or null.
 */
export async function loadRecommendContext(
  d1: D1Database,
  kv: KVNamespace | undefined,
  log: (msg: string, err?: unknown) => void,
): Promise<RecommendContext | null> {
  try {
    const [catalogue, model] = await Promise.all([loadCatalogue(d1), loadModel(kv)]);
    const held = contexts.get(d1);
    if (held && held.catalogue === catalogue && held.model === model) return held.ctx;
    const ctx = { ...catalogue.indexed, model: model?.model ?? null };
    contexts.set(d1, { catalogue, model, ctx });
    return ctx;
  } catch (err) {
    log('loading the catalogue or the recommendation model failed; keeping what this isolate holds', err);
    return contexts.get(d1)?.ctx ?? null;
  }
}

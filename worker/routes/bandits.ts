/**
 * @module bandits
 * `POST /__hio/admin/bandits`: recompute the traffic shares of bandit and contextual campaigns now
 * (the cron does it every minute for contextual campaigns, every ten for bandits).
 */
import { updateBandits } from '../db/bandit-job.ts';
import { type CollectResult, collectPageItems } from '../db/catalog-collect.ts';
import { updateContextual } from '../db/contextual-job.ts';
import { trainPropensityModel } from '../db/propensity-job.ts';
import { trainRecommendations } from '../db/recs-job.ts';
import type { Deps } from '../types.ts';
import { json } from './json.ts';

export async function handleBanditUpdate(deps: Deps): Promise<Response> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  const updated = await updateBandits(deps.env.HIO_DB, live.doc, deps.now());
  const contextual = await updateContextual(deps.env.HIO_DB, live.doc, deps.now());
  deps.configRepo.invalidate();
  return json({ updated, contextual });
}

/**
 * `POST /__hio/admin/train`: collect the items pages declare, train the propensity model and learn the
 * recommendation model now (the cron does all three every ten minutes). The answer is the propensity
 * result with `pageItems` (the collection, db/catalog-collect.ts) and `recommendations` beside it.
 */
export async function handleTrain(deps: Deps): Promise<Response> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  // first, so the model learns the items just collected; a failure leaves the catalogue as it was
  const pageItems: CollectResult | { outcome: 'failed'; reason: string } = await collectPageItems(
    deps.env,
    deps.now(),
  ).catch((err: unknown) => {
    deps.log('error', 'collecting the items pages declare failed; the catalogue is unchanged', err);
    return { outcome: 'failed' as const, reason: 'see the worker log' };
  });
  const result = await trainPropensityModel(deps.env.HIO_DB, deps.env.HIO_KV, live.doc, deps.now());
  const recommendations = await trainRecommendations(deps.env, live.doc, deps.now());
  deps.configRepo.invalidate();
  return json({ ...result, pageItems, recommendations });
}

/**
 * @module bandits
 * `POST /__hio/admin/bandits`: recompute the traffic shares of bandit and contextual campaigns now
 * (the cron does it every minute for contextual campaigns, every ten for bandits).
 */
import { updateBandits } from '../db/bandit-job.ts';
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
 * `POST /__hio/admin/train`: train the propensity model and learn the recommendation model now (the cron
 * does both every ten minutes). The answer is the propensity result with `recommendations` beside it.
 */
export async function handleTrain(deps: Deps): Promise<Response> {
  const live = await deps.configRepo.live(deps.now(), deps.waitUntil);
  const result = await trainPropensityModel(deps.env.HIO_DB, deps.env.HIO_KV, live.doc, deps.now());
  const recommendations = await trainRecommendations(deps.env, live.doc, deps.now());
  deps.configRepo.invalidate();
  return json({ ...result, recommendations });
}

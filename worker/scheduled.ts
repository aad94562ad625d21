/**
 * @module scheduled
 * The cron job (wrangler.toml `[triggers]`): recompute bandit shares, purge old counted-event ids.
 */

import { updateBandits } from './db/bandit-job.ts';
import { createConfigRepo } from './db/config-repo.ts';
import { createMeasurementWriter } from './db/measurement.ts';
import type { Bindings } from './env.ts';
import { log } from './log.ts';

export async function runScheduled(env: Bindings, now: number): Promise<void> {
  const repo = createConfigRepo(env.HIO_DB, 0, (m, e) => log('error', m, e));
  const live = await repo.live(now);
  const updated = await updateBandits(env.HIO_DB, live.doc, now);
  if (updated.length) log('info', `bandit shares updated for ${updated.map((u) => u.campaignId).join(', ')}`);
  const measurement = createMeasurementWriter(env.HIO_DB, log);
  await measurement.purgeSeenEvents(now);
  // per-visitor rows live no longer than the profiles they came from
  await measurement.purgeExpired(now, live.doc.settings.retentionSeconds * 1000);
}

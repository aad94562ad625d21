/**
 * @module scheduled
 * The cron job (wrangler.toml `[triggers]`, every minute): recompute the shares of contextual campaigns
 * (so they follow the events within a minute) and, every ten minutes, of bandit campaigns; purge old
 * counted-event ids, per-visitor rows and event log partitions past the retention period; roll minute
 * counters up into hours and days; collect the items the site's pages declare into the catalogue, then
 * train the propensity model and learn the recommendation model from the event log.
 */

import { updateBandits } from './db/bandit-job.ts';
import { collectPageItems, describeCollect } from './db/catalog-collect.ts';
import { createConfigRepo } from './db/config-repo.ts';
import { updateContextual } from './db/contextual-job.ts';
import { purgeEventLog } from './db/event-log.ts';
import { runGuardrails } from './db/guardrail-job.ts';
import { createMeasurementWriter } from './db/measurement.ts';
import { trainPropensityModel } from './db/propensity-job.ts';
import { trainRecommendations } from './db/recs-job.ts';
import { rollupCounters } from './db/rollup.ts';
import type { Bindings } from './env.ts';
import { log } from './log.ts';

export async function runScheduled(env: Bindings, now: number): Promise<void> {
  const repo = createConfigRepo(env.HIO_DB, 0, (m, e) => log('error', m, e));
  const live = await repo.live(now);
  if (!live.loaded) return;
  // guardrails first: an action applies within a minute of the evidence
  const fired = await runGuardrails(env.HIO_DB, live.doc, now);
  for (const a of fired)
    log(
      'warn',
      `guardrail ${a.action} on ${a.campaign}/${a.variant}: ${a.rule.text} (bound ${a.evidence.bound})`,
    );
  const contextual = await updateContextual(env.HIO_DB, live.doc, now);
  if (contextual.length)
    log('info', `contextual shares updated for ${contextual.map((u) => u.campaignId).join(', ')}`);
  // bandits and the purges need no more than one run in ten minutes
  if (Math.floor(now / 60_000) % 10 !== 0) return;
  const updated = await updateBandits(env.HIO_DB, live.doc, now);
  if (updated.length) log('info', `bandit shares updated for ${updated.map((u) => u.campaignId).join(', ')}`);
  const model = await trainPropensityModel(env.HIO_DB, env.HIO_KV, live.doc, now);
  log('info', `propensity model (${model.goal ?? 'no goal'}): ${model.outcome}`);
  // items the pages declare (verified at the origin, bounded: see catalog-collect.ts), before the
  // recommendation model is learned, so a new item is learned in this run
  const collected = await collectPageItems(env, now).catch((err: unknown) => {
    log('error', 'collecting the items pages declare failed; the catalogue is unchanged', err);
    return null;
  });
  if (collected) log('info', describeCollect(collected));
  // co-views and co-purchases from the last days of the event log (bounded reads, see recs-job.ts)
  const recs = await trainRecommendations(env, live.doc, now).catch((err: unknown) => {
    log('error', 'learning the recommendation model failed; the previous one stays', err);
    return null;
  });
  if (recs)
    log(
      'info',
      recs.outcome === 'trained'
        ? `recommendation model: ${recs.sessions} sessions, ${recs.items} items with neighbours, ${recs.bytes} bytes${recs.truncated ? ' (reading stopped at its bounds)' : ''}`
        : `recommendation model not trained: ${recs.reason}`,
    );
  // minute counters older than 24 h become hourly rows, hourly rows older than 30 days daily ones
  await rollupCounters(env.HIO_DB, now);
  const measurement = createMeasurementWriter(env.HIO_DB, log);
  await measurement.purgeSeenEvents(now);
  const retentionMs = live.doc.settings.retentionSeconds * 1000;
  // the event log's day partitions go before the erasure records that filter them
  if (env.HIO_EVENTS) {
    const deleted = await purgeEventLog(env.HIO_EVENTS, now, retentionMs);
    if (deleted) log('info', `event log: ${deleted} objects past the retention period deleted`);
  }
  // per-visitor rows live no longer than the profiles they came from
  await measurement.purgeExpired(now, retentionMs);
}

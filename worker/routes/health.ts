/**
 * @module health
 * `GET /__hio/health`: which backends are in use and whether each answers. The worker fails open,
 * so a degraded backend means unpersonalized pages (state) or a stale document (D1), not an outage.
 */
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { withBudget } from '../edge/page.ts';
import type { Deps } from '../types.ts';
import { json } from './json.ts';

const CHECK_BUDGET_MS = 1000;

async function check(probe: () => Promise<unknown>): Promise<'ok' | 'timeout' | 'error'> {
  try {
    const r = await withBudget(probe(), CHECK_BUDGET_MS);
    return typeof r === 'symbol' ? 'timeout' : 'ok';
  } catch {
    return 'error';
  }
}

export async function handleHealth(deps: Deps): Promise<Response> {
  const bucket = deps.env.HIO_EVENTS;
  const [state, d1, live, eventLog] = await Promise.all([
    check(() => deps.store.ping()),
    check(() => drizzle(deps.env.HIO_DB).run(sql`select 1`)),
    deps.configRepo.live(deps.now(), deps.waitUntil),
    bucket ? check(() => bucket.head('events/')) : Promise.resolve(undefined),
  ]);
  const degraded: string[] = [];
  if (state !== 'ok') degraded.push(`state (${deps.store.backend}): ${state}`);
  if (d1 !== 'ok') degraded.push(`d1: ${d1}`);
  if (eventLog !== undefined && eventLog !== 'ok') degraded.push(`event log (r2): ${eventLog}`);
  if (live.degraded) degraded.push('config: serving a cached or empty campaign document');
  return json({
    ok: degraded.length === 0,
    backends: {
      state: deps.store.backend,
      config: 'd1',
      analytics: 'd1',
      // how measurement reaches D1: through the queue's batches, or written by each request
      measurement: deps.config.measurementQueue && deps.env.HIO_QUEUE ? 'queue' : 'direct',
      eventLog: bucket ? 'r2' : 'none',
      htmlCache: deps.htmlCache ? 'on' : 'off',
    },
    checks: { state, d1, ...(eventLog !== undefined && { eventLog }) },
    configVersion: live.version,
    campaigns: live.doc.campaigns.length,
    degraded,
  });
}

/**
 * @module index
 * The worker's entry point: wiring only.
 */
import { createApp } from './app.ts';
import { createDeps } from './deps.ts';
import type { Bindings } from './env.ts';
import { runQueue } from './queue.ts';
import { runScheduled } from './scheduled.ts';

const app = createApp({ makeDeps: createDeps });

export default {
  fetch: (req, env, ctx) => app.fetch(req, env, ctx),
  scheduled: (_event, env, ctx) => ctx.waitUntil(runScheduled(env, Date.now())),
  // HIO_QUEUE's consumer: measurement rows to D1 in batches, raw events to R2 (queue.ts)
  queue: (batch, env, _ctx) => runQueue(batch, env),
} satisfies ExportedHandler<Bindings>;

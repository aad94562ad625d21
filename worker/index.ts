/**
 * @module index
 * The worker's entry point: wiring only.
 */
import { createApp } from './app.ts';
import { createDeps } from './deps.ts';
import type { Bindings } from './env.ts';
import { runScheduled } from './scheduled.ts';

const app = createApp({ makeDeps: createDeps });

export default {
  fetch: (req, env, ctx) => app.fetch(req, env, ctx),
  scheduled: (_event, env, ctx) => ctx.waitUntil(runScheduled(env, Date.now())),
} satisfies ExportedHandler<Bindings>;

/**
 * @module app
 * The Hono app: HIO's own routes under `/__hio/`, everything else proxied to the origin.
 * `createApp(makeDeps)` takes the dependency factory so tests can inject stores, clocks and origins.
 */
import { Hono } from 'hono';
import type { Deps, WaitUntil } from './deps.ts';
import { handlePage } from './edge/page.ts';
import type { Bindings } from './env.ts';
import { checkAdmin, handleGetConfig, handlePutConfig } from './routes/admin.ts';
import { handleClientScript } from './routes/client-script.ts';
import { handleCollect } from './routes/collect.ts';
import { registerDashboard } from './routes/dashboard.ts';
import { handleHealth } from './routes/health.ts';
import { jsonError } from './routes/json.ts';
import { handleMe, handleMeDelete } from './routes/me.ts';
import { handleBanditUpdate, handlePreviewLink, handleResults } from './routes/results.ts';

export type Env = { Bindings: Bindings; Variables: { deps: Deps } };

export interface AppOptions {
  makeDeps: (env: Bindings, ctx: WaitUntil) => Deps;
  /** extra admin routes (results, dashboard) mounted under /__hio */
  extend?: (app: Hono<Env>) => void;
}

export function createApp(options: AppOptions): Hono<Env> {
  const app = new Hono<Env>();

  app.use('*', async function deps(c, next) {
    c.set('deps', options.makeDeps(c.env, c.executionCtx));
    await next();
  });

  app.get('/__hio/client.js', (c) => handleClientScript(c.req.raw));
  app.on('HEAD', '/__hio/client.js', (c) => handleClientScript(c.req.raw));
  app.post('/__hio/collect', (c) => handleCollect(c.var.deps, c.req.raw));
  app.get('/__hio/me', (c) => handleMe(c.var.deps, c.req.raw));
  app.delete('/__hio/me', (c) => handleMeDelete(c.var.deps, c.req.raw));
  app.get('/__hio/health', (c) => handleHealth(c.var.deps));

  app.use('/__hio/admin/*', async function adminAuth(c, next) {
    const refused = await checkAdmin(c.var.deps, c.req.raw);
    if (refused) return refused;
    await next();
  });
  app.get('/__hio/admin/config', (c) => handleGetConfig(c.var.deps));
  app.put('/__hio/admin/config', (c) => handlePutConfig(c.var.deps, c.req.raw));
  app.get('/__hio/admin/results', (c) => handleResults(c.var.deps, c.req.raw));
  app.post('/__hio/admin/bandits', (c) => handleBanditUpdate(c.var.deps));
  app.get('/__hio/admin/preview', (c) => handlePreviewLink(c.var.deps, c.req.raw));

  registerDashboard(app);
  options.extend?.(app);

  app.all('/__hio/*', () => jsonError(404, 'no such HIO route'));
  app.all('*', (c) => handlePage(c.var.deps, c.req.raw));

  app.onError((err, c) => {
    const path = new URL(c.req.url).pathname;
    console.error(JSON.stringify({ level: 'error', msg: `unhandled error on ${path}`, err: String(err) }));
    if (path.startsWith('/__hio/')) return jsonError(500, 'internal error');
    // the page path never fails because of HIO: fall back to a plain proxy
    return fetch(
      c.req.raw.url.replace(/^https?:\/\/[^/]+/, c.var.deps?.config.origin.origin ?? ''),
      c.req.raw,
    );
  });
  return app;
}

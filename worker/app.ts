/**
 * @module app
 * The Hono app: HIO's own routes under `/__hio/`, everything else proxied to the origin.
 * `createApp({ makeDeps })` takes the dependency factory so tests can inject stores, clocks and origins.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { handlePage } from './edge/page.ts';
import { buildOriginRequest } from './edge/proxy.ts';
import { MAX_BATCH_BYTES } from './engine/index.ts';
import { type Bindings, ConfigError, originOf } from './env.ts';
import { log } from './log.ts';
import { adminAuth, adminHostOnly } from './routes/admin-auth.ts';
import { handleGetConfig, handlePutConfig, MAX_DOCUMENT_BYTES } from './routes/admin-config.ts';
import { handleAudit, handleUndo } from './routes/audit.ts';
import { handleBanditUpdate, handleTrain } from './routes/bandits.ts';
import { handleGetCatalog, handlePutCatalog, MAX_CATALOG_BYTES } from './routes/catalog.ts';
import { handleClientScript } from './routes/client-script.ts';
import { handleCollect } from './routes/collect.ts';
import { registerDashboard } from './routes/dashboard.ts';
import { handleDecide } from './routes/decide.ts';
import { handleEvents } from './routes/events.ts';
import { handleHealth } from './routes/health.ts';
import { jsonError } from './routes/json.ts';
import { handleMe, handleMeDelete } from './routes/me.ts';
import { handlePreviewLink } from './routes/preview.ts';
import { handleErase, handleOptIn, handleOptOut } from './routes/privacy-page.ts';
import { handlePurge } from './routes/purge.ts';
import { handleReplay, MAX_REPLAY_BYTES } from './routes/replay.ts';
import { handleResults } from './routes/results.ts';
import type { AppEnv, Deps, WaitUntil } from './types.ts';

export interface AppOptions {
  makeDeps: (env: Bindings, ctx: WaitUntil) => Deps;
}

const limit = (maxSize: number, what: string) =>
  bodyLimit({ maxSize, onError: () => jsonError(413, `${what} larger than ${maxSize} bytes`) });

export function createApp(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async function deps(c, next) {
    c.set('deps', options.makeDeps(c.env, c.executionCtx));
    await next();
  });

  // HIO's own responses are never sniffed into another type (JSON, CSV, the 401s of bearerAuth, ...)
  app.use('/__hio/*', async function nosniff(c, next) {
    await next();
    if (!c.res.headers.has('x-content-type-options')) {
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set('x-content-type-options', 'nosniff');
    }
  });

  app.get('/__hio/client.js', (c) => handleClientScript(c.req.raw));
  app.on('HEAD', '/__hio/client.js', (c) => handleClientScript(c.req.raw));
  app.post('/__hio/collect', limit(MAX_BATCH_BYTES, 'batch'), (c) => handleCollect(c.var.deps, c.req.raw));
  app.get('/__hio/decide', (c) => handleDecide(c.var.deps, c.req.raw));
  app.get('/__hio/me', (c) => handleMe(c.var.deps, c.req.raw));
  app.delete('/__hio/me', (c) => handleMeDelete(c.var.deps, c.req.raw));
  app.post('/__hio/me/optout', (c) => handleOptOut(c.req.raw));
  app.post('/__hio/me/optin', (c) => handleOptIn(c.req.raw));
  app.post('/__hio/me/erase', (c) => handleErase(c.var.deps, c.req.raw));
  app.get('/__hio/health', (c) => handleHealth(c.var.deps));

  // with ADMIN_HOSTNAME set, the admin API and dashboard exist only there (e.g. behind Cloudflare Access)
  app.use('/__hio/admin/*', adminHostOnly());
  app.use('/__hio/dashboard', adminHostOnly());
  app.use('/__hio/dashboard/*', adminHostOnly());
  app.use('/__hio/admin/*', adminAuth());
  app.get('/__hio/admin/config', (c) => handleGetConfig(c.var.deps));
  app.put('/__hio/admin/config', limit(MAX_DOCUMENT_BYTES, 'document'), (c) =>
    handlePutConfig(c.var.deps, c.req.raw),
  );
  app.get('/__hio/admin/catalog', (c) => handleGetCatalog(c.var.deps, c.req.raw));
  app.put('/__hio/admin/catalog', limit(MAX_CATALOG_BYTES, 'catalogue'), (c) =>
    handlePutCatalog(c.var.deps, c.req.raw),
  );
  app.get('/__hio/admin/results', (c) => handleResults(c.var.deps, c.req.raw));
  app.get('/__hio/admin/events', (c) => handleEvents(c.var.deps, c.req.raw));
  app.post('/__hio/admin/bandits', (c) => handleBanditUpdate(c.var.deps));
  app.post('/__hio/admin/train', (c) => handleTrain(c.var.deps));
  app.get('/__hio/admin/audit', (c) => handleAudit(c.var.deps));
  app.post('/__hio/admin/purge', limit(64 * 1024, 'purge request'), (c) =>
    handlePurge(c.var.deps, c.req.raw),
  );
  app.post('/__hio/admin/audit/:id/undo', (c) => handleUndo(c.var.deps, c.req.param('id')));
  app.get('/__hio/admin/preview', (c) => handlePreviewLink(c.var.deps, c.req.raw));
  app.post('/__hio/admin/replay', limit(MAX_REPLAY_BYTES, 'replay batch'), (c) =>
    handleReplay(c.var.deps, c.req.raw),
  );

  registerDashboard(app);

  app.all('/__hio/*', () => jsonError(404, 'no such HIO route'));
  app.all('*', (c) => handlePage(c.var.deps, c.req.raw));

  app.onError((err, c) => onError(err, c.req.raw, c.env, c.var.deps));

  // The page path (everything outside /__hio) skips Hono's routing and context: the same steps as
  // the `deps` middleware and the catch-all route above, and the same error handling, without the
  // per-request router match, context and middleware chain. HEAD (which Hono answers with a GET
  // without its body) and requests without an execution context (which Hono's context refuses) go
  // through Hono, as does every path Hono would route to HIO's own handlers.
  const dispatch = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    if (
      request.method === 'HEAD' ||
      !executionCtx ||
      app.getPath(request, { env: env as Bindings }).startsWith('/__hio')
    )
      return dispatch(request, env, executionCtx);
    return servePage(options, request, env as Bindings, executionCtx);
  };
  return app;
}

async function servePage(
  options: AppOptions,
  req: Request,
  env: Bindings,
  ctx: WaitUntil,
): Promise<Response> {
  let deps: Deps | undefined;
  try {
    deps = options.makeDeps(env, ctx);
    return await handlePage(deps, req);
  } catch (err) {
    // as Hono does: only Errors reach the error handler
    if (!(err instanceof Error)) throw err;
    return onError(err, req, env, deps);
  }
}

function onError(
  err: Error,
  req: Request,
  env: Bindings,
  deps: Deps | undefined,
): Response | Promise<Response> {
  if (err instanceof HTTPException) return err.getResponse();
  const path = new URL(req.url).pathname;
  if (err instanceof ConfigError) {
    // misconfigured (e.g. no HIO_SECRET): say what is wrong, and still serve the site when we can
    log('error', `HIO is misconfigured: ${err.message}; serving the origin unpersonalized`);
  } else log('error', `unhandled error on ${path}`, err);
  if (path.startsWith('/__hio/')) {
    return err instanceof ConfigError
      ? jsonError(503, `HIO is misconfigured: ${err.message}`)
      : jsonError(500, 'internal error');
  }
  // the page path never fails because of HIO: fall back to a plain proxy
  const origin = deps?.config.origin ?? originOf(env);
  if (!origin) return new Response('HIO is misconfigured: ORIGIN_URL is not a usable URL\n', { status: 502 });
  return plainProxy(req, origin);
}

async function plainProxy(req: Request, origin: URL): Promise<Response> {
  try {
    return await fetch(buildOriginRequest(req, origin));
  } catch {
    return new Response('Bad Gateway: the origin could not be reached.\n', { status: 502 });
  }
}

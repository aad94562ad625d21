// The worker with the privacy page's three form routes in front of it, for the Chromium test of the page
// (test/privacy-page.test.ts) until worker/app.ts registers them: the same handlers the app will call.
import { createDeps } from '../../worker/deps.ts';
import worker from '../../worker/index.ts';
import { handleErase, handleOptIn, handleOptOut } from '../../worker/routes/privacy-page.ts';

export default {
  fetch(req, env, ctx) {
    const { pathname } = new URL(req.url);
    if (req.method === 'POST' && pathname === '/__hio/me/optout') return handleOptOut(req);
    if (req.method === 'POST' && pathname === '/__hio/me/optin') return handleOptIn(req);
    if (req.method === 'POST' && pathname === '/__hio/me/erase')
      return handleErase(createDeps(env, ctx), req);
    return worker.fetch(req, env, ctx);
  },
  scheduled: (event, env, ctx) => worker.scheduled(event, env, ctx),
  queue: (batch, env, ctx) => worker.queue(batch, env, ctx),
};

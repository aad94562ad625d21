/**
 * @module dashboard
 * `GET /__hio/dashboard`: the results as a web page for marketers, rendered on the server from the same
 * report as `GET /__hio/admin/results` (so it also works with just the bearer token, e.g. from curl).
 * Without auth it shows a login form: `POST /__hio/dashboard/login` takes the admin token as password and
 * sets the 12-hour `hio_admin` session cookie (see edge/admin-session.ts), which the admin API accepts too
 * (the page's CSV download). `POST /__hio/dashboard/logout` clears it.
 *
 * @example
 * registerDashboard(app); // inside createApp, before the /__hio/* catch-all
 */
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  clearSessionCookieHeader,
  isSameOrigin,
  SESSION_COOKIE,
  sessionCookieHeader,
  signSession,
} from '../edge/admin-session.ts';
import { readCookie } from '../edge/visitor-cookie.ts';
import type { AppEnv, Deps } from '../types.ts';
import { isAdminToken, mayReadAdmin, recordFailure, tooManyFailures } from './admin-auth.ts';
import { DASHBOARD_PATH, renderDashboard, renderDisabled, renderLogin } from './dashboard-view.ts';
import { readUtf8 } from './json.ts';
import { loadReport } from './results.ts';

const MAX_LOGIN_BYTES = 4096;

/** No script at all may run on these pages; styles are inline; nothing may frame them. */
const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // not no-referrer: that would make the browser send `Origin: null` with the login form
  'referrer-policy': 'same-origin',
};

function page(body: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...extra } });
}

function seeDashboard(setCookie: string): Response {
  return new Response(null, {
    status: 303,
    headers: { location: DASHBOARD_PATH, 'set-cookie': setCookie, 'cache-control': 'no-store' },
  });
}

export async function handleDashboard(deps: Deps, req: Request): Promise<Response> {
  if (!deps.config.adminToken) return page(renderDisabled(), 403);
  if (!(await mayReadAdmin(deps, req))) {
    // a cookie that no longer verifies (expired, or the token changed): say so and drop it
    if (readCookie(req.headers.get('cookie'), SESSION_COOKIE) !== undefined) {
      return page(renderLogin({ notice: 'Your session has ended. Log in again.' }), 401, {
        'set-cookie': clearSessionCookieHeader(req),
      });
    }
    return page(renderLogin(), 401);
  }
  return page(renderDashboard(await loadReport(deps)));
}

export async function handleLogin(deps: Deps, req: Request): Promise<Response> {
  const token = deps.config.adminToken;
  if (!token) return page(renderDisabled(), 403);
  if (!isSameOrigin(req)) return page(renderLogin({ error: 'Log in from the dashboard page itself.' }), 403);
  const limited = tooManyFailures(deps, req);
  if (limited) {
    return page(renderLogin({ error: 'Too many wrong tokens from this address. Wait a few minutes.' }), 429, {
      'retry-after': limited.headers.get('retry-after') ?? '300',
    });
  }
  const form = await readUtf8(req);
  if (form === null) return page(renderLogin({ error: 'Unreadable form.' }), 400);
  const password = new URLSearchParams(form).get('password') ?? '';
  if (!password || !(await isAdminToken(deps, password))) {
    recordFailure(deps, req);
    deps.log('warn', 'dashboard login with a wrong admin token');
    return page(renderLogin({ error: 'Wrong admin token.' }), 401);
  }
  const value = await signSession(deps.now(), deps.config.secret, token);
  return seeDashboard(sessionCookieHeader(value, req));
}

export function handleLogout(req: Request): Response {
  return seeDashboard(clearSessionCookieHeader(req));
}

/** Mounts the dashboard's routes. */
export function registerDashboard(app: Hono<AppEnv>): void {
  app.get(DASHBOARD_PATH, (c) => handleDashboard(c.var.deps, c.req.raw));
  app.post(
    `${DASHBOARD_PATH}/login`,
    bodyLimit({
      maxSize: MAX_LOGIN_BYTES,
      onError: () => page(renderLogin({ error: 'That is too long to be the admin token.' }), 400),
    }),
    (c) => handleLogin(c.var.deps, c.req.raw),
  );
  app.post(`${DASHBOARD_PATH}/logout`, (c) => handleLogout(c.req.raw));
}

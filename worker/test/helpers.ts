/**
 * Helpers for the worker's integration tests: requests go through the real worker entry point
 * (Hono app, real Miniflare KV and D1); the origin is worker/test/origin.ts. Every request gets its
 * own execution context, and `settle()` awaits the work the requests so far left behind (`waitUntil`).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { RECS_COMPACT_KEY, RECS_MODEL_KEY, RECS_STAMP_KEY } from '../db/models.ts';
import worker from '../index.ts';

export const BASE = 'http://hio.test';
export const ADMIN = { authorization: 'Bearer test-admin-token' };
export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';

let contexts: ExecutionContext[] = [];

let overridden: typeof env | null = null;
/**
 * Bindings to change for the requests that follow (e.g. `{ HTML_CACHE: 'on' }`); `null` restores them.
 * The worker builds its per-isolate dependencies per env object, so the change takes effect at once.
 */
export function overrideEnv(o: Record<string, unknown> | null): void {
  overridden = o ? ({ ...env, ...o } as typeof env) : null;
}

export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('user-agent')) headers.set('user-agent', DESKTOP_UA);
  const ctx = createExecutionContext();
  contexts.push(ctx);
  // the runtime gives the worker an IncomingRequest; a test request has no `cf` facts
  const req = new Request(BASE + path, { ...init, headers }) as Request<unknown, IncomingRequestCfProperties>;
  return worker.fetch(req, overridden ?? env, ctx);
}

/** A page request as a browser makes it, with the visitor cookie when given. */
export function page(path: string, cookie?: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'text/html,application/xhtml+xml');
  if (cookie) headers.set('cookie', cookie);
  return call(path, { ...init, headers });
}

export async function putConfig(doc: unknown): Promise<Response> {
  return call('/__hio/admin/config', {
    method: 'PUT',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify(doc),
  });
}

/** The `hio_vid=...` pair of a response's Set-Cookie, for the next request. */
export function visitorCookie(res: Response): string {
  for (const c of res.headers.getSetCookie()) if (c.startsWith('hio_vid=')) return c.split(';')[0] as string;
  throw new Error('no hio_vid cookie set');
}

let n = 0;
export function eventId(): string {
  n++;
  return `e${Date.now().toString(36)}${n.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function collect(
  cookie: string | undefined,
  body: unknown,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
  if (cookie) headers.set('cookie', cookie);
  return call('/__hio/collect', {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
    headers,
  });
}

/** Awaits the work (`waitUntil`) that the requests made so far left behind. Read bodies first. */
export async function settle(): Promise<void> {
  const pending = contexts;
  contexts = [];
  await Promise.all(pending.map((ctx) => waitOnExecutionContext(ctx)));
}

/**
 * A visitor who views the catalogue items `items` (pages `/item/<id>`) in one visit, each page reported
 * by its beacon; returns their cookie. Throws when a beacon is refused.
 */
export async function browseItems(items: string[]): Promise<string> {
  let cookie: string | undefined;
  for (const item of items) {
    const res = await page(`/item/${item}`, cookie);
    await res.text();
    cookie ??= visitorCookie(res);
    const beacon = await collect(cookie, {
      v: 1,
      events: [{ t: 'pageview', id: eventId(), path: `/item/${item}`, item }],
    });
    if (beacon.status !== 204) throw new Error(`beacon answered ${beacon.status}`);
  }
  await settle();
  return cookie as string;
}

export async function me(cookie: string): Promise<Record<string, unknown>> {
  const res = await call('/__hio/me', { headers: { cookie } });
  return (await res.json()) as Record<string, unknown>;
}

/** Deletes every object of the event log (R2 outlives a test in these suites). */
export async function emptyEventLog(): Promise<void> {
  for (;;) {
    const listed = await env.HIO_EVENTS.list({ prefix: 'events/' });
    if (!listed.objects.length) return;
    await env.HIO_EVENTS.delete(listed.objects.map((o) => o.key));
  }
}

/** Deletes the recommendation model in every stored format, and its stamp (KV outlives a test). */
export async function forgetRecsModel(): Promise<void> {
  for (const key of [RECS_MODEL_KEY, RECS_COMPACT_KEY, RECS_STAMP_KEY]) await env.HIO_KV.delete(key);
}

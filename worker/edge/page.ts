/**
 * @module page
 * The page path: forward to the origin, and, for HTML, decide and stream the rewrite.
 *
 * The visitor's state is read in parallel with the origin fetch (never before it), bounded by the
 * state budget. Anything that goes wrong in personalization serves the origin's response unchanged.
 * Profile writes happen after the response, through `waitUntil`.
 */
import { isbot } from 'isbot';
import type { Deps } from '../deps.ts';
import type { LoadedState } from '../state/store.ts';
import { type Personalization, personalize } from './personalize.ts';
import { PREVIEW_PARAM, type PreviewClaim, verifyPreview, withoutPreviewParam } from './preview.ts';
import { mayProfile } from './privacy.ts';
import { buildOriginRequest, isRewritable } from './proxy.ts';
import { createRewriter, SCRIPT_TAG } from './rewrite.ts';
import { newVisitorId, signVisitorId, visitorCookieHeader, visitorFromRequest } from './visitor-cookie.ts';

const TIMEOUT = Symbol('timeout');

export function withBudget<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: number | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** Whether a request is for a page (worth reading state for), judged before the origin answers. */
function wantsHtml(req: Request): boolean {
  if (req.method !== 'GET') return false;
  const dest = req.headers.get('sec-fetch-dest');
  if (dest) return dest === 'document' || dest === 'iframe';
  const accept = req.headers.get('accept');
  return !accept || accept.includes('text/html') || accept.includes('*/*');
}

interface Prepared {
  visitorId: string;
  cookie: string | null;
  loaded: LoadedState;
  stateTimedOut: boolean;
  p: Personalization;
  retentionSeconds: number;
  decideMs: number;
}

async function prepare(deps: Deps, req: Request, preview: PreviewClaim | null): Promise<Prepared | null> {
  const started = performance.now();
  const now = deps.now();
  const [known, live] = await Promise.all([
    visitorFromRequest(req, deps.config.secret),
    deps.configRepo.live(now, deps.waitUntil),
  ]);
  // no consent, or Global Privacy Control: the origin's page, untouched (previews are the admin's own)
  if (!preview && !mayProfile(req, live.doc)) return null;
  let visitorId = known;
  let cookie: string | null = null;
  if (!visitorId) {
    visitorId = newVisitorId();
    // a preview sets no cookie: it must leave no trace
    if (!preview) cookie = await signVisitorId(visitorId, deps.config.secret);
  }
  let loaded: LoadedState = { profile: {} };
  let stateTimedOut = false;
  if (known) {
    const r = await withBudget(deps.store.load(known), deps.config.stateBudgetMs);
    if (r === TIMEOUT) {
      stateTimedOut = true;
      deps.log('warn', `visitor state read exceeded ${deps.config.stateBudgetMs} ms; serving unpersonalized`);
    } else loaded = r;
  }
  const p = personalize({
    doc: live.doc,
    visitorId,
    stored: loaded.profile,
    req,
    now,
    pageview: !preview,
    banditWeights: live.bandit,
    force: preview ? { campaign: preview.campaign, variant: preview.variant } : undefined,
  });
  if (stateTimedOut) {
    // without the profile we cannot honour sticky assignments: show nothing rather than a wrong variant
    p.writes.length = 0;
    p.result.decisions.length = 0;
    p.exposures.length = 0;
  }
  return {
    visitorId,
    cookie,
    loaded,
    stateTimedOut,
    p,
    retentionSeconds: live.doc.settings.retentionSeconds,
    decideMs: performance.now() - started,
  };
}

function privateCacheControl(value: string | null): string {
  const kept = (value ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d && !/^(public|private|s-maxage|proxy-revalidate)\b/i.test(d));
  return ['private', ...kept].join(', ');
}

export async function handlePage(deps: Deps, req: Request): Promise<Response> {
  const token = new URL(req.url).searchParams.get(PREVIEW_PARAM);
  const preview = token ? await verifyPreview(token, deps.config.secret, deps.now()) : null;
  if (token && !preview) deps.log('warn', 'ignoring an invalid or expired preview link');
  const originReq = buildOriginRequest(withoutPreviewParam(req), deps.config.origin);
  const personalizable = wantsHtml(req) && !isbot(req.headers.get('user-agent') ?? '');
  const prepared = personalizable
    ? prepare(deps, req, preview).catch((err: unknown) => {
        deps.log('error', 'personalization failed; serving the origin page unchanged', err);
        return null;
      })
    : Promise.resolve(null);

  let res: Response;
  try {
    res = await deps.fetchOrigin(originReq);
  } catch (err) {
    deps.log('error', `origin ${deps.config.origin.host} unreachable`, err);
    return new Response('Bad Gateway: the origin could not be reached.\n', {
      status: 502,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' },
    });
  }
  const ready = await prepared;
  if (!ready || !isRewritable(req, res)) return res;

  const { p } = ready;
  const personalized = p.writes.length > 0;
  let out: Response;
  try {
    const rewriter = createRewriter({
      writes: p.writes,
      scriptTag: preview ? null : SCRIPT_TAG,
      onError: (err) => deps.log('error', 'rewrite handler failed; slot left as the origin sent it', err),
    });
    const transformed = rewriter.transform(res);
    out = new Response(transformed.body, transformed);
  } catch (err) {
    deps.log('error', 'rewriter could not start; serving the origin page unchanged', err);
    return res;
  }
  const h = out.headers;
  h.delete('content-length');
  const etag = h.get('etag');
  if (etag && !etag.startsWith('W/')) {
    if (personalized) h.delete('etag');
    else h.set('etag', `W/${etag}`);
  }
  if (preview) h.set('cache-control', 'no-store');
  else if (personalized || ready.cookie) h.set('cache-control', privateCacheControl(h.get('cache-control')));
  if (ready.cookie)
    h.append('set-cookie', visitorCookieHeader(ready.cookie, new URL(req.url).protocol === 'https:'));
  h.append('server-timing', `hio;desc="decide";dur=${ready.decideMs.toFixed(2)}`);

  if (!ready.stateTimedOut && p.pageOps.length) {
    deps.waitUntil(
      deps.store
        .apply(ready.visitorId, 'page', [{ ops: p.pageOps }], {
          ttlSeconds: ready.retentionSeconds,
          loaded: ready.loaded,
        })
        .catch((err: unknown) => deps.log('error', 'storing the pageview failed', err)),
    );
  }
  if (p.exposures.length) {
    deps.waitUntil(deps.analytics.recordExposures(ready.visitorId, p.exposures, deps.now()));
  }
  return out;
}

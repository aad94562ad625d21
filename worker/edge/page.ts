/**
 * @module page
 * The page path: forward to the origin, and, for HTML, decide and stream the rewrite.
 *
 * The visitor's state is read in parallel with the origin fetch (never before it), bounded by the
 * state budget. When the origin answers first, the page streams at once and only the first slot
 * waits for the decision. Anything that goes wrong in personalization serves the origin's response
 * unchanged. What the page showed is stored after it has streamed, through `waitUntil`, and only when
 * there is something new (an assignment, an exposure): visits and pageviews come from the beacon.
 */
import { isbot } from 'isbot';
import type { LiveConfig } from '../db/config-repo.ts';
import {
  EMPTY_REWRITE,
  isEmptyMeasurement,
  type PagePlan,
  planPage,
  type RewritePlan,
} from '../engine/index.ts';
import type { LoadedState } from '../state/store.ts';
import type { Deps } from '../types.ts';
import { fetchOriginPage } from './html-cache.ts';
import { eraseVisitor, persistWrites } from './persist.ts';
import { PREVIEW_PARAM, type PreviewClaim, verifyPreview, withoutPreviewParam } from './preview.ts';
import { privacyBlock } from './privacy.ts';
import { applyCaching, buildOriginRequest, isRewritable } from './proxy.ts';
import { requestFacts } from './request-facts.ts';
import { createRewriter, cspNonce, SCRIPT_TAG } from './rewrite.ts';
import {
  clearVisitorCookieHeader,
  newVisitorId,
  signVisitorId,
  visitorCookieHeader,
  visitorFromRequest,
} from './visitor-cookie.ts';

/**
 * Why a page was not personalized, named in its `Server-Timing` (`hio-skip;desc="bot"`), so that
 * whoever tries `curl` sees why they got the origin's page.
 */
export type SkipReason =
  | 'bot'
  | 'opt-out'
  | 'gpc'
  | 'no-consent'
  | 'preview'
  | 'state-timeout'
  | 'no-document'
  | 'error';

/** A page HIO must not personalize; `forget`: a visitor whose cookie and data go (GPC, withdrawn consent). */
export interface Skip {
  skip: SkipReason;
  forget?: string;
}

const TIMEOUT = Symbol('timeout');

/**
 * `p`, or TIMEOUT when it has not settled `ms` after the call. One promise and one timer, cleared as
 * soon as `p` settles (no `Promise.race`, no `finally`: this runs on every page of a returning visitor).
 */
export function withBudget<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  return new Promise<T | typeof TIMEOUT>((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMEOUT), ms);
    p.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

// isbot tests one large regular expression; user agents repeat, so remember the answers (bounded)
const BOT_CACHE_LIMIT = 2_000;
const botCache = new Map<string, boolean>();

export function isBot(ua: string): boolean {
  let hit = botCache.get(ua);
  if (hit === undefined) {
    hit = isbot(ua);
    if (botCache.size >= BOT_CACHE_LIMIT) botCache.delete(botCache.keys().next().value as string);
    botCache.set(ua, hit);
  }
  return hit;
}

/** Whether a request is for a page (worth reading state for), judged before the origin answers. */
function wantsHtml(req: Request): boolean {
  if (req.method !== 'GET') return false;
  const dest = req.headers.get('sec-fetch-dest');
  if (dest) return dest === 'document' || dest === 'iframe';
  const accept = req.headers.get('accept');
  return !accept || accept.includes('text/html') || accept.includes('*/*');
}

/** Who the visitor is and what applies, known before the origin answers (cookie check, cached config). */
export interface Identity {
  visitorId: string;
  /** the visitor came with a valid cookie (so has state worth reading) */
  known: boolean;
  /** a new visitor's signed cookie value, to set on the response */
  cookie: string | null;
  live: LiveConfig;
}

export async function identify(
  deps: Deps,
  req: Request,
  preview: PreviewClaim | null,
): Promise<Identity | Skip> {
  const [known, live] = await Promise.all([
    visitorFromRequest(req, deps.config.secret),
    deps.configRepo.live(deps.now(), deps.waitUntil),
  ]);
  // without a loaded document the site's consent rules are unknown: profile nobody, set no cookie
  if (!live.loaded) return { skip: 'no-document' };
  // No consent, or Global Privacy Control: the origin's page, untouched (previews are the admin's own).
  // A visitor who had a cookie stops here at the first request: cookie cleared, data erased.
  const blocked = preview ? null : privacyBlock(req, live.doc);
  if (blocked) return known ? { skip: blocked, forget: known } : { skip: blocked };
  if (known) return { visitorId: known, known: true, cookie: null, live };
  const visitorId = newVisitorId();
  // a preview sets no cookie: it must leave no trace
  const cookie = preview ? null : await signVisitorId(visitorId, deps.config.secret);
  return { visitorId, known: false, cookie, live };
}

export interface Decided {
  /** null when the state read timed out or failed: the page streams unpersonalized, nothing is recorded */
  p: PagePlan | null;
  /** why there is no plan */
  skip?: 'state-timeout' | 'error';
  plan: RewritePlan;
  loaded: LoadedState;
  decideMs: number;
}

/**
 * Reads the visitor's state (within the budget) and decides. When the state read times out or fails,
 * the plan is empty: without the profile sticky assignments cannot be honoured, so nothing is shown and
 * nothing written, but the page still carries the script so the visit is not lost (its beacon is kept
 * and sent again while the store is down).
 */
export async function decideFor(
  deps: Deps,
  req: Request,
  id: Identity,
  preview: PreviewClaim | null,
  started: number,
  mode: 'page' | 'decide' = 'page',
  url?: URL,
): Promise<Decided> {
  let loaded: LoadedState = { profile: {} };
  if (id.known) {
    const r = await withBudget(deps.store.load(id.visitorId), deps.config.stateBudgetMs).catch(
      (err: unknown) => {
        deps.log('error', 'reading visitor state failed; serving unpersonalized', err);
        return null;
      },
    );
    if (r === TIMEOUT || r === null) {
      if (r === TIMEOUT)
        deps.log(
          'warn',
          `visitor state read exceeded ${deps.config.stateBudgetMs} ms; serving unpersonalized`,
        );
      const skip = r === TIMEOUT ? ('state-timeout' as const) : ('error' as const);
      return { p: null, skip, plan: EMPTY_REWRITE, loaded, decideMs: performance.now() - started };
    }
    loaded = r;
  }
  const now = deps.now();
  const p = planPage({
    doc: id.live.doc,
    visitorId: id.visitorId,
    stored: loaded.profile,
    facts: requestFacts(req, id.live.doc, now, url),
    mode: preview ? 'preview' : mode,
    banditWeights: id.live.bandit,
    contextShares: id.live.contextual,
    propensity: id.live.propensity,
    clusters: id.live.clusters,
    stopped: id.live.stopped,
    recommendations: id.live.recommendations,
    force: preview ? { campaign: preview.campaign, variant: preview.variant } : undefined,
  });
  return { p, plan: p.rewrite, loaded, decideMs: performance.now() - started };
}

function badGateway(): Response {
  return new Response('Bad Gateway: the origin could not be reached.\n', {
    status: 502,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' },
  });
}

/** The response with a `Server-Timing` entry naming why it was not personalized. */
export function skipped(res: Response, reason: SkipReason): Response {
  if (!isHtml(res)) return res;
  const out = new Response(res.body, res);
  out.headers.append('server-timing', `hio-skip;desc="${reason}"`);
  return out;
}

const isHtml = (res: Response) => /^\s*text\/html\b/i.test(res.headers.get('content-type') ?? '');

export async function handlePage(deps: Deps, req: Request): Promise<Response> {
  const started = performance.now();
  // the request's URL, parsed once for the whole page path (never modified)
  const url = new URL(req.url);
  const token = url.search ? url.searchParams.get(PREVIEW_PARAM) : null;
  const preview = token ? await verifyPreview(token, deps.config.secret, deps.now()) : null;
  if (token && !preview) deps.log('warn', 'ignoring an invalid or expired preview link');
  const originReq =
    token === null
      ? buildOriginRequest(req, deps.config.origin, url)
      : buildOriginRequest(withoutPreviewParam(req), deps.config.origin);
  if (!wantsHtml(req)) {
    return deps.fetchOrigin(originReq).catch((err: unknown) => {
      deps.log('error', `origin ${deps.config.origin.host} unreachable`, err);
      return badGateway();
    });
  }
  // pages the origin lets shared caches keep come from the HTML cache (edge/html-cache.ts)
  // a preview shows the origin's page as it is now, and leaves nothing behind (not even a cached copy)
  const origin = (
    preview
      ? deps.fetchOrigin(originReq).then((res) => ({ res, hit: false }))
      : fetchOriginPage(deps, req, originReq)
  ).catch((err: unknown) => {
    deps.log('error', `origin ${deps.config.origin.host} unreachable`, err);
    return null;
  });
  if (isBot(req.headers.get('user-agent') ?? '')) {
    const page = await origin;
    return page ? skipped(page.res, 'bot') : badGateway();
  }

  // the state read and the decision run while the origin fetch is in flight
  const failed = (what: string) => (err: unknown) => {
    deps.log('error', `${what} failed; serving the origin page unchanged`, err);
    return null;
  };
  const identity = identify(deps, req, preview).catch(failed('identifying the visitor'));
  let settled = false;
  const decided = identity
    .then((id) => (id && !('skip' in id) ? decideFor(deps, req, id, preview, started, 'page', url) : null))
    .catch(failed('personalization'))
    .finally(() => {
      settled = true;
    });

  const page = await origin;
  if (!page) return badGateway();
  const res = page.res;
  const id = await identity;
  if (!id) return skipped(res, 'error');
  if ('skip' in id) return id.forget ? forget(deps, req, res, id.skip, id.forget) : skipped(res, id.skip);
  if (!isRewritable(req, res)) return res;
  // a cached page is all here already: wait for the decision (it is budgeted) and send exact headers
  if (page.hit && !settled) await decided;

  // Decided already (the usual case: the origin takes longer than a state read): exact headers.
  // Otherwise stream now, conservatively private, and let the first slot wait for the decision.
  const now = settled ? await decided : null;
  if (settled && !now) return skipped(res, 'error');
  const personalized = now ? now.plan.writes.length > 0 : true;
  const matched = new Set<string>();
  let out: Response;
  try {
    const rewriter = createRewriter({
      plan: now ? now.plan : decided.then((d) => (d ? d.plan : null)),
      selectors: id.live.doc.selectors,
      scriptTag: preview ? null : SCRIPT_TAG,
      nonce: cspNonce(res.headers),
      onMatch: (campaign) => matched.add(campaign),
      onEnd: () => deps.waitUntil(record(deps, decided, matched)),
      onError: (err) => deps.log('error', 'rewrite handler failed; slot left as the origin sent it', err),
    });
    out = rewriter.transform(res);
  } catch (err) {
    deps.log('error', 'rewriter could not start; serving the origin page unchanged', err);
    return skipped(res, 'error');
  }
  const h = out.headers;
  h.delete('content-length');
  if (id.cookie) h.append('set-cookie', visitorCookieHeader(id.cookie, url.protocol === 'https:'));
  applyCaching(h, {
    personalized: personalized || preview !== null,
    oneVisitor: personalized || preview !== null || h.has('set-cookie'),
    noStore: preview !== null,
  });
  h.append(
    'server-timing',
    now ? `hio;desc="decide";dur=${now.decideMs.toFixed(2)}` : 'hio;desc="decide, streamed"',
  );
  if (page.hit) h.append('server-timing', 'hio-cache;desc="hit"');
  if (preview) h.append('server-timing', 'hio-skip;desc="preview"');
  else if (now && !now.p) h.append('server-timing', `hio-skip;desc="${now.skip ?? 'state-timeout'}"`);
  return out;
}

/**
 * The visitor withdrew (GPC, consent gone): their page untouched, the cookie cleared, and everything
 * stored about them erased now. No grace period: once the cookie is gone the old profile can never be
 * reached again, so keeping it would serve no one.
 */
export function forget(
  deps: Deps,
  req: Request,
  res: Response,
  reason: SkipReason,
  visitorId: string,
): Response {
  const out = skipped(res, reason);
  const headers = out === res ? new Response(res.body, res) : out;
  headers.headers.append('set-cookie', clearVisitorCookieHeader(new URL(req.url).protocol === 'https:'));
  deps.waitUntil(
    eraseVisitor(deps, visitorId).catch((err: unknown) =>
      deps.log('error', 'erasing a visitor who withdrew consent failed', err),
    ),
  );
  return headers;
}

/** After the page has streamed: what the plan says the page's slots leave behind. */
async function record(deps: Deps, decided: Promise<Decided | null>, matched: Set<string>) {
  const d = await decided;
  if (!d?.p) return;
  const w = d.p.settle(matched);
  // a returning visitor's usual page leaves nothing new: no store call at all
  if (!w.profile && isEmptyMeasurement(w.measurement)) return;
  await persistWrites(deps, w, d.loaded);
}

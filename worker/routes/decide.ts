/**
 * @module decide
 * `GET /__hio/decide?path=/p&slots=#hero&slots=.cta[&ref=...]`: the decision API, for what HTMLRewriter
 * cannot reach (content a single-page app renders after load, a mobile app, a server that renders
 * itself). With the visitor's cookie it returns, per requested slot, the campaign, the variant and its
 * content, decided exactly as a page at `path` would be (the same engine call, `planPage` in mode
 * `decide`): the same targeting, allocation, sticky assignments, caps and holdout. The assignment is
 * stored at once; the exposure is held in the profile and counted when the client reports the slot's
 * impression (`POST /__hio/collect`, `{ t: "impression", campaign, variant }`), which the browser
 * script does for an element marked with `data-hio-campaign` / `data-hio-variant`.
 *
 * A request that must not be personalized (a bot, no consent, Global Privacy Control, no document yet,
 * the state store too slow or failing) gets `{ decisions: [], reason }` with 200: the caller keeps its
 * default content, exactly as a page would be served unpersonalized. Bad parameters are a 400; a request
 * another site's page makes is refused (403), as beacons are.
 */
import { decideFor, type Identity, identify, isBot, type SkipReason } from '../edge/page.ts';
import { eraseVisitor, persistWrites } from '../edge/persist.ts';
import { clientIp, createRateLimiter } from '../edge/rate-limit.ts';
import { clearVisitorCookieHeader, visitorCookieHeader } from '../edge/visitor-cookie.ts';
import { decodeAttributeValue, HOLDOUT_VARIANT, MAX_URL_CHARS, type SlotAction } from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { fromAnotherSite } from './collect.ts';
import { json, jsonError } from './json.ts';

/** Most slots one call may ask for, and the longest slot name (a selector or a campaign id). */
export const MAX_DECIDE_SLOTS = 32;
const MAX_SLOT_CHARS = 256;

/** Calls per visitor per minute (an app asks once per route), and per address without a cookie. */
export const DECIDE_LIMITS = { perVisitor: 120, perAddress: 240, windowMs: 60_000 } as const;
const perVisitor = createRateLimiter({ limit: DECIDE_LIMITS.perVisitor, windowMs: DECIDE_LIMITS.windowMs });
const perAddress = createRateLimiter({ limit: DECIDE_LIMITS.perAddress, windowMs: DECIDE_LIMITS.windowMs });

/** One slot's decision, as the API returns it. */
export interface SlotDecision {
  /** the slot's selector in the campaign document */
  slot: string;
  campaign: string;
  variant: string;
  action: SlotAction;
  /** setAttribute: the attribute's name */
  name?: string;
  /** the variant's content (HTML, escaped as every template is); absent for a control or holdout */
  html?: string;
  /** setAttribute: the attribute's value as it should be set (plain text, not HTML) */
  value?: string;
  /** the control: keep the default content (mark the element so its impression counts) */
  control?: true;
  /** the visitor is held out of this campaign: keep the default content, mark the element all the same */
  holdout?: true;
}

export type DecideReason = SkipReason | 'state-timeout';

type Parsed =
  | { ok: true; path: string; slots: string[] | null; ref: string | null }
  | { ok: false; error: string };

/** A backslash (which URL parsers read as `/`) or a control character: never in a path we accept. */
function hasControlOrBackslash(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

function parse(url: URL): Parsed {
  const path = url.searchParams.get('path') ?? '/';
  // a path of this site: not a URL of another one, not protocol-relative, no control characters
  if (
    !path.startsWith('/') ||
    path.startsWith('//') ||
    path.length > MAX_URL_CHARS ||
    hasControlOrBackslash(path)
  )
    return {
      ok: false,
      error: `path must be a path of this site starting with "/" (at most ${MAX_URL_CHARS} characters)`,
    };
  const given = url.searchParams.getAll('slots');
  let slots: string[] | null = null;
  if (given.length) {
    slots = given
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    if (slots.length > MAX_DECIDE_SLOTS)
      return { ok: false, error: `at most ${MAX_DECIDE_SLOTS} slots per call` };
    if (slots.some((s) => s.length > MAX_SLOT_CHARS))
      return {
        ok: false,
        error: `a slot is a selector or campaign id of at most ${MAX_SLOT_CHARS} characters`,
      };
    // a selector with a comma in it, given whole, is kept whole as well
    slots.push(...given.filter((s) => s.includes(',')).map((s) => s.trim()));
  }
  const ref = url.searchParams.get('ref');
  if (ref !== null && ref !== '') {
    let ok = ref.length <= MAX_URL_CHARS;
    try {
      ok &&= /^https?:$/.test(new URL(ref).protocol);
    } catch {
      ok = false;
    }
    if (!ok) return { ok: false, error: `ref must be an http(s) URL of at most ${MAX_URL_CHARS} characters` };
  }
  return { ok: true, path, slots, ref: ref || null };
}

/**
 * The request a page at `path` would have been: the same headers (user agent, cookie, consent, GPC,
 * country), the page's URL, and the page's own referrer (`ref`, what `document.referrer` says) instead of
 * the calling page's URL that a `fetch` sends.
 */
function pageRequest(req: Request, path: string, ref: string | null): Request {
  const headers = new Headers(req.headers);
  if (ref) headers.set('referer', ref);
  else headers.delete('referer');
  const out = new Request(new URL(path, req.url), { headers });
  const cf = (req as Request & { cf?: unknown }).cf;
  // the country and time zone Cloudflare attached to the call are the page's as well (`cf` is a
  // read-only getter of Request: shadow it on this instance)
  if (cf) Object.defineProperty(out, 'cf', { value: cf });
  return out;
}

// never cached (json() says no-store): an answer is one visitor's
const answer = (decisions: SlotDecision[], extra: Record<string, unknown>, headers?: Headers) =>
  json({ decisions, ...extra }, 200, headers);

/** Whether a slot was asked for: by its selector or by its campaign's id (every slot when none is named). */
function wanted(slots: string[] | null): (campaign: string, selector: string) => boolean {
  if (!slots) return () => true;
  const set = new Set(slots);
  return (campaign, selector) => set.has(selector) || set.has(campaign);
}

export async function handleDecide(deps: Deps, req: Request): Promise<Response> {
  if (fromAnotherSite(req)) return jsonError(403, 'decisions are given to pages of this site only');
  const url = new URL(req.url);
  const parsed = parse(url);
  if (!parsed.ok) return jsonError(400, parsed.error);
  const page = pageRequest(req, parsed.path, parsed.ref);
  if (isBot(req.headers.get('user-agent') ?? '')) return answer([], { path: parsed.path, reason: 'bot' });

  const started = performance.now();
  let id: Identity | { skip: SkipReason; forget?: string } | null;
  try {
    id = await identify(deps, page, null);
  } catch (err) {
    deps.log('error', 'identifying the visitor failed; no decisions', err);
    id = null;
  }
  if (!id) return answer([], { path: parsed.path, reason: 'error' });
  if ('skip' in id) {
    if (!id.forget) return answer([], { path: parsed.path, reason: id.skip });
    // the visitor withdrew: cookie cleared and data erased, as a page does
    const visitorId = id.forget;
    deps.waitUntil(
      eraseVisitor(deps, visitorId).catch((err: unknown) =>
        deps.log('error', 'erasing a visitor who withdrew consent failed', err),
      ),
    );
    const h = new Headers({ 'set-cookie': clearVisitorCookieHeader(url.protocol === 'https:') });
    return answer([], { path: parsed.path, reason: id.skip }, h);
  }
  const limited = id.known
    ? perVisitor.hit(id.visitorId, deps.now())
    : perAddress.hit(clientIp(req), deps.now());
  if (!limited.ok)
    return jsonError(429, 'too many decision calls; slow down', undefined, {
      'retry-after': String(limited.retryAfterSeconds),
    });

  const headers = new Headers();
  if (id.cookie) headers.append('set-cookie', visitorCookieHeader(id.cookie, url.protocol === 'https:'));
  let d: Awaited<ReturnType<typeof decideFor>>;
  try {
    d = await decideFor(deps, page, id, null, started, 'decide');
  } catch (err) {
    deps.log('error', 'deciding failed; no decisions', err);
    return answer([], { path: parsed.path, reason: 'error' }, headers);
  }
  if (!d.p) return answer([], { path: parsed.path, reason: d.skip ?? 'state-timeout' }, headers);

  const want = wanted(parsed.slots);
  const decisions: SlotDecision[] = [];
  const matched = new Set<string>();
  for (const w of d.p.rewrite.writes) {
    if (!want(w.campaign, w.selector)) continue;
    matched.add(w.campaign);
    const out: SlotDecision = {
      slot: w.selector,
      campaign: w.campaign,
      variant: w.variant,
      action: w.action,
    };
    if (w.name) out.name = w.name;
    if (w.content === undefined) out.control = true;
    else if (w.action === 'setAttribute') out.value = decodeAttributeValue(w.content);
    else out.html = w.content;
    decisions.push(out);
  }
  for (const c of d.p.result.heldOut) {
    for (const s of c.slots) {
      if (!want(c.id, s.selector)) continue;
      matched.add(c.id);
      decisions.push({
        slot: s.selector,
        campaign: c.id,
        variant: HOLDOUT_VARIANT,
        action: s.action,
        holdout: true,
      });
    }
  }
  deps.waitUntil(persistWrites(deps, d.p.settle(matched), d.loaded));
  headers.append('server-timing', `hio;desc="decide";dur=${(performance.now() - started).toFixed(2)}`);
  return answer(decisions, { path: parsed.path }, headers);
}

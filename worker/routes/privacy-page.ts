/**
 * @module privacy-page
 * The privacy page: `GET /__hio/me` in a browser. What HIO stores about this visitor, in words; why each
 * campaign on the page was or was not shown; a switch that turns personalization off for this browser
 * (and back on); a button that erases everything. A site can link it from its privacy notice.
 *
 * - `POST /__hio/me/optout` sets `hio_optout=1` (a year, HttpOnly, SameSite=Lax) and `POST /__hio/me/optin`
 *   clears it; both answer 303 back to the page. The edge treats the cookie like Global Privacy Control
 *   (`hasOptedOut`): no profiling, no cookie, no script, no measurement.
 * - `POST /__hio/me/erase` does what `DELETE /__hio/me` does and shows a confirmation.
 *
 * The page runs no script and loads nothing (CSP `default-src 'none'`), every value in it is escaped
 * with the engine's `escapeHtml`, and the forms only work from the site itself: a POST whose fetch
 * metadata or Origin names another site is refused (403), so another site cannot opt a visitor in,
 * out, or erase them.
 */
import { isSameOrigin } from '../edge/admin-session.ts';
import { eraseVisitor } from '../edge/persist.ts';
import { OPT_OUT_COOKIE, privacyBlock } from '../edge/privacy.ts';
import { clearVisitorCookieHeader, readCookie, visitorFromRequest } from '../edge/visitor-cookie.ts';
import {
  type CompiledDocument,
  decodeItemClick,
  escapeHtml,
  type FlatProfile,
  num,
  P,
  type Prefix,
  type ProfileView,
} from '../engine/index.ts';
import type { Deps } from '../types.ts';
import { json, jsonError } from './json.ts';
import type { CampaignWhy } from './me.ts';

export const OPTOUT_COOKIE = OPT_OUT_COOKIE;
const OPTOUT_MAX_AGE = 34_560_000;

export const PRIVACY_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/** The visitor turned personalization off for this browser on the privacy page. */
export function hasOptedOut(req: Request): boolean {
  return readCookie(req.headers.get('cookie'), OPTOUT_COOKIE) === '1';
}

/** Whether HIO personalizes for this browser, and if not, why. */
export type PrivacyState = 'on' | 'opted-out' | 'gpc' | 'no-consent';

export function privacyState(req: Request, doc: CompiledDocument): PrivacyState {
  if (hasOptedOut(req)) return 'opted-out';
  const block = privacyBlock(req, doc);
  // any other reason the edge may add reads as the browser's own privacy signal
  return block === null ? 'on' : block === 'no-consent' ? 'no-consent' : 'gpc';
}

/** q-value of a media type in an Accept header (0 when absent), counting `type/*` and `*\/*`. */
function quality(accept: string, type: string): number {
  let best = 0;
  let specificity = -1;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const [t, s] = range.trim().split('/');
    const [wantT, wantS] = type.split('/');
    const spec =
      t === wantT && s === wantS ? 2 : t === wantT && s === '*' ? 1 : t === '*' && s === '*' ? 0 : -1;
    if (spec < specificity || spec < 0) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    specificity = spec;
    best = q === undefined ? 1 : Number(q) || 0;
  }
  return best;
}

/**
 * A browser asking for a page: `Accept` names `text/html` itself, preferred over JSON. JSON otherwise
 * (no Accept, `*\/*`, `application/json`), and always for `?format=json`.
 */
export function wantsHtml(req: Request): boolean {
  if (new URL(req.url).searchParams.get('format') === 'json') return false;
  const accept = req.headers.get('accept') ?? '';
  if (!/text\/html/i.test(accept)) return false;
  const html = quality(accept, 'text/html');
  return html > 0 && html > quality(accept, 'application/json');
}

// ---- rendering ----

const e = escapeHtml;

function when(ms: number | null): string {
  if (ms === null) return 'never';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function minutes(ms: number): string {
  const [n, unit] = ms < 60_000 ? [Math.round(ms / 1000), 'second'] : [Math.round(ms / 60_000), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

const li = (label: string, value: string) => `<li><b>${e(label)}:</b> ${value}</li>`;

/** The items a profile keeps of one kind (`iv.`, `ic.`, `ib.`, `rc.`), latest first, by title when known. */
function storedItems(
  stored: FlatProfile,
  prefix: Prefix,
  titleOf: (item: string) => string | undefined,
): string {
  const names = Object.keys(stored)
    .filter((k) => k.startsWith(prefix))
    .sort((a, b) => num(stored, b) - num(stored, a))
    .map((k) => {
      const id = k.slice(prefix.length);
      const title = titleOf(id);
      const where = prefix === P.itemClicked ? decodeItemClick(stored[P.itemClickedIn + id]) : null;
      return `${e(title ? `“${title}”` : id)}${where ? ` (in ${e(where.campaign)})` : ''}`;
    });
  return names.length ? names.join(', ') : 'none';
}

function storedSection(
  profile: ProfileView,
  segments: readonly string[],
  holdout: boolean,
  signals?: Readonly<Record<string, { value: boolean; why: string }>>,
  stored: FlatProfile = {},
  titleOf: (item: string) => string | undefined = () => undefined,
): string {
  const interests = Object.entries(profile.interests).sort((a, b) => b[1] - a[1]);
  const conversions = Object.entries(profile.conversions);
  const assignments = Object.entries(profile.assignments);
  const items = [
    li('First seen', e(when(profile.firstSeen))),
    li('Last seen', e(when(profile.lastSeen))),
    li('Visits', e(String(profile.visits))),
    li(
      'Pages viewed',
      `${e(String(profile.pageviews))} (${e(String(profile.sessionPageviews))} in this visit)`,
    ),
    li(
      'Interests',
      interests.length
        ? `${interests.map(([c, s]) => `${e(c)} (${e(String(s))})`).join(', ')}. Each score grows with the pages of that topic you read and fades over time${profile.topInterest ? `; the strongest is <b>${e(profile.topInterest)}</b>` : ''}.`
        : 'none yet',
    ),
    li(
      'Reading',
      `${e(minutes(profile.engagement.total.engagedMs))} of active reading in all, ${e(String(profile.engagement.total.deepReads))} pages read to the end`,
    ),
    li('Clicks on personalized content', e(String(profile.clicks))),
    li(
      'Conversions',
      conversions.length
        ? conversions
            .map(([goal, n]) => {
              const value = profile.conversionValue[goal];
              return `${e(goal)} × ${e(String(n))}${value ? ` (value ${e(String(value))})` : ''}`;
            })
            .join(', ')
        : 'none',
    ),
    li(
      'Campaigns you are in',
      assignments.length
        ? assignments
            .map(([c, stored]) => {
              const variant = stored.split('|')[0] ?? '';
              return variant === '__holdout'
                ? `${e(c)} (comparison group: sees no personalization)`
                : `${e(c)} (version "${e(variant)}")`;
            })
            .join(', ')
        : 'none',
    ),
    li('Segments you are in now', segments.length ? segments.map(e).join(', ') : 'none'),
  ];
  // items, when the site has a catalogue: kept for recommendations, the 20 latest of each kind
  const kinds: [string, Prefix][] = [
    ['Items you viewed', P.itemViewed],
    ['Items in your cart', P.itemCarted],
    ['Items you bought', P.itemBought],
    ['Recommended items you clicked', P.itemClicked],
  ];
  if (kinds.some(([, prefix]) => Object.keys(stored).some((k) => k.startsWith(prefix))))
    for (const [label, prefix] of kinds) items.push(li(label, storedItems(stored, prefix, titleOf)));
  for (const [name, sig] of Object.entries(signals ?? {}))
    items.push(li(`Signal ${name}`, `${sig.value ? 'yes' : 'no'} (${e(sig.why)})`));
  if (holdout) items.push(li('Holdout', 'you are in the group that sees no personalization at all'));
  return `<h2>What HIO stores about you</h2>
<p>HIO remembers you with one cookie, <code>hio_vid</code>, holding a random id. Under that id it keeps:</p>
<ul>${items.join('')}</ul>`;
}

/** A recommendation variant: what its list is based on, and the items it would show now with why. */
function recommendationHtml(r: CampaignWhy['recommendation']): string {
  if (!r) return '';
  const fallback = r.fallback ? ` ${e(r.fallback)}` : '';
  const items = r.items.length
    ? `<ol>${r.items.map((i) => `<li>${e(i.title)}: ${e(i.because)}</li>`).join('')}</ol>`
    : '';
  return `<br>${e(r.basedOn)}${fallback}${items}`;
}

function whySection(campaigns: readonly CampaignWhy[], page: string): string {
  if (!campaigns.length)
    return `<h2>Why you see what you see</h2><p>No campaign runs on this site right now.</p>`;
  const rows = campaigns
    .map((c) => `<li><b>${e(c.campaign)}</b>: ${e(c.reason)}${recommendationHtml(c.recommendation)}</li>`)
    .join('');
  return `<h2>Why you see what you see</h2>
<p>For the page <code>${e(page)}</code>, each campaign running on this site:</p>
<ul>${rows}</ul>`;
}

const STATE_TEXT: Record<PrivacyState, string> = {
  on: 'Personalization is <b>on</b> for this browser.',
  'opted-out':
    'Personalization is <b>off</b> for this browser: you turned it off. HIO records nothing and changes no page for you.',
  gpc: 'Personalization is <b>off</b>: your browser sends Global Privacy Control, and HIO honours it.',
  'no-consent': 'Personalization is <b>off</b>: you have not given this site your consent to it.',
};

function switchSection(state: PrivacyState): string {
  const form =
    state === 'opted-out'
      ? '<form method="post" action="/__hio/me/optin"><button type="submit">Turn personalization back on</button></form>'
      : '<form method="post" action="/__hio/me/optout"><button type="submit">Turn personalization off for this browser</button></form>';
  return `<h2>Personalization</h2><p>${STATE_TEXT[state]}</p>${form}`;
}

const ERASE_FORM = `<h2>Erase everything</h2>
<p>Deletes everything above, and the cookie. It cannot be undone; a later visit starts from nothing.</p>
<form method="post" action="/__hio/me/erase"><button type="submit" class="danger">Erase everything HIO stores about me</button></form>`;

function pageHtml(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${e(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}code{background:#f2f2f2;padding:0 .25rem}
button{font:inherit;padding:.4rem .9rem;border-radius:.3rem;border:1px solid #555;background:#fff;cursor:pointer}
button.danger{border-color:#a00;color:#a00}li{margin:.2rem 0}</style></head>
<body><h1>${e(title)}</h1>
${body}
<p><a href="/__hio/me?format=json">The same as JSON</a></p>
</body></html>`;
}

export interface PrivacyPageData {
  visitor: string | null;
  state: PrivacyState;
  profile?: ProfileView;
  /** the stored profile as it is (its item fields are listed: viewed, carted, bought, clicked) */
  stored?: FlatProfile;
  /** catalogue titles of items, when the catalogue is loaded */
  titleOf?: (item: string) => string | undefined;
  segments?: readonly string[];
  /** micro-signals with why */
  signals?: Readonly<Record<string, { value: boolean; why: string }>>;
  holdout?: boolean;
  campaigns?: readonly CampaignWhy[];
  /** path of the page whose campaigns are explained */
  page?: string;
}

function htmlHeaders(extra?: HeadersInit): Headers {
  const h = new Headers(extra);
  h.set('content-type', 'text/html; charset=utf-8');
  h.set('content-security-policy', PRIVACY_CSP);
  h.set('cache-control', 'no-store');
  h.set('x-content-type-options', 'nosniff');
  h.set('x-frame-options', 'DENY');
  h.set('referrer-policy', 'same-origin');
  h.set('vary', 'Accept, Cookie');
  return h;
}

export function htmlPage(title: string, body: string, status = 200, headers?: HeadersInit): Response {
  return new Response(pageHtml(title, body), { status, headers: htmlHeaders(headers) });
}

export function renderPrivacyPage(_req: Request, d: PrivacyPageData): Response {
  const title = 'Your data and personalization on this site';
  const intro =
    '<p>This site uses HIO to adapt some of its pages to your visits. This page shows what HIO knows about you and lets you change it.</p>';
  const body =
    d.visitor === null || !d.profile
      ? `${intro}<h2>What HIO stores about you</h2><p>Nothing: this browser has no HIO cookie, so HIO has nothing stored about you.</p>${switchSection(d.state)}`
      : `${intro}${storedSection(d.profile, d.segments ?? [], d.holdout === true, d.signals, d.stored, d.titleOf)}${whySection(d.campaigns ?? [], d.page ?? '/')}${switchSection(d.state)}${ERASE_FORM}`;
  return htmlPage(title, body);
}

// ---- the forms ----

function refuseCrossSite(req: Request): Response | null {
  if (isSameOrigin(req)) return null;
  return htmlPage(
    'Refused',
    '<p>This form only works from the privacy page of this site itself.</p><p><a href="/__hio/me">Back to the privacy page</a></p>',
    403,
  );
}

function optCookie(req: Request, on: boolean): string {
  const secure = new URL(req.url).protocol === 'https:' ? '; Secure' : '';
  return `${OPTOUT_COOKIE}=${on ? '1' : ''}; Max-Age=${on ? OPTOUT_MAX_AGE : 0}; Path=/; HttpOnly; SameSite=Lax${secure}`;
}

const backToPage = (cookie: string) =>
  new Response(null, {
    status: 303,
    headers: { location: '/__hio/me', 'set-cookie': cookie, 'cache-control': 'no-store' },
  });

/** `POST /__hio/me/optout`: personalization off for this browser. */
export function handleOptOut(req: Request): Response {
  return refuseCrossSite(req) ?? backToPage(optCookie(req, true));
}

/** `POST /__hio/me/optin`: personalization back on. */
export function handleOptIn(req: Request): Response {
  return refuseCrossSite(req) ?? backToPage(optCookie(req, false));
}

/** Erases the visitor named by the request's cookie and clears the cookie; JSON or the confirmation page. */
export async function eraseResponse(deps: Deps, req: Request, as: 'json' | 'html'): Promise<Response> {
  const secure = new URL(req.url).protocol === 'https:';
  const visitorId = await visitorFromRequest(req, deps.config.secret);
  const headers = { 'set-cookie': clearVisitorCookieHeader(secure) };
  const back = '<p><a href="/__hio/me">Back to the privacy page</a></p>';
  if (!visitorId) {
    return as === 'json'
      ? json({ erased: false, message: 'No visitor cookie: nothing stored.' }, 200, headers)
      : htmlPage(
          'Nothing to erase',
          `<p>This browser has no HIO cookie: nothing is stored about you.</p>${back}`,
          200,
          headers,
        );
  }
  try {
    await eraseVisitor(deps, visitorId);
  } catch (err) {
    deps.log('error', 'erasing a visitor failed', err);
    const retry = { 'retry-after': '30' };
    return as === 'json'
      ? jsonError(503, 'erasure could not complete; retry later', undefined, retry)
      : htmlPage(
          'Not erased yet',
          `<p>The erasure could not complete just now. Nothing was lost: please try again in a minute.</p>${back}`,
          503,
          retry,
        );
  }
  return as === 'json'
    ? json({ erased: true, visitor: visitorId }, 200, headers)
    : htmlPage(
        'Everything is erased',
        `<p>Everything HIO stored about you on this site has been erased, and its cookie removed from this browser.</p>${back}`,
        200,
        headers,
      );
}

/** `POST /__hio/me/erase`: the privacy page's erase button. */
export async function handleErase(deps: Deps, req: Request): Promise<Response> {
  return refuseCrossSite(req) ?? eraseResponse(deps, req, 'html');
}

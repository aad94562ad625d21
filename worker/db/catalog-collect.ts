/**
 * @module catalog-collect
 * Items the site's own pages declare (`<meta name="hio:item" content="<id>">` with the page's title and
 * `og:` tags), collected into the catalogue (`source = 'page'`) by the scheduled job, before the
 * recommendation model is learned (so a new item is learned in the same run), and by
 * `POST /__hio/admin/train`. Nothing of this runs on a page's path.
 *
 * 1. Candidates: the pageviews of the recent event log (R2, bounded reads, erased visitors left out)
 *    that name an item and a path of the site (engine/page-item.ts). An id is due when it is not in the
 *    catalogue, or is a page item last checked more than `refreshMs` ago; an uploaded id never is (an
 *    upload wins), nor an id whose last failed check is not yet due for a retry. Most viewed first
 *    (distinct visitors), at most `maxCandidates` per run.
 * 2. Verification: the browser is untrusted (anyone can send a beacon with any id and path), so the job
 *    fetches the page from the origin (ORIGIN_URL + path, as the proxy does: originUrl), reads at most
 *    its head (up to `</head>`, `maxPageBytes`, `fetchTimeoutMs`) through HTMLRewriter, and keeps the
 *    item only when that page declares that very id. A page item is checked at the path that declared
 *    it last time first, then at the log's best other path, at most `pathsPerItem` fetches per id and
 *    `maxFetches` per run.
 * 3. Store: a declared, valid item (validated as an upload is) is inserted or updated (`updated_at`,
 *    and with it the catalogue's fingerprint, moves only when its fields change); a page item whose
 *    page no longer declares it (404, 410, a redirect, the tag gone or another id) becomes
 *    `available: false`; a candidate that is not declared (a forged id), not valid, or whose fetch
 *    failed is remembered (`catalog_page_checks`) and not fetched again before `refreshMs` (failures:
 *    `retryMs`). Page items not checked for `removeAfterMs` (no pageview named them in that time) are
 *    deleted. At most `maxPageItems` page items: beyond, new ids wait.
 */

import { originUrl } from '../edge/proxy.ts';
import {
  type CatalogItem,
  type DeclaredItem,
  type DeclaredView,
  declaredItems,
  MAX_CATALOG_ITEMS,
  type PageFacts,
  pageItem,
  parseDeclaredView,
  sameItem,
} from '../engine/index.ts';
import { originOf } from '../env.ts';
import { createCatalogRepo, type PageWrite } from './catalog-repo.ts';
import { erasedPseudonyms, type LogReadLimits, readNewestRecords } from './event-log.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** What the collector reads of the log (days, objects, lines, list calls: event-log.ts), and what it does. */
export interface CollectLimits extends LogReadLimits {
  /** ids checked per run */
  maxCandidates: number;
  /** origin fetches per run */
  maxFetches: number;
  /** paths tried per id */
  pathsPerItem: number;
  /** a page item is checked again after this long (ms) */
  refreshMs: number;
  /** a failed fetch (timeout, 5xx) is retried after this long (ms) */
  retryMs: number;
  /** a page item no pageview named for this long is deleted (ms) */
  removeAfterMs: number;
  /** one origin fetch, headers and body (ms) */
  fetchTimeoutMs: number;
  /** the most of a page read (bytes); reading stops earlier at `</head>` */
  maxPageBytes: number;
  /** the most page items the catalogue holds */
  maxPageItems: number;
  /** origin fetches in flight at once */
  parallel: number;
}

export const COLLECT_LIMITS: CollectLimits = {
  days: 2,
  maxObjects: 100,
  maxLines: 50_000,
  maxLists: 10,
  maxCandidates: 25,
  maxFetches: 40,
  pathsPerItem: 2,
  refreshMs: DAY,
  retryMs: HOUR,
  removeAfterMs: 30 * DAY,
  fetchTimeoutMs: 5000,
  maxPageBytes: 256 * 1024,
  maxPageItems: MAX_CATALOG_ITEMS,
  parallel: 4,
};

export interface CollectResult {
  outcome: 'collected' | 'skipped';
  /** why it was skipped */
  reason?: string;
  /** log objects and lines read */
  objects: number;
  lines: number;
  /** a bound of the log reading stopped it: older pageviews were left out */
  truncated: boolean;
  /** ids due for a check (before the per-run bound) */
  due: number;
  /** ids checked this run */
  checked: number;
  /** origin fetches made */
  fetches: number;
  /** new page items */
  added: number;
  /** page items whose fields changed */
  updated: number;
  /** page items checked and found as they were */
  unchanged: number;
  /** page items whose page no longer declares them (now `available: false`) */
  gone: number;
  /** candidates whose page does not declare them (forged or stale ids) */
  refused: number;
  /** declared items that are not valid */
  invalid: number;
  /** fetches that failed (timeout, network, 5xx): retried later */
  failed: number;
  /** new ids left out because the catalogue holds `maxPageItems` page items */
  full: number;
  /** page items deleted (no pageview named them for `removeAfterMs`) */
  removed: number;
  /** a few `id: reason` lines: what was refused, invalid or failed, and fields left out of an item */
  problems: string[];
}

export interface CollectEnv {
  HIO_DB: D1Database;
  HIO_EVENTS?: R2Bucket;
  HIO_SECRET?: string;
  ORIGIN_URL: string;
}

/** Identifies the collector's requests in the origin's logs. */
export const COLLECTOR_USER_AGENT = 'HIO-catalogue/1 (collects the items pages declare with hio:item)';

const MAX_PROBLEMS = 10;

// ---------------------------------------------------------------------------------------------------
// the log: the newest objects of the last days, bounded

/** The pageviews with an item of the newest log objects, erased visitors left out. */
export async function readDeclaredViews(
  bucket: R2Bucket,
  erased: ReadonlySet<string>,
  now: number,
  limits: CollectLimits = COLLECT_LIMITS,
): Promise<{ views: DeclaredView[]; objects: number; lines: number; truncated: boolean }> {
  const { records, ...read } = await readNewestRecords(
    bucket,
    erased,
    now,
    limits,
    parseDeclaredView,
    (v) => v.visitor,
  );
  return { views: records, ...read };
}

// ---------------------------------------------------------------------------------------------------
// the page: its head, through HTMLRewriter

/** Where `</head` (any case) starts in `bytes`, or -1. */
function headEnd(bytes: Uint8Array, from: number): number {
  const lower = (b: number) => b | 0x20;
  for (let i = Math.max(0, from); i + 6 <= bytes.length; i++) {
    if (
      bytes[i] === 0x3c &&
      bytes[i + 1] === 0x2f &&
      lower(bytes[i + 2] as number) === 0x68 &&
      lower(bytes[i + 3] as number) === 0x65 &&
      lower(bytes[i + 4] as number) === 0x61 &&
      lower(bytes[i + 5] as number) === 0x64
    )
      return i;
  }
  return -1;
}

/** The start of a body: up to and including `</head`, or at most `max` bytes. The rest is not read. */
export async function readHead(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const reader = body.getReader();
  let buf = new Uint8Array(0);
  try {
    while (buf.length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      const part = value.subarray(0, max - buf.length);
      const next = new Uint8Array(buf.length + part.length);
      next.set(buf);
      next.set(part, buf.length);
      const from = buf.length - 5;
      buf = next;
      const end = headEnd(buf, from);
      if (end >= 0) {
        buf = buf.subarray(0, end + 6);
        break;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return buf;
}

const META_FACTS: Record<string, keyof PageFacts> = {
  'hio:item': 'item',
  'hio:category': 'category',
  'og:title': 'ogTitle',
  'og:image': 'image',
  'og:image:url': 'image',
  'og:image:secure_url': 'image',
  'og:url': 'url',
  'product:price:amount': 'price',
  'og:price:amount': 'price',
  'product:availability': 'availability',
  'og:availability': 'availability',
};

/** The facts of a page's head (raw values; engine/page-item.ts decodes and validates them). */
export async function pageFacts(html: Uint8Array, contentType: string): Promise<PageFacts> {
  const facts: PageFacts = {};
  const set = (k: keyof PageFacts, v: string | null) => {
    if (v !== null && facts[k] === undefined) facts[k] = v.slice(0, 4096);
  };
  let titles = 0;
  let title = '';
  const rewritten = new HTMLRewriter()
    .on('meta', {
      element(e) {
        const key = (e.getAttribute('name') ?? e.getAttribute('property') ?? '').trim().toLowerCase();
        const fact = META_FACTS[key];
        if (fact) set(fact, e.getAttribute('content'));
      },
    })
    .on('link[rel]', {
      element(e) {
        const rel = (e.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
        if (rel.includes('canonical')) set('canonical', e.getAttribute('href'));
      },
    })
    .on('title', {
      element() {
        titles++;
      },
      text(t) {
        if (titles === 1 && title.length < 4096) title += t.text;
      },
    })
    .transform(new Response(html, { headers: { 'content-type': contentType } }));
  await rewritten.arrayBuffer();
  if (titles > 0) facts.title = title;
  return facts;
}

type Fetched =
  | { kind: 'page'; facts: PageFacts }
  /** the path is no page of this item: 404, 410, a redirect, or not HTML */
  | { kind: 'none'; reason: string }
  /** a transient failure */
  | { kind: 'failed'; reason: string };

/** The origin's page at `url`, as facts; never throws. */
export async function fetchPageFacts(url: URL, limits: CollectLimits): Promise<Fetched> {
  let res: Response;
  try {
    res = await fetch(url.href, {
      method: 'GET',
      headers: {
        accept: 'text/html,application/xhtml+xml',
        'accept-encoding': 'gzip, br',
        'user-agent': COLLECTOR_USER_AGENT,
      },
      redirect: 'manual',
      signal: AbortSignal.timeout(limits.fetchTimeoutMs),
    });
  } catch (err) {
    return { kind: 'failed', reason: `the origin did not answer (${errorName(err)})` };
  }
  const discard = () => res.body?.cancel().catch(() => {});
  if (res.status === 404 || res.status === 410) {
    discard();
    return { kind: 'none', reason: `the origin answered ${res.status}` };
  }
  if (res.status >= 300 && res.status < 400) {
    discard();
    return { kind: 'none', reason: `the origin answered ${res.status} (a redirect, not followed)` };
  }
  if (res.status < 200 || res.status >= 300 || !res.body) {
    discard();
    return { kind: 'failed', reason: `the origin answered ${res.status}` };
  }
  const type = res.headers.get('content-type') ?? '';
  if (!/^\s*(text\/html|application\/xhtml\+xml)\b/i.test(type)) {
    discard();
    return { kind: 'none', reason: `the page is not HTML (${type.split(';')[0] || 'no content type'})` };
  }
  try {
    const head = await readHead(res.body, limits.maxPageBytes);
    return { kind: 'page', facts: await pageFacts(head, type) };
  } catch (err) {
    return { kind: 'failed', reason: `reading the page failed (${errorName(err)})` };
  }
}

const errorName = (err: unknown): string =>
  err instanceof Error ? (err.name === 'Error' ? err.message : err.name) : String(err);

// ---------------------------------------------------------------------------------------------------
// the job

interface Candidate {
  id: string;
  /** paths to try, in order */
  paths: string[];
  existing: CatalogItem | undefined;
}

type Checked =
  | { kind: 'declared'; item: CatalogItem; path: string; notes: string[] }
  | { kind: 'none' | 'invalid' | 'failed'; path: string; reason: string }
  /** the run's fetch bound came first */
  | { kind: 'unchecked' };

/** Collects page-declared items into the catalogue; the result says what it did. */
export async function collectPageItems(
  env: CollectEnv,
  now: number,
  limits: Partial<CollectLimits> = {},
): Promise<CollectResult> {
  const l = { ...COLLECT_LIMITS, ...limits };
  const result: CollectResult = {
    outcome: 'skipped',
    objects: 0,
    lines: 0,
    truncated: false,
    due: 0,
    checked: 0,
    fetches: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    gone: 0,
    refused: 0,
    invalid: 0,
    failed: 0,
    full: 0,
    removed: 0,
    problems: [],
  };
  const skip = (reason: string): CollectResult => ({ ...result, reason });
  if (!env.HIO_EVENTS) return skip('no event log (HIO_EVENTS is not bound)');
  if (!env.HIO_SECRET) return skip('no HIO_SECRET: erased visitors could not be left out');
  const origin = originOf(env);
  if (!origin) return skip('ORIGIN_URL is not a usable URL');

  const repo = createCatalogRepo(env.HIO_DB);
  const erased = await erasedPseudonyms(env.HIO_DB, env.HIO_SECRET);
  const read = await readDeclaredViews(env.HIO_EVENTS, erased, now, l);
  Object.assign(result, { objects: read.objects, lines: read.lines, truncated: read.truncated });
  const declared = declaredItems(read.views, { maxPaths: Math.max(3, l.pathsPerItem) });

  const [entries, checks] = await Promise.all([
    repo.entries(),
    repo.pageChecks({ activeAt: now, limit: 1_000_000 }),
  ]);
  const waiting = new Set(checks.map((c) => c.id));
  let pageItems = 0;
  for (const e of entries.values()) if (e.source === 'page') pageItems++;
  const due: { d: DeclaredItem; stored: string | null }[] = [];
  let newDue = 0;
  for (const d of declared) {
    const e = entries.get(d.item);
    if (e?.source === 'upload' || waiting.has(d.item)) continue;
    if (e && e.checkedAt !== null && now - e.checkedAt < l.refreshMs) continue;
    if (!e) {
      if (pageItems + newDue >= l.maxPageItems) {
        result.full++;
        continue;
      }
      newDue++;
    }
    due.push({ d, stored: e?.path ?? null });
  }
  result.due = due.length;
  const chosen = due.slice(0, l.maxCandidates);
  const existing = await repo.byIds(chosen.map((c) => c.d.item));
  const candidates: Candidate[] = chosen.map(({ d, stored }) => ({
    id: d.item,
    // the path that declared it last time first: one forged pageview cannot make it look gone
    paths: (stored ? [stored, ...d.paths.filter((p) => p !== stored)] : d.paths).slice(0, l.pathsPerItem),
    existing: existing.get(d.item),
  }));

  let fetchesLeft = l.maxFetches;
  const check = async (c: Candidate): Promise<Checked> => {
    let last: Checked = { kind: 'unchecked' };
    for (const path of c.paths) {
      if (fetchesLeft <= 0) break;
      fetchesLeft--;
      result.fetches++;
      const pageUrl = originUrl(origin, new URL(path, origin));
      const fetched = await fetchPageFacts(pageUrl, l);
      if (fetched.kind === 'failed') return { kind: 'failed', path, reason: fetched.reason };
      if (fetched.kind === 'none') {
        last = { kind: 'none', path, reason: `${path}: ${fetched.reason}` };
        continue;
      }
      const r = pageItem(fetched.facts, { id: c.id, path, pageUrl, origin });
      if (r.ok) return { kind: 'declared', item: r.item, path, notes: r.notes };
      if (r.outcome === 'invalid') return { kind: 'invalid', path, reason: `${path}: ${r.reason}` };
      last = { kind: 'none', path, reason: `${path}: ${r.reason}` };
    }
    return last;
  };
  const outcomes = new Array<Checked>(candidates.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(l.parallel, candidates.length)) }, async () => {
      while (next < candidates.length) {
        const i = next++;
        outcomes[i] = await check(candidates[i] as Candidate);
      }
    }),
  );

  const writes: PageWrite[] = [];
  const problem = (id: string, reason: string) => {
    if (result.problems.length < MAX_PROBLEMS) result.problems.push(`${id}: ${reason}`);
  };
  candidates.forEach((c, i) => {
    const o = outcomes[i] as Checked;
    if (o.kind === 'unchecked') return;
    result.checked++;
    if (o.kind === 'declared') {
      const changed = !c.existing || !sameItem(c.existing, o.item);
      if (!c.existing) result.added++;
      else if (changed) result.updated++;
      else result.unchanged++;
      for (const note of o.notes) problem(c.id, note);
      writes.push({ kind: 'declared', item: o.item, path: o.path, changed });
      return;
    }
    if (o.kind === 'none' && c.existing) {
      result.gone++;
      writes.push({ kind: 'gone', id: c.id });
      return;
    }
    const outcome = o.kind === 'none' ? 'refused' : o.kind;
    result[outcome]++;
    problem(c.id, o.reason);
    writes.push({
      kind: 'check',
      id: c.id,
      path: o.path,
      checkedAt: now,
      retryAt: now + (outcome === 'failed' ? l.retryMs : l.refreshMs),
      outcome,
      reason: o.reason,
    });
  });
  result.removed = await repo.applyPageChecks(writes, now, now - l.removeAfterMs);
  result.outcome = 'collected';
  return result;
}

/** One line for the worker's log. */
export function describeCollect(r: CollectResult): string {
  if (r.outcome === 'skipped') return `page items not collected: ${r.reason}`;
  const parts = [
    `${r.checked} of ${r.due} due ids checked (${r.fetches} fetches)`,
    `${r.added} added`,
    `${r.updated} updated`,
    `${r.unchanged} unchanged`,
  ];
  if (r.gone) parts.push(`${r.gone} no longer declared`);
  if (r.refused) parts.push(`${r.refused} refused`);
  if (r.invalid) parts.push(`${r.invalid} invalid`);
  if (r.failed) parts.push(`${r.failed} failed`);
  if (r.full) parts.push(`${r.full} waiting (the catalogue holds its most page items)`);
  if (r.removed) parts.push(`${r.removed} removed`);
  const problems = r.problems.length ? `; e.g. ${r.problems.slice(0, 3).join(' | ')}` : '';
  return `page items: ${parts.join(', ')}${r.truncated ? ' (log reading stopped at its bounds)' : ''}${problems}`;
}

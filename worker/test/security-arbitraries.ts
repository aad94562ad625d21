/**
 * Generators for the security property tests (worker/security.property.test.ts): beacon batches built
 * from the collector's schema and then broken, campaign documents mutated from a valid one, request
 * headers, cookie strings and paths. Everything here is pure; the properties send what it builds.
 */
import fc from 'fast-check';
import { MAX_ENGAGED_MS, MAX_FORM_CHARS, MAX_URL_CHARS, SCROLL_DEPTHS } from '../engine/beacon-protocol.ts';

const weighted = <T>(...pairs: [number, fc.Arbitrary<T>][]) =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** A string of `n` characters, cheap to build however long. */
const long = (min: number, max: number) => fc.integer({ min, max }).map((n) => 'x'.repeat(n));

/** Any JSON value, plus the values that break naive validation (huge strings, boundaries, proto keys). */
export const wildValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  long(100, 20_000),
  fc.constantFrom(
    -1,
    0,
    -0,
    1.5,
    1e9 + 1,
    2 ** 53 + 2,
    1e308,
    -1e308,
    '',
    ' ',
    '<script>alert(1)</script>',
    '__proto__',
    'constructor',
    null,
    true,
    false,
    [],
    {},
    { __proto__: null },
    [[[[[]]]]],
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

// ---------------------------------------------------------------------------------------------------
// Beacon batches

const eventId = fc.stringMatching(/^[A-Za-z0-9_-]{4,40}$/);
const name = fc.oneof(
  fc.constantFrom('hero', 'offer', 'control', 'b', 'purchase', 'signup'),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
);
const ts = fc.nat();

const pageview = fc.record(
  {
    t: fc.constant('pageview'),
    id: eventId,
    ts,
    path: fc.oneof(fc.constantFrom('/', '/c/shoes', '/page?x=1'), fc.string({ maxLength: MAX_URL_CHARS })),
    category: fc.oneof(fc.constantFrom('shoes', 'bags', ' Shoes '), fc.stringMatching(/^[a-z0-9_-]{1,40}$/)),
    ref: fc.string({ maxLength: 80 }),
    item: name,
  },
  { requiredKeys: ['t', 'id'] },
);
const scroll = fc.record(
  { t: fc.constant('scroll'), id: eventId, ts, depth: fc.constantFrom(...SCROLL_DEPTHS) },
  { requiredKeys: ['t', 'id', 'depth'] },
);
const engaged = fc.record(
  { t: fc.constant('engaged'), id: eventId, ts, ms: fc.integer({ min: 0, max: MAX_ENGAGED_MS }) },
  { requiredKeys: ['t', 'id', 'ms'] },
);
const slotEvent = fc.record(
  { t: fc.constantFrom('click', 'impression'), id: eventId, ts, campaign: name, variant: name },
  { requiredKeys: ['t', 'id', 'campaign', 'variant'] },
);
const conversion = fc.record(
  {
    t: fc.constant('conversion'),
    id: eventId,
    ts,
    goal: fc.oneof(fc.constantFrom('purchase', 'signup'), name),
    value: fc.double({ min: 0, max: 1e9, noNaN: true }),
    campaign: name,
    variant: name,
  },
  { requiredKeys: ['t', 'id', 'goal'] },
);
const formEvent = fc.record(
  {
    t: fc.constantFrom('form_start', 'form_submit'),
    id: eventId,
    ts,
    form: fc.string({ maxLength: MAX_FORM_CHARS }),
  },
  { requiredKeys: ['t', 'id'] },
);

/** One event of each shape the schema knows. */
export const schemaEvent: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  pageview,
  scroll,
  engaged,
  slotEvent,
  conversion,
  formEvent,
);

const EVENT_KEYS = [
  't',
  'id',
  'ts',
  'path',
  'category',
  'ref',
  'item',
  'depth',
  'ms',
  'campaign',
  'variant',
  'goal',
  'value',
  'form',
] as const;

export type EventMutation =
  | { kind: 'drop' | 'set'; key: string; value: unknown }
  | { kind: 'add'; key: string; value: unknown }
  | { kind: 'type'; value: unknown };

const eventMutation: fc.Arbitrary<EventMutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('drop', 'set'), key: fc.constantFrom(...EVENT_KEYS), value: wildValue }),
  fc.record({ kind: fc.constant('add'), key: fc.string({ maxLength: 12 }), value: wildValue }),
  fc.record({
    kind: fc.constant('type'),
    value: fc.oneof(fc.constantFrom('hack', 'PAGEVIEW', 'pageview ', '', 'toString', '__proto__'), wildValue),
  }),
);

export function mutateEvent(e: Record<string, unknown>, m: EventMutation): Record<string, unknown> {
  const out = { ...e };
  if (m.kind === 'drop') delete out[m.key];
  else if (m.kind === 'set') out[m.key] = m.value;
  else if (m.kind === 'add') out[`x${m.key}`] = m.value;
  else out.t = m.value;
  return out;
}

export interface BatchCase {
  v: unknown;
  events: { event: Record<string, unknown>; mutations: EventMutation[] }[];
  /** copy the first event's id onto the event at this index (a duplicate id) */
  duplicate: number | undefined;
  /** pad the batch with this many extra valid events (around the 100-event limit) */
  pad: number | undefined;
  /** replace the whole body by this value */
  replace: unknown;
  /** drop the `events` key, or replace it */
  events_: 'keep' | 'drop' | { value: unknown };
}

export const batchCase: fc.Arbitrary<BatchCase> = fc.record({
  v: weighted<unknown>([12, fc.constant(1)], [3, fc.constant(undefined)], [1, wildValue]),
  events: fc.array(
    fc.record({
      event: schemaEvent,
      mutations: weighted<EventMutation[]>(
        [5, fc.constant([])],
        [1, fc.array(eventMutation, { minLength: 1, maxLength: 2 })],
      ),
    }),
    { minLength: 0, maxLength: 6 },
  ),
  duplicate: weighted<number | undefined>([12, fc.constant(undefined)], [1, fc.nat()]),
  pad: weighted<number | undefined>([25, fc.constant(undefined)], [1, fc.integer({ min: 90, max: 101 })]),
  replace: weighted<unknown>([25, fc.constant(undefined)], [1, wildValue]),
  events_: weighted<BatchCase['events_']>(
    [25, fc.constant('keep' as const)],
    [1, fc.constant('drop' as const)],
    [1, fc.record({ value: wildValue })],
  ),
});

export function buildBatch(c: BatchCase): unknown {
  if (c.replace !== undefined) return c.replace;
  const events = c.events.map(({ event, mutations }) => mutations.reduce(mutateEvent, event));
  if (c.duplicate !== undefined && events.length > 1) {
    const i = 1 + (c.duplicate % (events.length - 1));
    events[i] = { ...events[i], id: events[0]?.id };
  }
  if (c.pad !== undefined) {
    for (let i = 0; i < c.pad; i++) events.push({ t: 'scroll', id: `pad-${i}-${events.length}`, depth: 25 });
  }
  const batch: Record<string, unknown> = c.v === undefined ? {} : { v: c.v };
  if (c.events_ === 'keep') batch.events = events;
  else if (c.events_ !== 'drop') batch.events = c.events_.value;
  return batch;
}

/** How a body goes on the wire: its JSON, or bytes that are not it. */
export type BodyEncoding =
  | { kind: 'json' | 'bom' | 'empty' | 'latin1' | 'nul' }
  | { kind: 'truncate'; at: number }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'text'; text: string }
  | { kind: 'pad'; n: number };

export const bodyEncoding: fc.Arbitrary<BodyEncoding> = weighted<BodyEncoding>(
  [30, fc.constant({ kind: 'json' as const })],
  [2, fc.nat().map((at) => ({ kind: 'truncate' as const, at }))],
  [1, fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'bytes' as const, bytes }))],
  [1, fc.string({ unit: 'binary', maxLength: 64 }).map((text) => ({ kind: 'text' as const, text }))],
  [1, fc.constantFrom({ kind: 'bom' as const }, { kind: 'empty' as const }, { kind: 'nul' as const })],
  [1, fc.constant({ kind: 'latin1' as const })],
  // whitespace around valid JSON, across the 16 KB limit
  [1, fc.integer({ min: 15_800, max: 16_600 }).map((n) => ({ kind: 'pad' as const, n }))],
);

const utf8 = new TextEncoder();

export function encodeBody(value: unknown, e: BodyEncoding): Uint8Array {
  const json = JSON.stringify(value) ?? 'undefined';
  switch (e.kind) {
    case 'json':
      return utf8.encode(json);
    case 'truncate':
      return utf8.encode(json.slice(0, e.at % (json.length + 1)));
    case 'bytes':
      return e.bytes;
    case 'text':
      return utf8.encode(e.text);
    case 'bom':
      return utf8.encode(`\ufeff${json}`);
    case 'empty':
      return new Uint8Array();
    case 'nul':
      return utf8.encode(`${json}\u0000`);
    case 'latin1': {
      // the JSON with a non-ASCII character in Latin-1: not UTF-8
      const bytes = utf8.encode(`${json.slice(0, -1)}, "x": "caf?"}`);
      bytes[bytes.length - 3] = 0xe9;
      return bytes;
    }
    case 'pad':
      return utf8.encode(json + ' '.repeat(Math.max(0, e.n - json.length)));
  }
}

export const beaconContentType = weighted<string | undefined>(
  [20, fc.constant('text/plain;charset=UTF-8')],
  [5, fc.constant('application/json')],
  [
    3,
    fc.constantFrom(
      undefined,
      '',
      'text/plain',
      'TEXT/PLAIN ; charset=latin1',
      'application/json;;;',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/html',
      'application/jsonp',
      ' text/plain',
    ),
  ],
  [1, fc.string({ maxLength: 30 })],
);

export const secFetchSite = weighted<string | undefined>(
  [6, fc.constant(undefined)],
  [3, fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'CROSS-SITE', '')],
  [1, fc.string({ maxLength: 12 })],
);

export const originHeader = weighted<string | undefined>(
  [6, fc.constant(undefined)],
  [
    3,
    fc.constantFrom(
      'http://hio.test',
      'https://hio.test',
      'http://HIO.test',
      'http://hio.test:8080',
      'https://evil.example',
      'http://hio.test.evil.example',
      'null',
      'not a url',
      '',
    ),
  ],
  [1, fc.string({ maxLength: 30 })],
);

export const userAgent = (desktop: string) =>
  weighted<string>(
    [12, fc.constant(desktop)],
    [1, fc.constantFrom('Googlebot/2.1 (+http://www.google.com/bot.html)', 'curl/8.5.0', '')],
    [1, fc.string({ maxLength: 40 })],
  );

// ---------------------------------------------------------------------------------------------------
// Cookies

/** How a request presents the visitor cookie, relative to two known visitors A and B. */
export type CookieMode =
  | 'own'
  | 'other'
  | 'none'
  | 'garbage'
  | 'tampered'
  | 'swapped'
  | 'encoded'
  | 'quoted'
  | 'doubled';

export interface CookieCase {
  mode: CookieMode;
  garbage: string;
  flip: number;
  extra: [string, string][];
  extraFirst: boolean;
}

const lookalikeNames = fc.constantFrom(
  'session',
  'a',
  'hio_vidx',
  'xhio_vid',
  'HIO_VID',
  'hio-vid',
  'hio_admin',
  'hio_adminx',
  '__Host-hio_vid',
);

export const cookieCase: fc.Arbitrary<CookieCase> = fc.record({
  mode: weighted<CookieMode>(
    [6, fc.constant('own' as const)],
    [
      4,
      fc.constantFrom<CookieMode>(
        'other',
        'none',
        'garbage',
        'tampered',
        'swapped',
        'encoded',
        'quoted',
        'doubled',
      ),
    ],
  ),
  garbage: fc.string({ maxLength: 60 }),
  flip: fc.nat(),
  extra: fc.array(fc.tuple(lookalikeNames, fc.stringMatching(/^[A-Za-z0-9._-]{0,20}$/)), { maxLength: 3 }),
  extraFirst: fc.boolean(),
});

/** A signed cookie value `<id>.<signature>`. */
export interface Signed {
  id: string;
  value: string;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The value with one character of its signature replaced by another base64url character. */
export function tamper(value: string, at: number): string {
  const dot = value.indexOf('.');
  const i = dot + 1 + (at % (value.length - dot - 1));
  const c = value[i] as string;
  const replacement = B64URL[(B64URL.indexOf(c) + 1 + (at % 63)) % 64] as string;
  return value.slice(0, i) + replacement + value.slice(i + 1);
}

/** Every character percent-encoded: a cookie parser that URI-decodes values reads the same value. */
export const percentEncodeAll = (s: string) =>
  [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');

/**
 * The Cookie header for a case, and which of A and B it may identify (a server that reads the
 * cookie leniently, e.g. decoding or unquoting, may see A in `encoded`/`quoted`/`doubled`).
 */
export function buildCookie(
  c: CookieCase,
  a: Signed,
  b: Signed,
): { header: string | undefined; may: string[] } {
  const sig = (v: string) => v.slice(v.indexOf('.') + 1);
  let own: string | undefined;
  let may: string[] = [];
  switch (c.mode) {
    case 'own':
      own = `hio_vid=${a.value}`;
      may = [a.id];
      break;
    case 'other':
      own = `hio_vid=${b.value}`;
      may = [b.id];
      break;
    case 'none':
      break;
    case 'garbage':
      own = `hio_vid=${c.garbage}`;
      break;
    case 'tampered':
      own = `hio_vid=${tamper(a.value, c.flip)}`;
      break;
    case 'swapped':
      own = `hio_vid=${b.id}.${sig(a.value)}`;
      break;
    case 'encoded':
      own = `hio_vid=${percentEncodeAll(a.value)}`;
      may = [a.id];
      break;
    case 'quoted':
      own = `hio_vid="${a.value}"`;
      may = [a.id];
      break;
    case 'doubled':
      own = `hio_vid=${c.garbage}; hio_vid=${a.value}`;
      may = [a.id];
      break;
  }
  const extra = c.extra.map(([n, v]) => `${n}=${v}`);
  const parts = own === undefined ? extra : c.extraFirst ? [...extra, own] : [own, ...extra];
  return { header: parts.length ? parts.join('; ') : undefined, may };
}

// ---------------------------------------------------------------------------------------------------
// Campaign documents

/** A valid document that uses every part of the schema the mutations should reach. */
export const BASE_DOCUMENT = {
  version: 1,
  holdout: 0.05,
  segments: {
    returning: { visits: { $gte: 2 } },
    shoppers: { 'conversions.purchase': { $gte: 1 } },
    fromAds: { utm_source: { $regex: '^(google|bing)$' } },
  },
  savedGroups: { staff: ['a', 'b'] },
  settings: {
    goals: ['purchase', 'signup'],
    sessionTimeoutMinutes: 30,
    interestHalfLifeDays: 7,
    retentionDays: 90,
    categoryRules: [{ pattern: '^/c/([a-z]+)', category: 'shop' }],
    privacy: { honorGlobalPrivacyControl: true },
  },
  campaigns: [
    {
      id: 'hero',
      name: 'Hero',
      status: 'active',
      slot: { selector: '#hero', action: 'replace' },
      targeting: { $or: [{ path: { $regex: '^/(page|c/)' } }, { segments: { $in: ['fromAds'] } }] },
      allocation: 'ab',
      coverage: 1,
      weights: [0.5, 0.5],
      variants: [{ id: 'control' }, { id: 'b', html: '<h1>Hello {{ utm_source }}</h1>' }],
      goals: ['purchase'],
      priority: 10,
      start: '2020-01-01T00:00:00Z',
      frequencyCap: { perDay: 5 },
    },
    {
      id: 'offer',
      slots: {
        box: { selector: '#offer', action: 'append' },
        link: { selector: 'p.cta a', action: 'setAttribute', name: 'href' },
      },
      variants: [{ id: 'x', slots: { box: '<b>{{ path }}</b>', link: '/p/{{ utm_campaign }}' } }],
      weights: [1],
      allocation: 'bandit',
      stable: true,
      group: 'g1',
    },
  ],
};

type Key = string | number;

/** Every path into a JSON value (the root first), in document order. */
export function jsonPaths(node: unknown, at: Key[] = [], out: Key[][] = []): Key[][] {
  out.push(at);
  if (Array.isArray(node)) for (const [i, x] of node.entries()) jsonPaths(x, [...at, i], out);
  else if (node && typeof node === 'object')
    for (const [k, x] of Object.entries(node)) jsonPaths(x, [...at, k], out);
  return out;
}

function getAt(root: unknown, path: Key[]): unknown {
  let node = root;
  for (const k of path) node = (node as Record<Key, unknown>)[k];
  return node;
}

/** The document with the value at `path` replaced (`undefined`: removed). */
function setAt(root: unknown, path: Key[], value: unknown): unknown {
  if (!path.length) return value;
  const parent = getAt(root, path.slice(0, -1)) as Record<Key, unknown> | unknown[];
  const k = path[path.length - 1] as Key;
  if (Array.isArray(parent) && typeof k === 'number') {
    if (value === undefined) parent.splice(k, 1);
    else parent[k] = value;
  } else if (value === undefined) delete (parent as Record<Key, unknown>)[k];
  else (parent as Record<Key, unknown>)[k] = value;
  return root;
}

export type DocMutation =
  | { kind: 'delete'; at: number }
  | { kind: 'rename'; at: number; to: string }
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'huge-array'; at: number; n: number }
  | { kind: 'huge-string'; at: number; n: number }
  | { kind: 'template'; at: number; pos: number; snippet: string }
  | { kind: 'selector'; at: number; selector: string }
  | { kind: 'regex'; at: number; pattern: string };

const templateSnippet = fc.oneof(
  fc.constantFrom(
    '{{ utm_source }}',
    '{{',
    '}}',
    '{{}}',
    '{{ path }}',
    '{{{ referrer }}}',
    '{{ utm_source | upper }}',
    '{{ constructor }}',
    '{{ __proto__ }}',
    '{{ a.b.c }}',
    '<a href="{{ referrer }}">x</a>',
    '<img src=x onerror="{{ path }}">',
    '<script>{{ path }}</script>',
    '<style>p{color:{{ utm_medium }}}</style>',
    '<iframe srcdoc="{{ path }}"></iframe>',
    '" onmouseover="{{ x }}',
    '<div style="{{ path }}">',
    '{{ toString }}',
    '<!-- {{ path }} -->',
    '<textarea>{{ path }}</textarea>',
  ),
  fc.string({ maxLength: 20 }).map((s) => `{{${s}}}`),
  fc.string({ maxLength: 20 }),
);

const selector = fc.oneof(
  fc.constantFrom(
    '#hero',
    'div > p',
    'a[href^="x"]',
    'p:nth-child(2n+1)',
    ':has(a)',
    '*',
    'a, b',
    '[',
    '#',
    '',
    '::before',
    'p:not(.x)',
    'a[href="{{ x }}"]',
    'body > *:first-child',
    'x'.repeat(300),
  ),
  fc.string({ maxLength: 30 }),
);

const REGEX_CHARS = [...'()[]{}*+?|^$.\\-:<=!,aAb09dws'];

export const regexPattern = fc.oneof(
  fc.constantFrom(
    '(a+)+$',
    '(a|a)*b',
    '(a|aa)+$',
    '(.*a){20}',
    '^(([a-z])+.)+[A-Z]([a-z])+$',
    '(x+x+)+y',
    '(a)\\1',
    '(?<=a+)b',
    '(?=(a+))a*b\\1',
    'a{1000}',
    'a{0,999}a{0,999}$',
    '[',
    '(',
    '\\',
    '(?:',
    '*',
    'a**',
    '(?<n>a)\\k<n>',
    '\\p{L}+',
    '[\\s\\S]*',
    '^/c/[a-z]+$',
    '.{0,2048}',
    '(?i)a',
    '',
  ),
  fc.string({ unit: fc.constantFrom(...REGEX_CHARS), maxLength: 24 }),
  long(257, 300),
);

export const docMutation: fc.Arbitrary<DocMutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('rename' as const),
    at: fc.nat(),
    to: fc.oneof(fc.constantFrom('slot', 'slots', 'id', 'html', 'variant', '$regex', ''), fc.string()),
  }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: wildValue }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom('extra', '__proto__', 'constructor', '$where'), fc.string()),
    value: wildValue,
  }),
  fc.record({ kind: fc.constant('huge-array' as const), at: fc.nat(), n: fc.integer({ min: 0, max: 600 }) }),
  fc.record({
    kind: fc.constant('huge-string' as const),
    at: fc.nat(),
    n: weighted(
      [8, fc.integer({ min: 200, max: 40_000 })],
      [1, fc.integer({ min: 1_048_000, max: 1_049_000 })],
    ),
  }),
  fc.record({
    kind: fc.constant('template' as const),
    at: fc.nat(),
    pos: fc.nat(),
    snippet: templateSnippet,
  }),
  fc.record({ kind: fc.constant('selector' as const), at: fc.nat(), selector }),
  fc.record({ kind: fc.constant('regex' as const), at: fc.nat(), pattern: regexPattern }),
);

const pick = <T>(xs: T[], at: number): T | undefined => (xs.length ? xs[at % xs.length] : undefined);

/** Applies one mutation to a document (in place; returns the new root). */
export function mutateDocument(doc: unknown, m: DocMutation): unknown {
  const all = jsonPaths(doc);
  const last = (p: Key[]) => p[p.length - 1];
  switch (m.kind) {
    case 'delete': {
      const p = pick(all.slice(1), m.at);
      return p ? setAt(doc, p, undefined) : doc;
    }
    case 'rename': {
      const p = pick(
        all.filter((q) => typeof last(q) === 'string'),
        m.at,
      );
      if (!p) return doc;
      const value = getAt(doc, p);
      setAt(doc, p, undefined);
      return setAt(doc, [...p.slice(0, -1), m.to], value);
    }
    case 'set':
      return setAt(doc, pick(all, m.at) ?? [], structuredClone(m.value));
    case 'add': {
      const p = pick(
        all.filter((q) => {
          const v = getAt(doc, q);
          return v !== null && typeof v === 'object' && !Array.isArray(v);
        }),
        m.at,
      );
      return p ? setAt(doc, [...p, m.key], structuredClone(m.value)) : doc;
    }
    case 'huge-array': {
      const p = pick(all, m.at) ?? [];
      const v = getAt(doc, p);
      // big, but not past a few MB (a huge string copied 500 times would exhaust the test's memory)
      const size = (JSON.stringify(v) ?? '').length + 1;
      const n = Math.min(m.n, Math.floor(4_000_000 / size));
      return setAt(
        doc,
        p,
        Array.from({ length: n }, () => structuredClone(v)),
      );
    }
    case 'huge-string':
      return setAt(doc, pick(all, m.at) ?? [], 'x'.repeat(m.n));
    case 'template': {
      const strings = all.filter((q) => typeof getAt(doc, q) === 'string');
      const p = pick(strings, m.at);
      if (!p) return doc;
      const s = getAt(doc, p) as string;
      const i = m.pos % (s.length + 1);
      return setAt(doc, p, s.slice(0, i) + m.snippet + s.slice(i));
    }
    case 'selector': {
      const p = pick(
        all.filter((q) => last(q) === 'selector'),
        m.at,
      );
      return p ? setAt(doc, p, m.selector) : doc;
    }
    case 'regex': {
      const p = pick(
        all.filter((q) => last(q) === '$regex' || last(q) === 'pattern'),
        m.at,
      );
      return p ? setAt(doc, p, m.pattern) : doc;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Request headers and paths

/** Headers a proxy must drop or set itself, and ordinary ones, as a client may send them. */
export const SPECIAL_HEADERS = [
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-for',
  'x-forwarded-port',
  'x-forwarded-server',
  'X-Forwarded-Prefix',
  'forwarded',
  'Forwarded',
  'x-real-ip',
  'true-client-ip',
  'x-original-url',
  'x-rewrite-url',
  'x-host',
  'x-original-host',
  'client-ip',
  'x-client-ip',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'cookie',
  'Cookie',
  'cf-connecting-ip',
  'accept',
  'accept-encoding',
  'accept-language',
  'range',
  'sec-gpc',
  'sec-fetch-site',
  'sec-fetch-dest',
  'referer',
  'authorization',
  'x-requested-with',
  'if-none-match',
  'via',
  'x-http-method-override',
  'cache-control',
  'host',
] as const;

/** A header name the worker has no reason to touch: it must reach the origin as sent. */
export const plainHeaderName = fc.stringMatching(/^[a-z0-9-]{1,12}$/).map((s) => `x-p-${s}`);

/** A list of header names as `Connection` carries them, and strings that are no header name at all. */
const connectionValue = fc
  .array(
    fc.oneof(
      fc.constantFrom(...SPECIAL_HEADERS),
      plainHeaderName,
      fc.constant('close'),
      fc.string({ maxLength: 8 }),
    ),
    {
      minLength: 1,
      maxLength: 4,
    },
  )
  .map((names) => names.join(', '));

/** Printable ASCII (a non-ASCII header value is a quirk of workerd, not of the worker). */
const headerText = fc.string({ maxLength: 60 });

const cookieString = fc
  .array(
    fc.tuple(
      fc.oneof(lookalikeNames, fc.constantFrom('hio_vid', ' hio_vid', 'hio_vid ', 'hio_admin', ' hio_admin')),
      fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{0,30}$/), fc.string({ maxLength: 20 })),
    ),
    { maxLength: 5 },
  )
  .chain((pairs) =>
    fc
      .array(fc.constantFrom('; ', ';', ' ; ', ';;'), { minLength: pairs.length, maxLength: pairs.length })
      .map((seps) => pairs.map(([n, v], i) => `${i ? seps[i] : ''}${n}=${v}`).join('')),
  );

function valueFor(header: string): fc.Arbitrary<string> {
  switch (header.toLowerCase()) {
    case 'cookie':
      return cookieString;
    case 'connection':
      return connectionValue;
    case 'forwarded':
      return fc.oneof(
        fc.constantFrom(
          'for=203.0.113.9;host=evil.example;proto=https',
          'for="[2001:db8::1]";by=unknown',
          'host=evil.example',
        ),
        headerText,
      );
    case 'x-forwarded-host':
    case 'x-host':
    case 'x-original-host':
    case 'host':
      return fc.oneof(
        fc.constantFrom('evil.example', 'hio.test', 'origin.test', 'evil.example:443'),
        headerText,
      );
    case 'x-forwarded-proto':
      return fc.oneof(fc.constantFrom('https', 'http', 'javascript'), headerText);
    case 'cf-connecting-ip':
    case 'x-forwarded-for':
    case 'x-real-ip':
    case 'true-client-ip':
      return fc.oneof(fc.ipV4(), fc.ipV6(), headerText);
    case 'range':
      return fc.oneof(fc.constantFrom('bytes=0-10', 'bytes=-5', 'bytes=abc'), headerText);
    case 'sec-gpc':
      return fc.constantFrom('1', '0', ' 1 ', '');
    default:
      return fc.oneof(fc.constantFrom('evil.example', 'https', 'hio_vid=x; hio_admin=y', ''), headerText);
  }
}

export const requestHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc
    .oneof(fc.constantFrom(...SPECIAL_HEADERS), plainHeaderName)
    .chain((name) => valueFor(name).map((value): [string, string] => [name, value])),
  { maxLength: 12 },
);

const pathSegment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '%2f',
    '%2F',
    '%2e%2e',
    '%2E.',
    '%00',
    '%',
    '%zz',
    '',
    'échec',
    '日本',
    '😀',
    '\\',
    ';',
    '@',
    ':',
    'evil.example',
    'http:',
    '__hio',
    'admin',
    'me',
    'echo',
    'page',
    '%5C',
    '..%2f',
    '%252e%252e',
  ),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  long(1000, 8000),
);

export const requestPath = fc
  .tuple(
    fc.constantFrom('', '/__hio', '/__hio/admin', '/__hio/me', '/c', '/'),
    fc.array(pathSegment, { maxLength: 6 }),
    fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: undefined }),
  )
  .map(([prefix, segments, query]) => {
    const path = `${prefix}/${segments.join('/')}`;
    // `#` would make the rest a fragment the client never sends
    const clean = path.replaceAll('#', '%23').replaceAll('?', '%3F');
    return query === undefined ? clean : `${clean}?${query.replaceAll('#', '%23')}`;
  });

/**
 * @module recommend-model
 * The recommendation model's compact form: what KV stores (format 2, one binary value) and what an
 * isolate holds (a few typed arrays over that value instead of hundreds of thousands of small arrays).
 * Pure: no clock, no I/O.
 *
 * Layout of a stored value (little-endian, every section starting at a multiple of 4 bytes):
 *
 *   "HIOR"  u32 format (2)  u32 header bytes  header (UTF-8 JSON)  padding
 *   then three tables, each: u16 length per row, u16|u32 item index per entry, u16 score per entry
 *
 * The header is `{ trainedAt, ids, categories, wide }`: `ids` every item the model names, once, sorted
 * (so a list is found by binary search, no map per isolate); `categories` the popularity categories,
 * sorted; `wide` whether item indices need 32 bits (more than 65,536 items). Tables: `neighbours` and
 * `bought` have one row per id (its list, best first; empty when it has none); `popular` has row 0 for
 * the overall list and row 1 + c for category c.
 *
 * Scores: the learned model rounds every score to 3 significant digits; a u16 holds such a number
 * exactly, as (k << 10) | (m - 100) for m / 10^k with m in 100..999 and k in 0..22 (1e-20 to 999).
 * Decoding divides two exactly represented integers, which gives the same double as parsing the decimal
 * (both are the correctly rounded value), so a compact model answers exactly as the JSON one: the same
 * lists, in the same order, with bit-identical scores, hence identical sums, ties and rankings. A score
 * outside that range (never learned: they are in (0, 1]) is clamped to it.
 *
 * At 5,000 items with 20 co-view and 20 co-purchase neighbours each, this is 0.88 MB against 4.19 MB of
 * JSON (docs/recommendations.md, `node scripts/recs-model-size.mjs`).
 */
import type { RecommendModel, ScoredItem } from './recommend.ts';

/** The stored format this module writes and reads (the JSON model of `learnNeighbours` is format 1). */
export const RECOMMEND_COMPACT_VERSION = 2;

const MAGIC = [0x48, 0x49, 0x4f, 0x52]; // "HIOR"
const MAX_K = 22;
const POW10 = Array.from({ length: MAX_K + 1 }, (_, k) => 10 ** k);

/** One table: row r's entries are `items[start[r]..start[r + 1])` and their scores. */
export interface CompactTable {
  readonly start: Uint32Array;
  /** indices into `ids` */
  readonly items: Uint16Array | Uint32Array;
  /** encoded scores ({@link decodeScore}) */
  readonly scores: Uint16Array;
}

/** The model as an isolate holds it: decoded once per training, never copied per request. */
export interface CompactRecommendModel {
  readonly version: typeof RECOMMEND_COMPACT_VERSION;
  readonly trainedAt: number;
  /** every item id the model names, sorted (UTF-16 order), each once */
  readonly ids: readonly string[];
  /** the popularity categories, sorted */
  readonly categories: readonly string[];
  readonly neighbours: CompactTable;
  readonly bought: CompactTable;
  /** row 0: popular overall; row 1 + c: popular in `categories[c]` */
  readonly popular: CompactTable;
}

/** The 16-bit code of a score: exact for every number of 3 significant digits in [1e-20, 999]. */
export function encodeScore(x: number): number {
  if (!(x > 0)) return encodeScore(1e-20);
  const [digits = '1', exp = '0'] = x.toExponential(2).split('e');
  const k = 2 - Number(exp);
  if (k < 0) return encodeScore(999);
  if (k > MAX_K) return encodeScore(1e-20);
  const m = Number(digits.replace('.', ''));
  return (k << 10) | (m - 100);
}

/** The score a code stands for. */
export function decodeScore(code: number): number {
  return ((code & 1023) + 100) / (POW10[code >> 10] as number);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align = (n: number) => (n + 3) & ~3;

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of `key` in a sorted array, or -1. */
export function findSorted(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as string;
    if (v === key) return mid;
    if (v < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const own = (lists: Record<string, ScoredItem[]>, key: string): ScoredItem[] =>
  Object.hasOwn(lists, key) ? (lists[key] as ScoredItem[]) : [];

/** The stored bytes of a model (format 2). Deterministic: the same model gives the same bytes. */
export function encodeRecommendModel(model: RecommendModel): Uint8Array {
  // every id the model names: the keys of item lists and the entries of every list (categories are not ids)
  const names = new Set<string>();
  for (const lists of [model.neighbours, model.bought])
    for (const [key, list] of Object.entries(lists)) {
      names.add(key);
      for (const [id] of list) names.add(id);
    }
  for (const list of [model.popular.all, ...Object.values(model.popular.byCategory)])
    for (const [id] of list) names.add(id);
  const ids = [...names].sort(byId);
  const categories = Object.keys(model.popular.byCategory).sort(byId);
  const index = new Map(ids.map((id, i) => [id, i]));
  const wide = ids.length > 65_536;
  const rows = (lists: Record<string, ScoredItem[]>) => ids.map((id) => own(lists, id));
  const tables = [
    rows(model.neighbours),
    rows(model.bought),
    [model.popular.all, ...categories.map((c) => own(model.popular.byCategory, c))],
  ];
  const header = new TextEncoder().encode(
    JSON.stringify({ trainedAt: model.trainedAt, ids, categories, wide }),
  );
  let size = align(12 + header.length);
  for (const t of tables) {
    const entries = t.reduce((n, list) => n + list.length, 0);
    size += align(2 * t.length) + align((wide ? 4 : 2) * entries) + align(2 * entries);
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, RECOMMEND_COMPACT_VERSION, true);
  view.setUint32(8, header.length, true);
  bytes.set(header, 12);
  // scores repeat (3 significant digits): each distinct one is encoded once
  const codes = new Map<number, number>();
  const codeOf = (score: number): number => {
    let code = codes.get(score);
    if (code === undefined) {
      code = encodeScore(score);
      codes.set(score, code);
    }
    return code;
  };
  let at = align(12 + header.length);
  for (const t of tables) {
    for (const list of t) {
      if (list.length > 65_535) throw new Error('a model list holds at most 65,535 items');
      view.setUint16(at, list.length, true);
      at += 2;
    }
    at = align(at);
    for (const list of t)
      for (const [id] of list) {
        const i = index.get(id) as number;
        if (wide) view.setUint32(at, i, true);
        else view.setUint16(at, i, true);
        at += wide ? 4 : 2;
      }
    at = align(at);
    for (const list of t)
      for (const [, score] of list) {
        view.setUint16(at, codeOf(score), true);
        at += 2;
      }
    at = align(at);
  }
  return bytes;
}

interface Header {
  trainedAt: number;
  ids: string[];
  categories: string[];
  wide: boolean;
}

const sortedStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s, i) => typeof s === 'string' && (i === 0 || (v[i - 1] as string) < s));

/** A u16 (or u32) section: a view of the buffer where it is aligned and little-endian, else a copy. */
function u16(buffer: ArrayBuffer, offset: number, length: number): Uint16Array {
  if (littleEndian) return new Uint16Array(buffer, offset, length);
  const v = new DataView(buffer, offset, 2 * length);
  return Uint16Array.from({ length }, (_, i) => v.getUint16(2 * i, true));
}
function u32(buffer: ArrayBuffer, offset: number, length: number): Uint32Array {
  if (littleEndian) return new Uint32Array(buffer, offset, length);
  const v = new DataView(buffer, offset, 4 * length);
  return Uint32Array.from({ length }, (_, i) => v.getUint32(4 * i, true));
}

/**
 * The model held in an isolate, from its stored bytes: the tables are views of the value itself (no
 * copy), the ids one array of strings. Null for anything that is not a well-formed format-2 model.
 */
export function decodeRecommendModel(value: ArrayBuffer | Uint8Array): CompactRecommendModel | null {
  let bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  // views need 4-byte alignment: a value that is a slice of a larger buffer is copied once
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
  const buffer = bytes.buffer as ArrayBuffer;
  const base = bytes.byteOffset;
  if (bytes.length < 12 || MAGIC.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(buffer, base, bytes.length);
  if (view.getUint32(4, true) !== RECOMMEND_COMPACT_VERSION) return null;
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) return null;
  let header: Header;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
        bytes.subarray(12, 12 + headerLength),
      ),
    );
  } catch {
    return null;
  }
  if (!header || typeof header !== 'object' || typeof header.trainedAt !== 'number') return null;
  if (!sortedStrings(header.ids) || !sortedStrings(header.categories)) return null;
  const { ids, categories } = header;
  const wide = header.wide === true;
  let at = align(12 + headerLength);
  const table = (rows: number): CompactTable | null => {
    if (at + 2 * rows > bytes.length) return null;
    const lengths = u16(buffer, base + at, rows);
    at = align(at + 2 * rows);
    const start = new Uint32Array(rows + 1);
    for (let r = 0; r < rows; r++) start[r + 1] = (start[r] as number) + (lengths[r] as number);
    const entries = start[rows] as number;
    const itemBytes = (wide ? 4 : 2) * entries;
    if (at + align(itemBytes) + 2 * entries > bytes.length) return null;
    const items = wide ? u32(buffer, base + at, entries) : u16(buffer, base + at, entries);
    at = align(at + itemBytes);
    const scores = u16(buffer, base + at, entries);
    at = align(at + 2 * entries);
    for (let e = 0; e < entries; e++) {
      const code = scores[e] as number;
      if ((items[e] as number) >= ids.length || code >> 10 > MAX_K || (code & 1023) > 899) return null;
    }
    return { start, items, scores };
  };
  const neighbours = table(ids.length);
  const bought = neighbours && table(ids.length);
  const popular = bought && table(1 + categories.length);
  if (!neighbours || !bought || !popular || at !== bytes.length) return null;
  return {
    version: RECOMMEND_COMPACT_VERSION,
    trainedAt: header.trainedAt,
    ids,
    categories,
    neighbours,
    bought,
    popular,
  };
}

/** The compact form of a JSON model (what an isolate holds when KV still has a format-1 model). */
export function compactRecommendModel(model: RecommendModel): CompactRecommendModel {
  return decodeRecommendModel(encodeRecommendModel(model)) as CompactRecommendModel;
}

export function isCompactModel(m: RecommendModel | CompactRecommendModel): m is CompactRecommendModel {
  return m.version === RECOMMEND_COMPACT_VERSION;
}

function rowOf(t: CompactTable, model: CompactRecommendModel, r: number): ScoredItem[] {
  const out: ScoredItem[] = [];
  for (let e = t.start[r] as number; e < (t.start[r + 1] as number); e++)
    out.push([model.ids[t.items[e] as number] as string, decodeScore(t.scores[e] as number)]);
  return out;
}

/** The JSON model a compact one stands for (lists that are empty are left out, as learning does). */
export function expandRecommendModel(model: CompactRecommendModel): RecommendModel {
  const lists = (t: CompactTable) =>
    Object.fromEntries(
      model.ids
        .map((id, r): [string, ScoredItem[]] => [id, rowOf(t, model, r)])
        .filter(([, l]) => l.length > 0),
    );
  return {
    version: 1,
    trainedAt: model.trainedAt,
    neighbours: lists(model.neighbours),
    bought: lists(model.bought),
    popular: {
      all: rowOf(model.popular, model, 0),
      byCategory: Object.fromEntries(model.categories.map((c, i) => [c, rowOf(model.popular, model, i + 1)])),
    },
  };
}

// ---- reading lists, whichever the form ----

/** One scored list, read in place: entry i is `id(i)` with `score(i)`, best first. */
export interface ScoredList {
  readonly length: number;
  id(i: number): string;
  score(i: number): number;
}

class ArrayList implements ScoredList {
  constructor(private readonly list: readonly ScoredItem[]) {}
  get length() {
    return this.list.length;
  }
  id(i: number) {
    return (this.list[i] as ScoredItem)[0];
  }
  score(i: number) {
    return (this.list[i] as ScoredItem)[1];
  }
}

class TableList implements ScoredList {
  readonly length: number;
  constructor(
    private readonly ids: readonly string[],
    private readonly t: CompactTable,
    private readonly from: number,
    to: number,
  ) {
    this.length = to - from;
  }
  id(i: number) {
    return this.ids[this.t.items[this.from + i] as number] as string;
  }
  score(i: number) {
    return decodeScore(this.t.scores[this.from + i] as number);
  }
}

export const EMPTY_LIST: ScoredList = new ArrayList([]);

export function scoredList(list: readonly ScoredItem[]): ScoredList {
  return new ArrayList(list);
}

/** The lists `recommend` reads, for either form of the model (none: every list empty). */
export interface ModelLists {
  neighbours(item: string): ScoredList;
  bought(item: string): ScoredList;
  /** popular overall (null) or in a category */
  popular(category: string | null): ScoredList;
}

export function modelLists(model: RecommendModel | CompactRecommendModel | null): ModelLists {
  if (!model) return { neighbours: () => EMPTY_LIST, bought: () => EMPTY_LIST, popular: () => EMPTY_LIST };
  if (isCompactModel(model)) {
    const row = (t: CompactTable, r: number): ScoredList =>
      r < 0 ? EMPTY_LIST : new TableList(model.ids, t, t.start[r] as number, t.start[r + 1] as number);
    return {
      neighbours: (item) => row(model.neighbours, findSorted(model.ids, item)),
      bought: (item) => row(model.bought, findSorted(model.ids, item)),
      popular: (category) => {
        if (category === null) return row(model.popular, 0);
        const c = findSorted(model.categories, category);
        return c < 0 ? EMPTY_LIST : row(model.popular, c + 1);
      },
    };
  }
  return {
    neighbours: (item) => new ArrayList(own(model.neighbours, item)),
    bought: (item) => new ArrayList(own(model.bought, item)),
    popular: (category) =>
      new ArrayList(category === null ? model.popular.all : own(model.popular.byCategory, category)),
  };
}

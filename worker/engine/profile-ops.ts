/**
 * @module profile-ops
 * Profile updates as small operations, each defined once with both of its implementations: `apply`,
 * which the KV store (after a read) and the engine (in memory) run, and `lua`, the body of the same
 * operation in the Upstash store's script, which Redis runs atomically. `luaApplyOp()` generates the
 * script's dispatch from this table, so adding an operation touches this module only; the shared store
 * contract suite (state/store-contract.ts) runs every operation through both and compares.
 *
 * Updates are expressed as operations instead of whole profiles: that is what keeps concurrent page
 * requests and beacons of one visitor from overwriting each other.
 */
import {
  F,
  type FlatProfile,
  interestTimeField,
  MAX_GOALS,
  MAX_INTERESTS,
  MAX_ITEMS,
  num,
  P,
  WINDOW_DAYS,
} from './profile-fields.ts';

export type Op =
  /** add n to a numeric field */
  | { o: 'inc'; f: string; n: number }
  /** set a field */
  | { o: 'set'; f: string; v: string | number }
  /** set a field only when it is absent (sticky assignments, first seen) */
  | { o: 'setnx'; f: string; v: string | number }
  /** keep the larger of the field and n */
  | { o: 'max'; f: string; n: number }
  /** exponentially decaying score: f = f * 2^-(now - f@)/half + n, f@ = now */
  | { o: 'decay'; f: string; n: number; now: number; half: number }
  /** start a new session when the last one went idle, and touch last seen */
  | { o: 'session'; now: number; idle: number }
  /** a visit-scoped counter: reset st/sm when `sid` (the visit number) differs from the stored one, then inc or max */
  | { o: 'sess'; sid: number; f: 'st' | 'sm'; n: number; m: 'inc' | 'max' }
  /** count the current visit once in the day bucket `f` (dv.<day>): when `wv` is not the visit number yet */
  | { o: 'vday'; f: string }
  /** count exposures per UTC day: x.<campaign> = "day:count" */
  | { o: 'daily'; f: string; day: number }
  | { o: 'del'; f: string };

/** Operations that belong to one event: the whole group is skipped when its id was already applied. */
export interface OpGroup {
  id?: string;
  ops: Op[];
}

type OpOf<K extends Op['o']> = Extract<Op, { o: K }>;

interface OpDefinition<K extends Op['o']> {
  apply(p: FlatProfile, op: OpOf<K>): void;
  /**
   * The same semantics in Lua, inside `applyOp(op)` of the Upstash script, with `f = op.f` and the
   * script's helpers `num(f)`, `absent(f)`, `put(f, v)`, `str(x)`, `jsNumber(s)`, `round3(n)` and the
   * hash key `h`.
   */
  lua: string;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const q = (s: string) => `'${s}'`;

export const OPS: { [K in Op['o']]: OpDefinition<K> } = {
  inc: {
    apply: (p, op) => {
      p[op.f] = num(p, op.f) + op.n;
    },
    lua: 'put(f, num(f) + op.n)',
  },
  set: {
    apply: (p, op) => {
      p[op.f] = op.v;
    },
    lua: 'put(f, op.v)',
  },
  setnx: {
    apply: (p, op) => {
      if (p[op.f] === undefined) p[op.f] = op.v;
    },
    lua: "redis.call('HSETNX', h, f, str(op.v))",
  },
  max: {
    apply: (p, op) => {
      if (p[op.f] === undefined || num(p, op.f) < op.n) p[op.f] = op.n;
    },
    lua: 'if absent(f) or num(f) < op.n then put(f, op.n) end',
  },
  decay: {
    apply: (p, op) => {
      const t = interestTimeField(op.f);
      const age = Math.max(0, op.now - num(p, t));
      const prev = p[op.f] === undefined ? 0 : num(p, op.f) * 2 ** (-age / op.half);
      p[op.f] = round3(prev + op.n);
      p[t] = op.now;
    },
    lua: `local t = f
    if string.sub(f, 1, ${P.interest.length}) == ${q(P.interest)} then t = ${q(P.interestTime)} .. string.sub(f, ${P.interest.length + 1}) end
    local age = math.max(0, op.now - num(t))
    local prev = 0
    if not absent(f) then prev = num(f) * 2 ^ (-age / op.half) end
    put(f, round3(prev + op.n))
    put(t, op.now)`,
  },
  session: {
    apply: (p, op) => {
      if (p[F.firstSeen] === undefined) {
        p[F.firstSeen] = op.now;
        p[F.visits] = 1;
        p[F.sessionStart] = op.now;
        p[F.sessionPageviews] = 0;
      } else if (op.now - num(p, F.lastSeen) > op.idle) {
        p[F.previousLastSeen] = num(p, F.lastSeen);
        p[F.previousPageviews] = num(p, F.sessionPageviews);
        // session engagement only counts when it belongs to the visit that ends
        p[F.previousEngagedMs] = num(p, F.sessionId) === num(p, F.visits) ? num(p, F.sessionEngagedMs) : 0;
        p[F.visits] = num(p, F.visits) + 1;
        p[F.sessionStart] = op.now;
        p[F.sessionPageviews] = 0;
      }
      p[F.lastSeen] = Math.max(num(p, F.lastSeen), op.now);
    },
    lua: `local now = op.now
    if absent(${q(F.firstSeen)}) then
      redis.call('HSET', h, ${q(F.firstSeen)}, str(now), ${q(F.visits)}, '1', ${q(F.sessionStart)}, str(now), ${q(F.sessionPageviews)}, '0')
    elseif now - num(${q(F.lastSeen)}) > op.idle then
      put(${q(F.previousLastSeen)}, num(${q(F.lastSeen)}))
      put(${q(F.previousPageviews)}, num(${q(F.sessionPageviews)}))
      if num(${q(F.sessionId)}) == num(${q(F.visits)}) then put(${q(F.previousEngagedMs)}, num(${q(F.sessionEngagedMs)})) else put(${q(F.previousEngagedMs)}, 0) end
      redis.call('HSET', h, ${q(F.visits)}, str(num(${q(F.visits)}) + 1), ${q(F.sessionStart)}, str(now), ${q(F.sessionPageviews)}, '0')
    end
    put(${q(F.lastSeen)}, math.max(num(${q(F.lastSeen)}), now))`,
  },
  sess: {
    apply: (p, op) => {
      if (num(p, F.sessionId) !== op.sid) {
        p[F.sessionId] = op.sid;
        p[F.sessionEngagedMs] = 0;
        p[F.sessionMaxScroll] = 0;
      }
      p[op.f] = op.m === 'inc' ? num(p, op.f) + op.n : Math.max(num(p, op.f), op.n);
    },
    lua: `if num(${q(F.sessionId)}) ~= op.sid then redis.call('HSET', h, ${q(F.sessionId)}, str(op.sid), ${q(F.sessionEngagedMs)}, '0', ${q(F.sessionMaxScroll)}, '0') end
    if op.m == 'inc' then put(f, num(f) + op.n) else put(f, math.max(num(f), op.n)) end`,
  },
  vday: {
    apply: (p, op) => {
      if (num(p, F.windowVisit) === num(p, F.visits)) return;
      p[F.windowVisit] = num(p, F.visits);
      p[op.f] = num(p, op.f) + 1;
    },
    lua: `if num(${q(F.windowVisit)}) ~= num(${q(F.visits)}) then
      put(${q(F.windowVisit)}, num(${q(F.visits)}))
      put(f, num(f) + 1)
    end`,
  },
  daily: {
    apply: (p, op) => {
      const cur = p[op.f];
      const [day, count] = typeof cur === 'string' ? cur.split(':').map(Number) : [0, 0];
      p[op.f] = `${op.day}:${day === op.day ? (count ?? 0) + 1 : 1}`;
    },
    lua: `local cur = redis.call('HGET', h, f)
    local count = 1
    if cur then
      local parts = {}
      for part in string.gmatch(cur .. ':', '([^:]*):') do parts[#parts + 1] = part end
      if jsNumber(parts[1]) == op.day then
        count = (parts[2] and jsNumber(parts[2]) or 0) + 1
      end
    end
    put(f, str(op.day) .. ':' .. str(count))`,
  },
  del: {
    apply: (p, op) => {
      delete p[op.f];
    },
    lua: "redis.call('HDEL', h, f)",
  },
};

/** Applies one operation in place. Pure apart from mutating `p`. */
export function applyOp(p: FlatProfile, op: Op): void {
  (OPS[op.o] as OpDefinition<Op['o']>).apply(p, op as never);
}

/**
 * Applies op groups to a profile, skipping groups whose id is in `seen` (and adding applied ids to it).
 * Returns how many groups were applied and how many were duplicates.
 */
export function applyOps(
  p: FlatProfile,
  groups: readonly OpGroup[],
  seen?: Set<string>,
): { applied: number; duplicates: number } {
  let applied = 0;
  let duplicates = 0;
  for (const g of groups) {
    if (g.id !== undefined && seen) {
      if (seen.has(g.id)) {
        duplicates++;
        continue;
      }
      seen.add(g.id);
    }
    for (const op of g.ops) applyOp(p, op);
    applied++;
  }
  trimProfile(p);
  return { applied, duplicates };
}

/**
 * The hard caps on per-name fields, so a profile stays small whatever arrives: past `max` names, the
 * weakest go first (lowest value, or with `byName` the lowest name as a number, i.e. the oldest day;
 * equal values keep the earlier field), each with its companion field when it has one.
 * Interests: the 16 strongest. Goals: the document names which goals are stored at all (plan.ts), and
 * a profile keeps at most 32 of them. Day buckets (visits7d ... engagedTime30d): the 30 latest days.
 */
export const TRIMS: readonly { prefix: string; companion: string; max: number; byName: boolean }[] = [
  { prefix: P.interest, companion: P.interestTime, max: MAX_INTERESTS, byName: false },
  { prefix: P.conversions, companion: P.conversionValue, max: MAX_GOALS, byName: false },
  { prefix: P.dayVisits, companion: '', max: WINDOW_DAYS, byName: true },
  { prefix: P.dayPageviews, companion: '', max: WINDOW_DAYS, byName: true },
  { prefix: P.dayEngagedMs, companion: '', max: WINDOW_DAYS, byName: true },
  { prefix: P.itemViewed, companion: '', max: MAX_ITEMS, byName: false },
  { prefix: P.itemCarted, companion: '', max: MAX_ITEMS, byName: false },
  { prefix: P.itemBought, companion: '', max: MAX_ITEMS, byName: false },
  { prefix: P.itemClicked, companion: P.itemClickedIn, max: MAX_ITEMS, byName: false },
];

/** Whether any {@link TRIMS} prefix has more than its `max` fields (one pass over the profile). */
function overAnyTrim(p: FlatProfile): boolean {
  const counts = new Array<number>(TRIMS.length).fill(0);
  for (const k of Object.keys(p)) {
    for (let i = 0; i < TRIMS.length; i++) {
      const t = TRIMS[i] as (typeof TRIMS)[number];
      if (k.startsWith(t.prefix) && ++(counts[i] as number) > t.max) return true;
    }
  }
  return false;
}

/** Applies {@link TRIMS}. */
export function trimProfile(p: FlatProfile): void {
  // the usual profile is within every cap: nothing to sort or delete
  if (!overAnyTrim(p)) return;
  for (const t of TRIMS) {
    const keys = Object.keys(p).filter((k) => k.startsWith(t.prefix));
    if (keys.length <= t.max) continue;
    const score = (k: string) => (t.byName ? Number(k.slice(t.prefix.length)) || 0 : num(p, k));
    keys.sort((a, b) => score(b) - score(a));
    for (const k of keys.slice(t.max)) {
      delete p[k];
      if (t.companion) delete p[t.companion + k.slice(t.prefix.length)];
    }
  }
}

/** `TRIMS` in Lua, for the end of the Upstash script (same order and tie rule as {@link trimProfile}). */
export function luaTrimProfile(): string {
  const smallest = Math.min(...TRIMS.map((t) => t.max));
  const trims = TRIMS.map((t) => `  trim('${t.prefix}', '${t.companion}', ${t.max}, ${t.byName})`).join('\n');
  return `local function trim(prefix, companion, max, byName)
  local all = redis.call('HGETALL', h)
  local found = {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, #prefix) == prefix then
      local n
      if byName then n = jsNumber(string.sub(all[i], #prefix + 1)) else n = jsNumber(all[i + 1]) end
      if n ~= n then n = 0 end
      found[#found + 1] = { k = all[i], s = n, i = #found + 1 }
    end
  end
  if #found <= max then return end
  table.sort(found, function(a, b)
    if a.s ~= b.s then return a.s > b.s end
    return a.i < b.i
  end)
  for j = max + 1, #found do
    if companion ~= '' then
      redis.call('HDEL', h, found[j].k, companion .. string.sub(found[j].k, #prefix + 1))
    else
      redis.call('HDEL', h, found[j].k)
    end
  end
end
-- equal values keep the earlier field, as a stable sort in JS does (Redis keeps a small hash in
-- insertion order, like a JS object)
if redis.call('HLEN', h) > ${smallest} then
${trims}
end`;
}

/** `local function applyOp(op) ... end` for the Upstash script, generated from {@link OPS}. */
export function luaApplyOp(): string {
  const branches = (Object.keys(OPS) as Op['o'][]).map(
    (o, i) => `  ${i === 0 ? 'if' : 'elseif'} o == ${q(o)} then\n    ${OPS[o].lua}`,
  );
  return `local function applyOp(op)\n  local o, f = op.o, op.f\n${branches.join('\n')}\n  end\nend`;
}

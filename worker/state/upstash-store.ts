/**
 * @module upstash-store
 * Visitor state in Upstash Redis: the backend that makes concurrent updates exact.
 *
 * Per visitor there are two keys: the hash `hio:v:<id>` with every profile field of both writers, and
 * the sorted set `hio:e:<id>` of the event ids already applied (for idempotent retries). `apply` is one
 * Lua script, run atomically by Redis: it skips groups whose id is known, applies every operation with
 * exactly the semantics of `applyOp` (the script's `applyOp` is generated from engine/profile-ops.ts), trims the profile like `trimProfile` (generated from the same table), and
 * refreshes the retention TTL of both keys. Nothing is read into the worker and written back, so two
 * isolates updating one visitor at once cannot overwrite each other: the `writer` argument, which the
 * KV store needs to split a profile into keys that only one path writes, has nothing to protect here.
 *
 * The id set is a sorted set ordered by arrival that keeps the newest `maxEventIds` ids (128, as many
 * as the KV store keeps), not a plain set: a visitor active through the whole retention period would
 * grow a plain set without bound, and up to 128 entries Redis stores it compactly (about 2.6 KB; 129
 * ids take about 18 KB). A batch retried after more than that many newer events would count again.
 *
 * `load` is one round trip too, a read-only script around HGETALL that returns the hash as one JSON
 * string: the client's automatic deserialization would otherwise turn stored strings such as a category
 * named `true` or `1e3` into other values. Numbers are parsed back with engine/profile-fields.ts's codec:
 * its string fields stay strings, and any value that is not a canonical number stays a string.
 *
 * @example
 * const store = createUpstashStore(new Redis({ url, token }));
 * await store.apply(visitorId, 'beacon', [{ id: 'e1', ops: [{ o: 'inc', f: 'c.buy', n: 1 }] }], { ttlSeconds });
 */
import type { Redis } from '@upstash/redis';
import { luaApplyOp, luaTrimProfile, MAX_INTERESTS, parseStringRecord } from '../engine/index.ts';
import { type StateStore, StoreError } from './store.ts';

/** The part of the @upstash/redis client the store uses (either entry point: node or cloudflare). */
export type UpstashClient = Pick<Redis, 'createScript' | 'del' | 'ping'>;

export interface UpstashStoreOptions {
  /** key prefix: keys are `<prefix>:v:<id>` and `<prefix>:e:<id>` */
  prefix?: string;
  /** how many of a visitor's newest event ids are remembered for idempotency (default 128) */
  maxEventIds?: number;
}

/*
 * KEYS[1] profile hash, KEYS[2] applied event ids (score = arrival order)
 * ARGV[1] op groups as JSON, ARGV[2] TTL seconds, ARGV[3] MAX_INTERESTS, ARGV[4] event ids kept
 *
 * Values are stored as strings. `str` writes integers as integers and other numbers with the fewest
 * digits (15-17) that read back as the same double; `jsNumber` reads them as JavaScript's Number() does.
 */
const APPLY = `
local h, ids = KEYS[1], KEYS[2]
local groups = cjson.decode(ARGV[1])
local ttl, maxInterests, maxIds = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local function str(x)
  if type(x) == 'string' then return x end
  if type(x) ~= 'number' then return tostring(x) end
  if x ~= x then return 'NaN' end
  if x == math.huge then return 'Infinity' end
  if x == -math.huge then return '-Infinity' end
  if x == math.floor(x) and x > -1e18 and x < 1e18 then return string.format('%d', x) end
  for p = 15, 16 do
    local s = string.format('%.' .. p .. 'g', x)
    if tonumber(s) == x then return s end
  end
  return string.format('%.17g', x)
end

local function jsNumber(s)
  s = string.match(s, '^%s*(.-)%s*$')
  if s == '' then return 0 end
  if s == 'Infinity' or s == '+Infinity' then return math.huge end
  if s == '-Infinity' then return -math.huge end
  if string.find(s, '^[+-]?%d*%.?%d*[eE]?[+-]?%d*$') or string.find(s, '^0[xX]%x+$') then
    local n = tonumber(s)
    if n then return n end
  end
  return 0 / 0
end

-- num(p, f) of profile.ts: Number(v) || 0
local function num(f)
  local v = redis.call('HGET', h, f)
  if not v then return 0 end
  local n = jsNumber(v)
  if n ~= n then return 0 end
  return n
end

local function absent(f) return redis.call('HEXISTS', h, f) == 0 end
local function put(f, v) redis.call('HSET', h, f, str(v)) end

-- Math.round(n * 1000) / 1000
local function round3(n)
  local y = n * 1000
  local r = math.floor(y)
  if y - r >= 0.5 then r = r + 1 end
  return r / 1000
end

${luaApplyOp()}

local top = redis.call('ZREVRANGE', ids, 0, 0, 'WITHSCORES')
local seq = top[2] and tonumber(top[2]) or 0
local card = redis.call('ZCARD', ids)
local applied, duplicates = 0, 0
for _, g in ipairs(groups) do
  local fresh = true
  if type(g.id) == 'string' then
    if redis.call('ZSCORE', ids, g.id) then
      fresh = false
    else
      -- drop the oldest first: a set that grew past the limit even briefly would keep a larger encoding
      while card >= maxIds do
        redis.call('ZPOPMIN', ids)
        card = card - 1
      end
      seq = seq + 1
      redis.call('ZADD', ids, seq, g.id)
      card = card + 1
    end
  end
  if fresh then
    applied = applied + 1
    for _, op in ipairs(g.ops) do applyOp(op) end
  else
    duplicates = duplicates + 1
  end
end

${luaTrimProfile()}

redis.call('EXPIRE', h, ttl)
redis.call('EXPIRE', ids, ttl)
return { applied, duplicates }
`;

const LOAD = `
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return '{}' end
local t = {}
for i = 1, #all, 2 do t[all[i]] = all[i + 1] end
return cjson.encode(t)
`;

function isStringRecord(x: unknown): x is Record<string, string> {
  return (
    typeof x === 'object' &&
    x !== null &&
    !Array.isArray(x) &&
    Object.values(x).every((v) => typeof v === 'string')
  );
}

export function createUpstashStore(redis: UpstashClient, options: UpstashStoreOptions = {}): StateStore {
  const { prefix = 'hio', maxEventIds = 128 } = options;
  if (!Number.isInteger(maxEventIds) || maxEventIds < 1) {
    throw new StoreError(`maxEventIds must be a positive integer, got ${maxEventIds}`);
  }
  const profileKey = (id: string) => `${prefix}:v:${id}`;
  const idsKey = (id: string) => `${prefix}:e:${id}`;
  // EVALSHA first, EVAL when Redis does not have the script cached yet
  const applyScript = redis.createScript<unknown>(APPLY);
  const loadScript = redis.createScript<unknown, true>(LOAD, { readonly: true });

  return {
    backend: 'upstash',

    async load(visitorId) {
      const raw = await loadScript.exec([profileKey(visitorId)], []);
      // with automatic deserialization (the default) the client has parsed the JSON already
      const hash: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
      if (!isStringRecord(hash)) throw new StoreError('unexpected reply to the profile load script');
      return { profile: parseStringRecord(hash) };
    },

    async apply(visitorId, _writer, groups, opts) {
      if (groups.length === 0) return { applied: 0, duplicates: 0 };
      const ttl = Math.max(1, Math.ceil(opts.ttlSeconds));
      const reply = await applyScript.exec(
        [profileKey(visitorId), idsKey(visitorId)],
        [JSON.stringify(groups), String(ttl), String(MAX_INTERESTS), String(maxEventIds)],
      );
      if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
        throw new StoreError('unexpected reply to the profile update script');
      }
      return { applied: reply[0], duplicates: reply[1] };
    },

    async erase(visitorId) {
      await redis.del(profileKey(visitorId), idsKey(visitorId));
    },

    async ping() {
      await redis.ping();
    },
  };
}

/**
 * @module bench/workers/hio-counted
 * HIO with its storage bindings wrapped in counters, to verify "one state read per page request,
 * config from the isolate cache" from the outside. Not timed: the timed instance runs HIO's own bundle.
 *
 * `GET /__bench/counts` returns the calls made since the last `?reset=1`: KV reads (and how many keys
 * they asked for), KV writes, and D1 statements. Everything else is HIO, unchanged.
 */
import hio from '../../worker/index.ts';

const counts = { kvReads: 0, kvKeysRead: 0, kvWrites: 0, kvDeletes: 0, d1Statements: 0, envObjects: 0 };
const zero = () => {
  for (const k of Object.keys(counts)) if (k !== 'envObjects') counts[k] = 0;
};

function countingKv(kv) {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return (...args) => {
        if (prop === 'get' || prop === 'getWithMetadata') {
          counts.kvReads++;
          counts.kvKeysRead += Array.isArray(args[0]) ? args[0].length : 1;
        } else if (prop === 'put') counts.kvWrites++;
        else if (prop === 'delete') counts.kvDeletes++;
        return value.apply(target, args);
      };
    },
  });
}

function countingD1(db) {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return (...args) => {
        if (prop === 'prepare' || prop === 'exec') counts.d1Statements++;
        return value.apply(target, args);
      };
    },
  });
}

// one wrapped env per env object: HIO caches config and the campaign document per binding object
const wrapped = new WeakMap();
function wrap(env) {
  let w = wrapped.get(env);
  if (!w) {
    counts.envObjects++;
    w = { ...env, HIO_KV: countingKv(env.HIO_KV), HIO_DB: countingD1(env.HIO_DB) };
    wrapped.set(env, w);
  }
  return w;
}

export default {
  fetch(req, env, ctx) {
    const url = new URL(req.url);
    if (url.pathname === '/__bench/counts') {
      const body = JSON.stringify(counts);
      if (url.searchParams.has('reset')) zero();
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    }
    return hio.fetch(req, wrap(env), ctx);
  },
};

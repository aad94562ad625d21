/**
 * @module bench/workers/floor-state
 * "Floor + state" of the contract: the rewrite floor (bench/workers/floor.js, floor-rewrite.js) plus one visitor-state
 * read started in parallel with the origin fetch. What any KV-backed personalizer pays; HIO /
 * (floor + state) is what HIO's own logic costs.
 *
 * The read is the one HIO's KV store makes for a returning visitor (worker/state/kv-store.ts `load`):
 * one bulk `get` of the visitor's two keys, `p:<id>` and `b:<id>`, as text, each parsed as JSON.
 * run.mjs copies both values from HIO's own KV, so the read moves the same bytes. The visitor id is
 * taken from the `hio_vid` cookie without checking its signature, and the page waits for both the
 * origin and the read before it streams (the simplest correct design: the state would decide what
 * is injected). No config, no decision, no write, no beacon.
 */
import { fetchOrigin, floorRewrite, isHtml } from './floor-rewrite.js';

function visitorId(req) {
  const m = /(?:^|;\s*)hio_vid=([^.;]+)/.exec(req.headers.get('cookie') ?? '');
  return m ? m[1] : null;
}

async function readState(kv, id) {
  const res = await kv.get([`p:${id}`, `b:${id}`], 'text');
  const parse = (s) => (s ? JSON.parse(s) : null);
  return { page: parse(res.get(`p:${id}`)), beacon: parse(res.get(`b:${id}`)) };
}

export default {
  async fetch(req, env) {
    const id = visitorId(req);
    const origin = fetchOrigin(req, env);
    const state = id ? readState(env.HIO_KV, id) : null;
    const res = await origin;
    if (!isHtml(res)) return res;
    if (state) await state;
    return floorRewrite(res, env);
  },
};

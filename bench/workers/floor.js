/**
 * @module bench/workers/floor
 * The "rewrite floor" of the contract: streams HTML pages from ORIGIN_URL through HTMLRewriter and
 * injects exactly the bytes HIO injects for the benchmark visitor, at the same selectors, with no
 * state, no decision and no beacon (bench/workers/floor-rewrite.js). What any streaming edge
 * personalizer must pay.
 */
import { fetchOrigin, floorRewrite, isHtml } from './floor-rewrite.js';

export default {
  async fetch(req, env) {
    const res = await fetchOrigin(req, env);
    return isHtml(res) ? floorRewrite(res, env) : res;
  },
};

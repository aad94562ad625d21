/**
 * @module bench/workers/passthrough
 * The benchmark's pass-through worker: forwards every request to ORIGIN_URL and returns the origin's
 * response as it is. What any worker in front of a site costs, before it does anything.
 */
export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    return fetch(new URL(url.pathname + url.search, env.ORIGIN_URL), {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
    });
  },
};

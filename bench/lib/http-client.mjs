/**
 * @module bench/lib/http-client
 * The load generator's requests: node:http with a keep-alive agent per target, timing each request
 * from the call to the first body byte (TTFB) and to the end of the body (latency). Bodies are
 * counted, not kept, unless asked for (verification).
 *
 * A keep-alive socket the server closes just as a request is written on it fails with ECONNRESET
 * ("socket hang up"); as Node's documentation advises, such a request (one that reused a socket) is
 * sent once more on a fresh one, timed from its new start, and its result says `retried`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';

/**
 * A client for one base URL. `get(path, { headers, keepBody })` resolves to
 * `{ status, headers, ttfbMs, totalMs, bytes, body? }`.
 */
export function createClient(baseUrl, { maxSockets = 16 } = {}) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  const defaults = { 'user-agent': DESKTOP_UA, accept: 'text/html,application/xhtml+xml' };

  function request(method, path, options = {}, retried = false) {
    const { headers = {}, body, keepBody = false } = options;
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent,
          headers: { ...defaults, ...headers },
        },
        (res) => {
          let ttfbMs = Number.NaN;
          let bytes = 0;
          const chunks = [];
          res.on('data', (chunk) => {
            if (bytes === 0) ttfbMs = performance.now() - started;
            bytes += chunk.length;
            if (keepBody) chunks.push(chunk);
          });
          res.on('end', () => {
            const totalMs = performance.now() - started;
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              ttfbMs: bytes ? ttfbMs : totalMs,
              totalMs,
              bytes,
              body: keepBody ? Buffer.concat(chunks) : undefined,
              retried,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', (err) => {
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET')
          resolve(request(method, path, options, true));
        else reject(new Error(`${method} ${base.host}${path}: ${err.message}`, { cause: err }));
      });
      req.end(body);
    });
  }

  return {
    url: base.href,
    get: (path, options) => request('GET', path, options),
    request,
    close: () => agent.destroy(),
  };
}

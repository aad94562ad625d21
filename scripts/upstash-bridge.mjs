/**
 * A local stand-in for Upstash's REST API in front of a real redis-server.
 *
 * Why it exists: @upstash/redis speaks Upstash's HTTP protocol, not RESP, and nothing on npm serves that
 * protocol in front of a local Redis. This bridge lets `STATE_BACKEND=upstash` run in local dev and in tests
 * against a real redis-server, with the real client. It is dev tooling only: in production you use Upstash.
 *
 * Protocol (what @upstash/redis 1.39 relies on):
 * - `POST /` with a JSON command array -> `{"result": ...}`; a Redis error -> 400 `{"error": "ERR ..."}`.
 * - `POST /pipeline` and `POST /multi-exec` with an array of command arrays -> `[{"result"}|{"error"}]`;
 *   multi-exec runs inside MULTI/EXEC.
 * - `GET|POST /<cmd>/<arg>/...` path-style commands (a POST body becomes the last argument).
 * - `Authorization: Bearer <token>` (or `?_token=`), else 401 `{"error":"Unauthorized"}`.
 * - `Upstash-Encoding: base64`: every string in the result, at any depth, is base64 of its bytes, except the
 *   status reply "OK". Numbers stay numbers, nil stays null, arrays keep their RESP2 shape.
 *
 * Run it with `npm run redis:bridge` (env: REDIS_URL, UPSTASH_REDIS_REST_TOKEN, PORT, HOST; DEBUG logs requests).
 * @module
 */
import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEV_TOKEN = 'hio-local-dev-token';
const DEBUG = Boolean(process.env.DEBUG);

/** Bulk strings come back as Buffers so they can be base64-encoded byte for byte and told apart from status replies. */
const TYPE_MAPPING = { [RESP_TYPES.BLOB_STRING]: Buffer };

const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

/**
 * Commands that change the state of the connection they run on. Replies of a shared connection would go
 * astray (SUBSCRIBE, MONITOR) or later requests would run in the wrong context (SELECT, MULTI, WATCH).
 * Upstash's REST API does not offer them either: transactions go through /multi-exec.
 */
const REFUSED = new Set([
  'auth',
  'client',
  'discard',
  'exec',
  'hello',
  'monitor',
  'multi',
  'psubscribe',
  'psync',
  'punsubscribe',
  'quit',
  'reset',
  'select',
  'ssubscribe',
  'subscribe',
  'sunsubscribe',
  'sync',
  'unsubscribe',
  'unwatch',
  'watch',
]);

/** Commands that may block their connection; they get one of their own so they cannot stall everyone else. */
const BLOCKING = new Set([
  'blmove',
  'blmpop',
  'blpop',
  'brpop',
  'brpoplpush',
  'bzmpop',
  'bzpopmax',
  'bzpopmin',
  'wait',
  'waitaof',
]);

/** An error whose message goes back to the caller as `{"error": message}`. */
class BridgeError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Starts the bridge. Rejects if Redis cannot be reached at start.
 *
 * @example
 * const bridge = await startBridge({ redisUrl: 'redis://127.0.0.1:6379', token: 'dev' });
 * const redis = new Redis({ url: bridge.url, token: 'dev' });
 *
 * @param {{ redisUrl: string, token: string, port?: number, host?: string }} options
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export async function startBridge({ redisUrl, token, port = 0, host = '127.0.0.1' }) {
  if (!redisUrl) throw new Error('startBridge: redisUrl is required (e.g. redis://127.0.0.1:6379)');
  if (!token) throw new Error('startBridge: token is required');

  const redis = createRedisConnections(redisUrl);
  await redis.connect();

  const expectedToken = digest(token);
  const server = http.createServer((req, res) => {
    const started = performance.now();
    handle(req, res, { redis, expectedToken })
      .catch((error) => {
        if (DEBUG) console.error('[upstash-bridge]', error);
        const status = error instanceof BridgeError ? error.status : 500;
        send(res, status, { error: errorMessage(error) });
      })
      .finally(() => {
        if (DEBUG) {
          const ms = (performance.now() - started).toFixed(1);
          console.log(`[upstash-bridge] ${req.method} ${req.url} ${res.statusCode} ${ms} ms`);
        }
      });
  });

  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(undefined);
      });
    });
  } catch (error) {
    await redis.close();
    throw error;
  }

  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${boundPort}`,
    port: boundPort,
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
      await redis.close();
    },
  };
}

/**
 * One shared connection for ordinary commands (node-redis pipelines concurrent commands on it), plus
 * short-lived dedicated connections for blocking commands.
 *
 * @param {string} url
 */
function createRedisConnections(url) {
  let everReady = false;
  let lastError = '';
  const dedicated = new Set();

  /** @param {boolean} shared */
  const newClient = (shared) => {
    const client = createClient({
      url,
      RESP: 2,
      // Fail a request at once while Redis is down instead of queueing it until it times out.
      disableOfflineQueue: true,
      socket: {
        // At start, an unreachable Redis is a configuration error: fail fast. Later, keep reconnecting.
        reconnectStrategy: (retries, cause) =>
          shared && everReady ? Math.min(50 * 2 ** retries, 2000) : shared ? cause : false,
      },
    });
    // Errors reach the request that hit them; the shared connection's are also logged, once per change,
    // after start (a failed start rejects with the error instead).
    client.on('error', (error) => {
      const message = errorMessage(error);
      if (!shared || !everReady || message === lastError) return;
      console.error(`[upstash-bridge] redis: ${message}`);
      lastError = message;
    });
    if (shared) {
      client.on('ready', () => {
        lastError = '';
      });
    }
    return client;
  };

  const shared = newClient(true);

  return {
    async connect() {
      await shared.connect();
      everReady = true;
    },
    /**
     * Runs `fn` on the shared connection, or on a connection of its own when `blocking`.
     * @template T
     * @param {boolean} blocking
     * @param {(client: ReturnType<typeof createClient>) => Promise<T>} fn
     * @returns {Promise<T>}
     */
    async use(blocking, fn) {
      if (!blocking) return fn(shared);
      const client = newClient(false);
      dedicated.add(client);
      try {
        await client.connect();
        return await fn(client);
      } finally {
        dedicated.delete(client);
        if (client.isOpen) client.destroy();
      }
    },
    async close() {
      for (const client of dedicated) client.destroy();
      dedicated.clear();
      if (shared.isOpen) await shared.close();
    },
  };
}

/**
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 * @param {{ redis: ReturnType<typeof createRedisConnections>, expectedToken: Buffer }} ctx
 */
async function handle(req, res, { redis, expectedToken }) {
  const url = new URL(req.url ?? '/', 'http://bridge');
  if (!authorized(req.headers.authorization, url.searchParams.get('_token'), expectedToken)) {
    send(res, 401, { error: 'Unauthorized' });
    return;
  }
  const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
  const path = url.pathname.replace(/\/+$/, '');

  if (req.method !== 'POST' && req.method !== 'GET') {
    throw new BridgeError(405, `ERR method ${req.method} not allowed`);
  }
  const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);

  if (req.method === 'POST' && path === '') {
    const reply = await runSingle(redis, toRedisArgs(parseJson(body)));
    send(res, 200, { result: encode(reply, base64) });
    return;
  }
  if (req.method === 'POST' && (path === '/pipeline' || path === '/multi-exec')) {
    const commands = parseJson(body);
    if (!Array.isArray(commands) || commands.length === 0) {
      throw new BridgeError(400, 'ERR expected a non-empty JSON array of commands');
    }
    const run = path === '/pipeline' ? runPipeline : runMultiExec;
    const outcomes = await run(redis, commands);
    send(
      res,
      200,
      outcomes.map((o) => ('error' in o ? { error: o.error } : { result: encode(o.result, base64) })),
    );
    return;
  }

  // Path-style: /set/key/value?EX=10, where a POST body becomes the last argument.
  const args = path
    .split('/')
    .filter((segment) => segment !== '')
    .map(decodeSegment);
  if (args.length === 0) throw new BridgeError(400, 'ERR empty command');
  for (const [key, value] of url.searchParams) {
    if (key === '_token') continue;
    args.push(key);
    if (value !== '') args.push(value);
  }
  if (body.length > 0) args.push(body.toString('utf8'));
  const reply = await runSingle(redis, args);
  send(res, 200, { result: encode(reply, base64) });
}

/**
 * @param {ReturnType<typeof createRedisConnections>} redis
 * @param {string[]} args
 */
async function runSingle(redis, args) {
  const refusal = refused(args);
  if (refusal) throw new BridgeError(400, refusal);
  try {
    return await redis.use(isBlocking(args), (client) =>
      client.sendCommand(args, { typeMapping: TYPE_MAPPING }),
    );
  } catch (error) {
    throw toBridgeError(error);
  }
}

/**
 * Not atomic, like Upstash: each command gets its own result or error, in order.
 *
 * @param {ReturnType<typeof createRedisConnections>} redis
 * @param {unknown[]} commands
 * @returns {Promise<Array<{ result: unknown } | { error: string }>>}
 */
async function runPipeline(redis, commands) {
  const prepared = commands.map((command) => {
    try {
      const args = toRedisArgs(command);
      const refusal = refused(args);
      return refusal ? { error: refusal } : { args };
    } catch (error) {
      return { error: errorMessage(error) };
    }
  });
  const blocking = prepared.some((p) => p.args && isBlocking(p.args));
  return redis.use(blocking, async (client) => {
    const settled = await Promise.allSettled(
      prepared.map((p) => (p.args ? client.sendCommand(p.args, { typeMapping: TYPE_MAPPING }) : undefined)),
    );
    return settled.map((s, i) => {
      const problem = prepared[i]?.error;
      if (problem) return { error: problem };
      if (s.status === 'fulfilled') return { result: s.value };
      // A Redis error belongs to its command; a lost connection fails the whole request.
      if (s.reason instanceof ErrorReply) return { error: s.reason.message };
      throw toBridgeError(s.reason);
    });
  });
}

/**
 * MULTI, the commands and EXEC go out as one node-redis chain (the mechanism behind node-redis' own
 * `multi()`): they are queued together, written back to back on the shared connection with nothing else in
 * between, and if the connection drops mid-chain the rest of the chain is failed rather than sent on a new
 * connection. Unlike `multi()`, every command's own reply is kept, so a transaction that EXEC aborts can say
 * which command was wrong.
 *
 * @param {ReturnType<typeof createRedisConnections>} redis
 * @param {unknown[]} commands
 * @returns {Promise<Array<{ result: unknown } | { error: string }>>}
 */
async function runMultiExec(redis, commands) {
  /** @type {Array<string | undefined>} */
  const problems = [];
  /** @type {string[][]} */
  const argsList = [];
  for (const command of commands) {
    try {
      const args = toRedisArgs(command);
      argsList.push(args);
      problems.push(refused(args));
    } catch (error) {
      argsList.push([]);
      problems.push(errorMessage(error));
    }
  }
  if (problems.some(Boolean)) {
    return problems.map((problem) => ({ error: problem ?? EXECABORT }));
  }

  const options = { chainId: Symbol('multi-exec'), typeMapping: TYPE_MAPPING };
  const settled = await redis.use(false, (client) =>
    Promise.allSettled([
      client.sendCommand(['MULTI'], options),
      ...argsList.map((args) => client.sendCommand(args, options)),
      client.sendCommand(['EXEC'], options),
    ]),
  );
  const multi = settled[0];
  const exec = settled[settled.length - 1];
  const queued = settled.slice(1, -1);
  if (multi?.status === 'rejected') throw toBridgeError(multi.reason);
  if (exec?.status === 'rejected') {
    if (!(exec.reason instanceof ErrorReply)) throw toBridgeError(exec.reason);
    // EXECABORT: nothing ran. Name the commands Redis refused to queue.
    return queued.map((q) => ({
      error: q.status === 'rejected' ? errorMessage(q.reason) : exec.reason.message,
    }));
  }
  const replies = exec?.value;
  if (!Array.isArray(replies)) throw new BridgeError(500, 'ERR transaction was not executed');
  return replies.map((reply) => (reply instanceof ErrorReply ? { error: reply.message } : { result: reply }));
}

/**
 * A Redis error reply is the caller's (400); anything else means Redis could not be reached (503).
 * @param {unknown} reason
 */
function toBridgeError(reason) {
  return reason instanceof ErrorReply
    ? new BridgeError(400, reason.message)
    : new BridgeError(503, `ERR redis unavailable: ${errorMessage(reason)}`);
}

/**
 * Turns a RESP2 reply into JSON: bulk strings (Buffers) and status replies become strings, base64 when asked,
 * except the status reply "OK", which @upstash/redis leaves undecoded.
 *
 * @param {unknown} reply
 * @param {boolean} base64
 * @returns {unknown}
 */
function encode(reply, base64) {
  if (reply === null || reply === undefined) return null;
  if (Buffer.isBuffer(reply)) return reply.toString(base64 ? 'base64' : 'utf8');
  if (typeof reply === 'string') {
    return base64 && reply !== 'OK' ? Buffer.from(reply, 'utf8').toString('base64') : reply;
  }
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'bigint') return Number(reply);
  if (Array.isArray(reply)) return reply.map((item) => encode(item, base64));
  // An error nested inside an array (a Lua table holding an error reply): pass on its text.
  if (reply instanceof Error) return encode(reply.message, base64);
  return encode(String(reply), base64);
}

/**
 * @param {unknown} command
 * @returns {string[]}
 */
function toRedisArgs(command) {
  if (!Array.isArray(command) || command.length === 0) {
    throw new BridgeError(400, 'ERR a command must be a non-empty JSON array');
  }
  return command.map((arg) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    throw new BridgeError(400, `ERR arguments must be strings or numbers, got ${JSON.stringify(arg)}`);
  });
}

/**
 * @param {string[]} args
 * @returns {string | undefined}
 */
function refused(args) {
  const name = String(args[0]).toLowerCase();
  if (!REFUSED.has(name)) return undefined;
  return `ERR '${name}' is not supported over REST${name === 'multi' || name === 'exec' ? ': use /multi-exec' : ''}`;
}

/** @param {string[]} args */
function isBlocking(args) {
  const name = String(args[0]).toLowerCase();
  if (BLOCKING.has(name)) return true;
  return (name === 'xread' || name === 'xreadgroup') && args.some((a) => a.toLowerCase() === 'block');
}

/**
 * The token comes as `Authorization: Bearer <token>` or, like Upstash allows, as `?_token=<token>`.
 * @param {string | undefined} header
 * @param {string | null} queryToken
 * @param {Buffer} expected digest of the token
 */
function authorized(header, queryToken, expected) {
  const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() ?? queryToken;
  return Boolean(token) && timingSafeEqual(digest(String(token)), expected);
}

/** Hashing first lets tokens of any length be compared in constant time. @param {string} value */
function digest(value) {
  return createHash('sha256').update(value).digest();
}

/** @param {string} segment */
function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BridgeError(400, `ERR malformed path segment: ${segment}`);
  }
}

/** @param {Buffer} body */
function parseJson(body) {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BridgeError(400, 'ERR request body is not valid JSON');
  }
}

/**
 * @param {http.IncomingMessage} req
 * @returns {Promise<Buffer>}
 */
function readBody(req) {
  const tooLarge = () => new BridgeError(413, `ERR request body larger than ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {unknown} payload
 */
function send(res, status, payload) {
  if (res.headersSent) return;
  const body = JSON.stringify(payload);
  /** @type {Record<string, string | number>} */
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  // The rest of an oversized body is not read: close the connection instead of draining it.
  if (status === 413) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

/** @param {unknown} error */
function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}

async function main() {
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const token = process.env.UPSTASH_REDIS_REST_TOKEN || DEV_TOKEN;
  const port = Number(process.env.PORT || 8079);
  const host = process.env.HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  }
  const bridge = await startBridge({ redisUrl, token, port, host });
  console.log(`Upstash REST bridge for ${redisUrl} listening on ${bridge.url}`);
  if (!process.env.UPSTASH_REDIS_REST_TOKEN) {
    console.log(`No UPSTASH_REDIS_REST_TOKEN set: using the dev token "${DEV_TOKEN}".`);
  }
  console.log('Point the worker at it with:');
  console.log(`  UPSTASH_REDIS_REST_URL=${bridge.url}`);
  console.log(`  UPSTASH_REDIS_REST_TOKEN=${token}`);
  const stop = () => {
    bridge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main().catch((error) => {
    console.error(`upstash-bridge: ${errorMessage(error)}`);
    process.exit(1);
  });
}

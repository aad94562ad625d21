/**
 * Throwaway redis-server (and Upstash REST bridge) processes for Node-side tests.
 *
 * Why: the Upstash state adapter and the bridge are tested against a real Redis, not a fake. Each call starts
 * its own redis-server on a free loopback port with persistence off, as a child process that `stop()` kills
 * by PID, so nothing outlives the test run.
 * @module
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from '@upstash/redis';
import { startBridge } from '../../scripts/upstash-bridge.mjs';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface UpstashBridge {
  /** UPSTASH_REDIS_REST_URL */
  url: string;
  /** UPSTASH_REDIS_REST_TOKEN */
  token: string;
  /** A client for the bridge, without retries so a failure shows at once. */
  redis: Redis;
  stop(): Promise<void>;
}

const MISSING = 'redis-server not found: apt-get install -y redis-server';
const READY_TIMEOUT_MS = 5_000;

/**
 * Starts a redis-server on a free port and resolves once it answers PING.
 *
 * @example
 * const server = await startRedis();
 * afterAll(() => server.stop());
 */
export async function startRedis(): Promise<RedisServer> {
  // Another process can take the free port before redis-server binds it: try again with a new one.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startRedisOnce(await freePort());
    } catch (error) {
      if (error instanceof Error && error.message === MISSING) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * Starts redis-server and the Upstash REST bridge in front of it.
 *
 * @example
 * const upstash = await startUpstash();
 * await upstash.redis.set('k', 'v');
 * afterAll(() => upstash.stop());
 */
export async function startUpstash(): Promise<UpstashBridge> {
  const server = await startRedis();
  try {
    const token = randomUUID();
    const bridge = await startBridge({ redisUrl: server.url, token });
    const redis = new Redis({ url: bridge.url, token, retry: false, enableTelemetry: false });
    return {
      url: bridge.url,
      token,
      redis,
      async stop() {
        await bridge.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function startRedisOnce(port: number): Promise<RedisServer> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => {
    exited = true;
  });
  const spawnFailure = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new Error(MISSING) : error);
    });
  });
  spawnFailure.catch(() => {});

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    await kill(child.pid, exit);
  };

  try {
    await Promise.race([
      spawnFailure,
      waitForPing(
        port,
        () => exited,
        () => output,
      ),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

async function kill(pid: number, exit: Promise<void>): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const stopped = await Promise.race([exit.then(() => true), sleep(3_000).then(() => false)]);
  if (!stopped) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await exit;
  }
}

async function waitForPing(port: number, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`redis-server exited on port ${port}:\n${output()}`);
    if (await pings(port)) return;
    await sleep(25);
  }
  throw new Error(
    `redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms:\n${output()}`,
  );
}

/** One PING over raw RESP: true when the server answers +PONG. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

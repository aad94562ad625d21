import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Two projects:
 * - `workers`: the worker's integration tests, inside workerd with real (Miniflare) KV and D1.
 * - `node`: pure units (engine, client utilities) and everything that drives real processes
 *   (Chromium, redis-server and the Upstash bridge, wrangler dev, the benchmark harness).
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  const config: ViteUserConfig = {
    test: {
      // one test file at a time across both projects: the end-to-end files start wrangler dev, Chromium
      // and redis-server, and on a 2-core machine running them beside the workers pool starves them
      fileParallelism: false,
      reporters: process.env.CI ? ['default', ['json', { outputFile: '.tmp/vitest.json' }]] : ['default'],
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: './worker/index.ts',
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ORIGIN_URL: 'http://origin.test',
                  HIO_SECRET: 'test-secret',
                  HIO_ADMIN_TOKEN: 'test-admin-token',
                  // wrangler.toml turns the HTML cache on; the worker tests run without it except its own
                  // (worker/edge/html-cache.test.ts, through overrideEnv): see README "Cached origin HTML"
                  HTML_CACHE: 'off',
                  // HIO_QUEUE and HIO_EVENTS are bound (from wrangler.toml), but the worker tests read D1
                  // right after a request's waitUntil work: they write it directly, and the queue's own
                  // tests (worker/queue.test.ts) turn the queue on per request
                  MEASUREMENT_QUEUE: 'off',
                  QUEUE_RETRY_DELAY_SECONDS: '0',
                },
                // wrangler.toml's consumers, with short batch timeouts and few retries for the queue tests
                queueConsumers: {
                  'hio-measurement': {
                    maxBatchSize: 100,
                    maxBatchTimeout: 0.2,
                    maxRetries: 2,
                    deadLetterQueue: 'hio-measurement-dlq',
                  },
                  'hio-measurement-dlq': { maxBatchSize: 100, maxBatchTimeout: 0.2, maxRetries: 0 },
                },
                outboundService: (req: Request) =>
                  import('./worker/test/origin.ts').then((m) => m.origin(req)),
              },
            }),
          ],
          test: {
            name: 'workers',
            include: ['worker/**/*.test.ts'],
            exclude: ['worker/engine/**'],
            setupFiles: ['./worker/test/apply-migrations.ts'],
          },
        },
        {
          test: {
            name: 'node',
            environment: 'node',
            include: ['worker/engine/**/*.test.ts', 'client/**/*.test.ts', 'test/**/*.test.ts'],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
  return config;
});

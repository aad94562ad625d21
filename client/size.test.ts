/**
 * @module size.test
 * Size is the browser script's first design goal: this builds it fresh and fails past the README's
 * limit, 2.5 KB (2560 bytes) gzip.
 * It also checks that the build is deterministic and that the module the worker serves is current.
 */
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildClient, generatedModule } from '../scripts/build-client.mjs';

/** README: "browser script ≤ 2.5 KB gzip" */
const LIMIT = 2560;

describe('client.js', () => {
  it('stays within 2.5 KB gzip', async () => {
    const js = await buildClient();
    const gz = gzipSync(js, { level: 9 }).length;
    console.log(`client.js: ${new Blob([js]).size} bytes, ${gz} bytes gzip (limit ${LIMIT})`);
    expect(gz).toBeLessThanOrEqual(LIMIT);
  });

  it('builds to the same bytes every time, and worker/generated/client.ts is up to date', async () => {
    const [a, b] = await Promise.all([buildClient(), buildClient()]);
    expect(a).toBe(b);
    const current = await readFile(new URL('../worker/generated/client.ts', import.meta.url), 'utf8').catch(
      () => '',
    );
    expect(
      current === generatedModule(a),
      'worker/generated/client.ts is stale: run npm run build:client',
    ).toBe(true);
  });
});

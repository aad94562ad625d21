/**
 * @module dev-stack
 * The demo shop and the worker under `wrangler dev` (scripts/lib/dev-stack.mjs) for the tests of one
 * `describe`: on free ports, with a throwaway persistence directory and the given admin token, started
 * before its tests and stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { freePort, startDevStack } from '../../scripts/lib/dev-stack.mjs';

export interface TestStack {
  workerUrl: string;
  /** The worker's secret (HIO_SECRET). */
  secret: string;
  stop(): Promise<void>;
  /** The last lines wrangler printed. */
  output(lines?: number): string;
  /** A GET of one of the worker's paths with the admin token. */
  admin(path: string): Promise<Response>;
}

/**
 * Registers the hooks that start and stop the stack; the object it returns is filled in once the stack
 * is up (use it inside the tests and later hooks).
 */
export function useDevStack(options: {
  campaigns: object;
  adminToken: string;
  startTimeoutMs: number;
}): TestStack {
  const stack = {} as TestStack;
  let started: { stop(): Promise<void> } | undefined;
  beforeAll(async () => {
    const running = await startDevStack({
      shopPort: await freePort(),
      workerPort: await freePort(),
      campaigns: options.campaigns,
      persistTo: true,
      adminToken: options.adminToken,
    });
    started = running;
    Object.assign(stack, running, {
      admin: (p: string) =>
        fetch(`${running.workerUrl}${p}`, { headers: { authorization: `Bearer ${options.adminToken}` } }),
    });
  }, options.startTimeoutMs);
  afterAll(async () => {
    await started?.stop();
  });
  return stack;
}

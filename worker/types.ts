/**
 * @module types
 * What a request handler is given: the typed config, the stores, the campaign document, a clock,
 * `waitUntil` and a logger (`Deps`), and the Hono environment. Types only; nothing that these types
 * name imports this module, so it closes no import circle.
 */
import type { ConfigRepo } from './db/config-repo.ts';
import type { MeasurementWriter } from './db/measurement.ts';
import type { AppConfig, Bindings } from './env.ts';
import type { Log } from './log.ts';
import type { StateStore } from './state/store.ts';

export interface WaitUntil {
  waitUntil(p: Promise<unknown>): void;
}

export interface Deps {
  config: AppConfig;
  env: Bindings;
  store: StateStore;
  configRepo: ConfigRepo;
  now: () => number;
  waitUntil: (p: Promise<unknown>) => void;
  log: Log;
  fetchOrigin: (req: Request) => Promise<Response>;
  /** the origin's shareable HTML (edge/html-cache.ts); null with `HTML_CACHE=off` */
  htmlCache: Cache | null;
  measurement: MeasurementWriter;
}

/** The Hono environment of the app. */
export type AppEnv = { Bindings: Bindings; Variables: { deps: Deps } };

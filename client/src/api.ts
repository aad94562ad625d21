/**
 * @module api
 * `window.hio`: the site may define a queue stub before the script loads,
 * `window.hio = window.hio || function () { (hio.q = hio.q || []).push(arguments) }`;
 * on load the queued calls are replayed and the stub replaced by the real function.
 * Commands: `hio('track', goal, { value })`, `hio('decide', slots, callback)` (see decide.ts).
 */
import { guard } from './guard';
import type { Hio } from './types';

export type Track = (goal: string, value: unknown) => void;

/** Installs the real `hio` on `w` (marked `l` so a second copy of the script stands down) and replays the stub's queue. */
export function installApi(
  w: { hio?: Hio },
  track: Track,
  decide: (slots: unknown, cb: unknown) => void,
): void {
  const q = w.hio?.q || [];
  const hio: Hio = guard((cmd?: unknown, goal?: unknown, opts?: unknown) => {
    // a goal that is not a string throws in `track`, which the guard swallows
    if (cmd === 'track') track(goal as string, (opts as { value?: unknown } | undefined)?.value);
    if (cmd === 'decide') decide(goal, opts);
  });
  hio.l = 1;
  w.hio = hio;
  // the stub's queue holds `arguments` objects, which are iterable
  for (const args of q) hio(...args);
}

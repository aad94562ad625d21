/**
 * The demo's campaign document (what `npm start` loads) is valid, and shows each kind of allocation,
 * including a contextual campaign whose best variant differs by device in `npm run demo:traffic`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVICE_EFFECTS } from '../scripts/demo-traffic.mjs';
import { parseDocument } from '../worker/engine/index.ts';

describe('examples/shop/campaigns.json', () => {
  it('is a valid campaign document with a contextual campaign the demo traffic gives a per-device winner', () => {
    const r = parseDocument(JSON.parse(readFileSync('examples/shop/campaigns.json', 'utf8')));
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (!r.ok) return;
    const contextual = r.doc.campaigns.filter((c) => c.allocation === 'contextual');
    expect(contextual.map((c) => [c.id, c.context])).toEqual([['delivery-promise', ['device']]]);
    const effects = DEVICE_EFFECTS['delivery-promise'];
    const best = (device: 'mobile' | 'desktop') =>
      Object.entries(effects[device]).sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(best('mobile')).not.toBe(best('desktop'));
  });
});

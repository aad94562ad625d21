/**
 * Revenue statistics are winsorized at the 99th percentile of converters' values, so one outlier (or one
 * visitor faking a huge purchase) cannot make a variant win; the plain totals stay as they are.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createMeasurementWriter } from './measurement.ts';
import { readRawCounts } from './results.ts';

const id = (i: number) => `W${String(i).padStart(21, '0')}`;

describe('revenue outliers', () => {
  it('are capped at the 99th percentile for the revenue test, not for the totals', async () => {
    const w = createMeasurementWriter(env.HIO_DB, () => {});
    const at = Date.now();
    const rows = [];
    for (let i = 0; i < 200; i++) {
      const variantId = i % 2 ? 'b' : 'control';
      const value = i === 1 ? 1_000_000 : 20 + (i % 7);
      rows.push(
        w.persist({
          visitorId: id(i),
          at,
          measurement: {
            exposures: [],
            conversions: [
              { eventId: `wz-${i}`, campaignId: 'wz', seed: 'wz', variantId, goal: 'buy', value },
            ],
            slotEvents: [],
          },
        }),
      );
    }
    await Promise.all(rows);
    const raw = await readRawCounts(env.HIO_DB);
    const b = raw.conversions.find((c) => c.campaignId === 'wz' && c.variantId === 'b');
    const control = raw.conversions.find((c) => c.campaignId === 'wz' && c.variantId === 'control');
    // the totals keep the outlier
    expect(b?.valueSum).toBeGreaterThan(1_000_000);
    // the winsorized sums cap it at the 99th percentile of the 200 values (26 here: 20 + 6)
    expect(b?.winsorizedSum).toBeLessThan(100 * 27);
    expect(Math.abs((b?.winsorizedSum ?? 0) - (control?.winsorizedSum ?? 0))).toBeLessThan(200);
  });
});

/**
 * The decision-quality simulator (`npm run simulate`) on a reduced run: the "clear differences" scenario,
 * half as long, three seeds. Seeded, so the figures are the same on every run; the thresholds leave room
 * for the Monte-Carlo noise of three seeds (see the standard errors the simulator reports).
 *
 * Why: the simulator is how the project measures whether contextual allocation is worth having; this
 * keeps it running and keeps the contextual policy ahead of plain per-context Thompson sampling.
 */
import { describe, expect, it } from 'vitest';
import { renderTable, SCENARIOS, simulate } from '../scripts/lib/simulator.ts';

describe('simulator', () => {
  const clear = SCENARIOS.filter((s) => s.name === 'clear');
  const options = { scenarios: clear, seeds: 3, draws: 500, shorten: 2 };
  const [result] = simulate(options);

  it('ranks the policies as the design says', () => {
    if (!result) throw new Error('no result');
    const { policies } = result;
    expect(policies.uniform.captured).toBe(0);
    expect(policies.pooled.captured).toBeLessThan(0.3);
    expect(policies.contextual.captured).toBeGreaterThan(policies['per-context'].captured + 0.02);
    expect(policies.contextual.captured).toBeGreaterThan(0.6);
    expect(policies.contextual.captured).toBeLessThanOrEqual(result.ceiling);
    expect(result.oracleConversion).toBeGreaterThan(result.uniformConversion);
  });

  it('is deterministic and renders a table', () => {
    expect(simulate(options)).toEqual([result]);
    expect(renderTable([result as NonNullable<typeof result>])).toMatch(/^scenario .*contextual/);
  });
});

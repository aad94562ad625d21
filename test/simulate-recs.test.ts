/**
 * The recommendation evaluation (`npm run simulate:recs`) on a reduced run: 6,000 sessions, one seed.
 * Seeded, so the figures are the same on every run; the margins are in standard errors of that run.
 *
 * Why: the evaluation is how the project knows the learned strategies are worth having. Where item
 * affinities are real they must beat popularity by far more than chance allows and come near the oracle;
 * where they are not, they must stay within the interval of popularity (a learner that only fits noise
 * would fall below it).
 */
import { describe, expect, it } from 'vitest';
import {
  type Estimate,
  REC_SCENARIOS,
  type RecScenarioResult,
  renderRecTable,
  simulateRecommendations,
} from '../scripts/lib/recommend-sim.ts';

const options = { sessions: 6000, seed: 1 };
const results = simulateRecommendations(options);
const byName = (name: string): RecScenarioResult => {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`no scenario ${name}`);
  return r;
};
/** The standard error of a difference of two independent estimates. */
const seOf = (a: Estimate, b: Estimate) => Math.sqrt(a.se ** 2 + b.se ** 2);

describe('recommendation evaluation', () => {
  it('where affinities are real, the learned strategies beat popularity by more than 3 standard errors', () => {
    const { strategies: s, evaluated } = byName('affinity');
    expect(evaluated).toBeGreaterThan(700);
    for (const name of ['similar', 'for-you', 'popular-in-interest'] as const) {
      // unpaired (conservative) and paired
      expect(s[name].hr.mean).toBeGreaterThan(s.popular.hr.mean + 3 * seOf(s[name].hr, s.popular.hr));
      expect(s[name].ndcg.mean).toBeGreaterThan(s.popular.ndcg.mean + 3 * seOf(s[name].ndcg, s.popular.ndcg));
      expect(s[name].hrVsPopular.mean).toBeGreaterThan(3 * s[name].hrVsPopular.se);
    }
    // the learned neighbours take most of what is achievable, and nothing beats the oracle beyond noise
    expect(s.similar.hrCaptured).toBeGreaterThan(0.85);
    expect(s['for-you'].hrCaptured).toBeGreaterThan(0.7);
    expect(s.similar.hr.mean).toBeGreaterThan(s['popular-in-interest'].hr.mean + 0.15);
    for (const name of ['similar', 'for-you', 'popular-in-interest', 'popular'] as const) {
      const gap = s.oracle.hr.mean - s[name].hr.mean;
      expect(gap).toBeGreaterThan(-3 * seOf(s.oracle.hr, s[name].hr));
    }
  });

  it('where there is no affinity, similar and for-you stay within the interval of popularity', () => {
    const { strategies: s } = byName('independent');
    // popularity is the oracle here: the oracle has no gain to capture
    expect(Math.abs(s.oracle.hrVsPopular.mean)).toBeLessThan(0.01);
    expect(s.similar.hrCaptured).toBeNull();
    for (const name of ['similar', 'for-you'] as const) {
      const diff = s[name].hr.mean - s.popular.hr.mean;
      expect(Math.abs(diff)).toBeLessThan(1.96 * seOf(s[name].hr, s.popular.hr));
      expect(Math.abs(s[name].ndcg.mean - s.popular.ndcg.mean)).toBeLessThan(
        1.96 * seOf(s[name].ndcg, s.popular.ndcg),
      );
    }
    // interests mean nothing here, so popular-in-interest is far below: the model does not invent them
    expect(s['popular-in-interest'].hr.mean).toBeLessThan(s.popular.hr.mean / 2);
  });

  it('for-you without its interest share matches popularity even paired, session by session', () => {
    const [independent] = simulateRecommendations({
      ...options,
      scenarios: REC_SCENARIOS.filter((r) => r.name === 'independent'),
      interestShare: 0,
    });
    const d = independent?.strategies['for-you'].hrVsPopular;
    if (!d) throw new Error('no result');
    expect(Math.abs(d.mean)).toBeLessThan(3 * d.se + 0.005);
  });

  it('answers the same from the compact model as from the JSON one, on every evaluated request', () => {
    for (const r of results) {
      // each held-out session asks similar, for-you, popular-in-interest and popular
      expect(r.compact.answers).toBe(4 * r.evaluated);
      expect(r.compact.differing).toBe(0);
      expect(r.compact.bytes).toBeLessThan(r.modelBytes / 3);
    }
  });

  it('is deterministic, fits a KV value and renders a table', () => {
    expect(simulateRecommendations(options)).toEqual(results);
    for (const r of results) expect(r.modelBytes).toBeLessThan(1_000_000);
    expect(renderRecTable(results)).toMatch(/^affinity: [^\n]+\n[^\n]+\n {2}strategy +HR@4/);
  });
});

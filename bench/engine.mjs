/**
 * @module bench/engine
 * The engine alone: how long one decision takes for campaign documents of 10 and 100 campaigns,
 * against one returning visitor's profile. run.mjs bundles this file with the engine (esbuild) into
 * dist/bench and runs it in its own Node process; it prints one JSON line.
 *
 * Two figures per document: `decide()` alone (attributes already built), and the whole per-request
 * work of the page path, `planPage()` (reported as `personalize`): the request's facts, read the profile, build the attributes and segments,
 * decide, render the templates of the slot writes. The target ("under 0.2 ms") is checked on the latter.
 */

import { requestFacts } from '../worker/edge/request-facts.ts';
import { decide, parseDocument, planPage } from '../worker/engine/index.ts';

const SELECTORS = Array.from({ length: 30 }, (_, i) =>
  i < 6 ? ['#hero', '#offer', '.cta', '#promo', '#newsletter', 'header nav'][i] : `#slot-${i}`,
);

// a mix of what campaign documents target: segments, interests, devices, sources, paths, conversions
const TARGETING = [
  { segments: { $in: ['shoppers'] } },
  { $and: [{ device: 'desktop' }, { 'interests.shoes': { $gte: 1 } }] },
  { 'conversions.purchase': { $gte: 1 } },
  { utm_source: { $in: ['newsletter', 'ads'] } },
  { $or: [{ visits: { $gte: 3 } }, { engagement: { $gt: 0.5 } }] },
  { path: { $regex: '^/c/' } },
  { country: { $in: ['DE', 'AT', 'CH'] } },
  { propensity: { $gte: 0.3 }, segments: { $nin: ['buyers'] } },
  { topInterest: { $in: ['boots', 'bags'] } },
  { newVisitor: false, hour: { $gte: 0, $lt: 24 } },
];

/** A document of `n` campaigns over 30 slots, deterministic. */
function campaignDocument(n) {
  const campaigns = [];
  for (let i = 0; i < n; i++) {
    const three = i % 4 === 0;
    campaigns.push({
      id: `c${i}`,
      priority: (i * 37) % 101,
      slot: { selector: SELECTORS[i % SELECTORS.length], action: ['replace', 'append', 'prepend'][i % 3] },
      targeting: TARGETING[i % TARGETING.length],
      weights: three ? [0.34, 0.33, 0.33] : [0.5, 0.5],
      variants: [
        { id: 'control' },
        { id: 'a', html: `<div class="v">Picked for you: {{ topInterest }} (${i})</div>` },
        ...(three ? [{ id: 'b', html: `<p>Offer ${i} for {{ topInterest }}</p>` }] : []),
      ],
      goals: ['purchase'],
      ...(i % 7 === 3 ? { group: `g${i % 3}` } : {}),
      ...(i % 9 === 5 ? { frequencyCap: { perDay: 3 } } : {}),
    });
  }
  return {
    version: 1,
    holdout: 0,
    segments: {
      shoppers: { 'interests.shoes': { $gte: 1 } },
      returning: { visits: { $gte: 2 } },
      buyers: { 'conversions.purchase': { $gte: 1 } },
      engaged: { engaged: true },
      mobile: { device: 'mobile' },
    },
    campaigns,
  };
}

/** A returning, engaged visitor interested in shoes, with sticky assignments for a third of the campaigns. */
function profileFor(n, now) {
  const p = {
    fs: now - 20 * 86_400_000,
    ls: now - 60_000,
    v: 4,
    ss: now - 600_000,
    pv: 23,
    spv: 5,
    sid: now - 600_000,
    st: 45_000,
    sm: 75,
    et: 300_000,
    dr: 3,
    'i.shoes': 3.2,
    'i@shoes': now - 3_600_000,
    'i.boots': 0.6,
    'i@boots': now - 86_400_000,
    lc: 'shoes',
    ck: 2,
  };
  for (let i = 0; i < n; i += 3) p[`a.c${i}`] = 'a|0';
  return p;
}

function timeEach(fn, iterations, warmup) {
  for (let i = 0; i < warmup; i++) fn();
  const ns = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t = process.hrtime.bigint();
    fn();
    ns[i] = Number(process.hrtime.bigint() - t);
  }
  ns.sort();
  const at = (q) => ns[Math.min(ns.length - 1, Math.floor(q * ns.length))] / 1000;
  return { medianUs: at(0.5), p99Us: at(0.99), iterations };
}

function benchEngine({ sizes = [10, 100], iterations = 20_000, warmup = 3_000 } = {}) {
  const now = Date.UTC(2026, 3, 21, 12, 0, 0);
  const req = new Request('https://shop.example/c/shoes?ref=home', {
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0', accept: 'text/html' },
  });
  const out = {};
  for (const n of sizes) {
    const parsed = parseDocument(campaignDocument(n));
    if (!parsed.ok) throw new Error(`bench document of ${n} campaigns does not parse: ${parsed.problems[0]}`);
    const doc = parsed.doc;
    const stored = profileFor(n, now);
    const plan = () =>
      planPage({
        doc,
        visitorId: 'bench-visitor-0001',
        stored,
        facts: requestFacts(req, doc, now),
        mode: 'page',
      });
    const sample = plan();
    const assignments = {};
    for (const [k, v] of Object.entries(stored)) if (k.startsWith('a.')) assignments[k.slice(2)] = String(v);
    const decideInput = {
      doc,
      visitorId: 'bench-visitor-0001',
      attributes: sample.attributes,
      assignments,
      exposuresToday: {},
      now,
    };
    out[n] = {
      campaigns: n,
      shown: sample.result.decisions.length,
      targeted: sample.result.explanations.filter((e) => e.status !== 'not-targeted').length,
      decide: timeEach(() => decide(decideInput), iterations, warmup),
      personalize: timeEach(plan, iterations, warmup),
    };
  }
  return out;
}

const quick = process.argv.includes('--quick');
process.stdout.write(`${JSON.stringify(benchEngine(quick ? { iterations: 2_000, warmup: 500 } : {}))}\n`);

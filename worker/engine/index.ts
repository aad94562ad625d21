/**
 * @module engine
 * HIO's engine: pure, runtime-agnostic functions (no Workers APIs, no clock, no I/O).
 * The edge layer feeds it facts and stores what it returns.
 */

export { buildAttributes, type RequestFacts } from './attributes.ts';
export { banditWeights } from './bandit.ts';
export { evalCondition, validateCondition } from './condition.ts';
export { type Decision, decide, type Explanation, isInHoldout } from './decide.ts';
export { type CampaignDocument, type CompiledDocument, parseDocument } from './document.ts';
export { foldEvents, type HioEvent, parseBatch } from './events.ts';
export { chooseVariation, getBucketRanges, hash } from './hash.ts';
export {
  applyOps,
  type FlatProfile,
  type Op,
  type OpGroup,
  type ProfileView,
  readProfile,
} from './profile.ts';
export { buildReport, type Report } from './report.ts';
export {
  benjaminiHochberg,
  chanceToBeatControl,
  expectedLoss,
  holm,
  proportionTest,
  sequentialPValue,
  srmPValue,
  verdict,
  welchTest,
} from './stats.ts';
export { escapeHtml, parseTemplate, renderTemplate } from './template.ts';

/**
 * @module engine
 * HIO's engine: pure, runtime-agnostic functions (no Workers APIs, no clock, no I/O).
 * The edge layer feeds it facts and stores what it returns.
 */
export { evalCondition, validateCondition } from './condition.ts';
export { hash, getBucketRanges, chooseVariation } from './hash.ts';
export { parseDocument, type CompiledDocument, type CampaignDocument } from './document.ts';
export { decide, isInHoldout, type Decision, type Explanation } from './decide.ts';
export { buildAttributes, type RequestFacts } from './attributes.ts';
export { readProfile, applyOps, type FlatProfile, type Op, type OpGroup, type ProfileView } from './profile.ts';
export { parseBatch, foldEvents, type HioEvent } from './events.ts';
export { parseTemplate, renderTemplate, escapeHtml } from './template.ts';

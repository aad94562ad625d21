/**
 * @module contexts
 * What a context is for a contextual campaign, and which traffic shares a visitor in it gets. The
 * context key is built from the visitor's attributes named in the campaign's `context`
 * (`device=mobile`, `topInterest=shoes|device=desktop`); the shares come from the scheduled job
 * (db/contextual-job.ts), and a context it has not seen enough of uses the pooled shares.
 */
import type { CompiledCampaign } from './document.ts';
import { lookup } from './template.ts';

/** Shares per context of one campaign, as the scheduled job stores them. */
export interface ContextShares {
  /** for unknown or rare contexts */
  pooled: number[];
  contexts: Record<string, number[]>;
}

const MAX_VALUE_CHARS = 48;
const NONE = '-';

function contextValue(x: unknown): string {
  if (x === undefined || x === null || x === '') return NONE;
  if (Array.isArray(x)) return x.length ? x.map(contextValue).sort().join(',') : NONE;
  if (typeof x === 'object') return NONE;
  return String(x).slice(0, MAX_VALUE_CHARS);
}

/** The visitor's context for a campaign, e.g. `device=mobile`. */
export function contextKey(
  campaign: Pick<CompiledCampaign, 'context'>,
  attributes: Record<string, unknown>,
): string {
  return campaign.context
    .map((name) => `${name}=${contextValue(lookup(attributes, name.split('.')))}`)
    .join('|');
}

/** The shares a visitor in `key` gets: the context's own, the pooled ones, or the campaign's weights. */
export function sharesFor(
  campaign: Pick<CompiledCampaign, 'weights' | 'variants'>,
  key: string,
  state: ContextShares | undefined,
): { weights: number[]; source: 'context' | 'pooled' | 'configured' } {
  const n = campaign.variants.length;
  const own = state?.contexts[key];
  if (own && own.length === n) return { weights: own, source: 'context' };
  if (state?.pooled.length === n) return { weights: state.pooled, source: 'pooled' };
  return { weights: campaign.weights, source: 'configured' };
}

/**
 * @module guardrail-job
 * Evaluates the guardrails of active campaigns every minute (scheduled handler) from the minute
 * counters, so an action applies at most a minute behind the events that prove it, and writes each new
 * action to the audit log; the page path reads the actions in force with the campaign document. The
 * statistics are the engine's (guardrails.ts: exact Clopper-Pearson bounds at alpha / 1440 looks).
 * Session rules (bounce, pages per session, engaged time) read the sessions that started a session
 * timeout (plus a minute) before their window.
 */
import { and, desc, eq, gte, inArray, isNull } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import {
  type ActiveAction,
  bounceLagFor,
  type CompiledDocument,
  evaluateGuardrails,
  type GuardrailAction,
  isSecondaryMetric,
  type MinuteBucket,
  ruleText,
} from '../engine/index.ts';
import { auditLog, minuteCounts } from './schema.ts';

/** A variant stopped by a guardrail: what its visitors see instead. */
export interface Stopped {
  action: 'pause' | 'swap';
  to?: string;
  auditId: number;
}

export type StoppedVariants = Record<string, Record<string, Stopped>>;

/** The actions in force (not undone), by campaign and variant, for the document's current seeds. */
export async function readStopped(d1: D1Database, doc: CompiledDocument): Promise<StoppedVariants> {
  const guarded = doc.campaigns.filter((c) => c.guardrails.length);
  if (!guarded.length) return {};
  const rows = await drizzle(d1)
    .select()
    .from(auditLog)
    .where(
      and(
        isNull(auditLog.undoneAt),
        inArray(auditLog.action, ['pause', 'swap']),
        inArray(
          auditLog.campaignId,
          guarded.map((c) => c.id),
        ),
      ),
    )
    .orderBy(auditLog.id);
  const out: StoppedVariants = {};
  for (const r of rows) {
    const c = guarded.find((x) => x.id === r.campaignId && x.seed === r.seed);
    if (!c?.variants.some((v) => v.id === r.variantId)) continue;
    const campaign = out[c.id] ?? {};
    campaign[r.variantId] = {
      action: r.action === 'swap' ? 'swap' : 'pause',
      ...(r.toVariant ? { to: r.toVariant } : {}),
      auditId: r.id,
    };
    out[c.id] = campaign;
  }
  return out;
}

/** The guardrail metrics whose unit is the session (read a session lag back). */
const SESSION_METRICS: ReadonlySet<string> = new Set(['bounce', 'pagesPerSession', 'engagedTime']);

/** The minute counters the rules read (the table holds every metric; a campaign's day is many rows). */
function countersOf(rules: CompiledDocument['campaigns'][number]['guardrails']): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    if (r.metric === 'ctr') out.add('impressions').add('clicks');
    else if (r.metric === 'bounce') out.add('sessions').add('multi_page_sessions');
    else if (r.metric === 'pagesPerSession')
      for (const m of ['sessions', 'pageviews', 'pageviews_sq', 'pageviews_excess', 'pageviews_sq_excess'])
        out.add(m);
    else if (r.metric === 'engagedTime')
      for (const m of ['sessions', 'engaged_ms', 'engaged_s2', 'engaged_ms_excess', 'engaged_s2_excess'])
        out.add(m);
    else out.add('exposures').add(r.metric);
  }
  return [...out];
}

export async function runGuardrails(
  d1: D1Database,
  doc: CompiledDocument,
  now: number,
): Promise<GuardrailAction[]> {
  const db = drizzle(d1);
  const fired: GuardrailAction[] = [];
  const nowMinute = Math.floor(now / 60_000);
  const bounceLagMs = bounceLagFor(doc.settings.sessionTimeoutMs);
  for (const c of doc.campaigns) {
    if (c.status !== 'active' || !c.guardrails.length) continue;
    // session windows end `bounceLagMs` back; minutes rolled into hours (older than 24 h) are not read,
    // which only leaves the oldest sessions out of a long window
    const sessionRules = c.guardrails.some((g) => SESSION_METRICS.has(g.metric));
    const back = 24 * 60 + (sessionRules ? bounceLagMs / 60_000 : 0);
    const control = c.variants.find((v) => v.control)?.id ?? c.variants[0]?.id ?? '';
    const rows = await db
      .select()
      .from(minuteCounts)
      .where(
        and(
          eq(minuteCounts.campaignId, c.id),
          eq(minuteCounts.seed, c.seed),
          gte(minuteCounts.minute, nowMinute - back),
          inArray(minuteCounts.metric, countersOf(c.guardrails)),
        ),
      );
    const byKey = new Map<string, MinuteBucket>();
    for (const r of rows) {
      const key = `${r.variantId}\u0000${r.minute}`;
      let b = byKey.get(key);
      if (!b) {
        b = {
          minute: r.minute,
          variant: r.variantId,
          impressions: 0,
          clicks: 0,
          exposures: 0,
          conversions: {},
        };
        byKey.set(key, b);
      }
      if (r.metric === 'impressions') b.impressions += r.count;
      else if (r.metric === 'clicks') b.clicks += r.count;
      else if (r.metric === 'exposures') b.exposures += r.count;
      else if (r.metric === 'sessions') b.sessions = (b.sessions ?? 0) + r.count;
      else if (r.metric === 'multi_page_sessions') b.multiPageSessions = (b.multiPageSessions ?? 0) + r.count;
      else if (isSecondaryMetric(r.metric)) {
        const sums = b.secondary ?? {};
        sums[r.metric] = (sums[r.metric] ?? 0) + r.count;
        b.secondary = sums;
      } else if (r.metric.startsWith('conversion:')) {
        const goal = r.metric.slice('conversion:'.length);
        b.conversions[goal] = (b.conversions[goal] ?? 0) + r.count;
      }
    }
    const inForce = await db
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.campaignId, c.id),
          eq(auditLog.seed, c.seed),
          isNull(auditLog.undoneAt),
          inArray(auditLog.action, ['pause', 'swap']),
        ),
      )
      .orderBy(desc(auditLog.id));
    const active: ActiveAction[] = inForce.map((r) => ({
      variant: r.variantId,
      rule: r.ruleIndex,
      text: r.rule,
    }));
    const actions = evaluateGuardrails({
      campaign: c.id,
      control,
      variants: c.variants.map((v) => v.id),
      rules: c.guardrails,
      buckets: [...byKey.values()],
      now,
      active,
      bounceLagMs,
    });
    for (const a of actions) {
      await db.insert(auditLog).values({
        at: a.at,
        campaignId: c.id,
        seed: c.seed,
        variantId: a.variant,
        rule: a.rule.text ?? ruleText(c.guardrails[a.rule.index] as (typeof c.guardrails)[number]),
        ruleIndex: a.rule.index,
        action: a.action,
        toVariant: a.to ?? null,
        evidence: JSON.stringify(a.evidence),
      });
      fired.push(a);
    }
  }
  return fired;
}

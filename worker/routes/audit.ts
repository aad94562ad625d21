/**
 * @module audit
 * `GET /__hio/admin/audit` (Bearer): every automatic action, newest first, `{ id, at, campaign, variant,
 * rule, action, to?, evidence, undoneAt }`; `POST /__hio/admin/audit/:id/undo` (Bearer) takes one back
 * (the variant gets new visitors again; the rule may fire again on new evidence). Bandit share changes
 * (`rule` 'bandit', `action` 'share') are records only: undoing one is refused with 409.
 */
import { desc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { auditLog } from '../db/schema.ts';
import type { Deps } from '../types.ts';
import { json, jsonError } from './json.ts';

export interface AuditEntry {
  id: number;
  at: string;
  campaign: string;
  variant: string;
  rule: string;
  action: string;
  to?: string;
  evidence: unknown;
  undoneAt: string | null;
}

export async function readAudit(d1: D1Database, limit = 500): Promise<AuditEntry[]> {
  const rows = await drizzle(d1).select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit);
  return rows.map((r) => ({
    id: r.id,
    at: new Date(r.at).toISOString(),
    campaign: r.campaignId,
    variant: r.variantId,
    rule: r.rule,
    action: r.action,
    ...(r.toVariant ? { to: r.toVariant } : {}),
    evidence: JSON.parse(r.evidence) as unknown,
    undoneAt: r.undoneAt === null ? null : new Date(r.undoneAt).toISOString(),
  }));
}

export async function handleAudit(deps: Deps): Promise<Response> {
  return json(await readAudit(deps.env.HIO_DB));
}

export async function handleUndo(deps: Deps, id: string): Promise<Response> {
  if (!/^\d{1,12}$/.test(id)) return jsonError(400, 'the action id is a number');
  const db = drizzle(deps.env.HIO_DB);
  const [row] = await db
    .select()
    .from(auditLog)
    .where(eq(auditLog.id, Number(id)));
  if (!row) return jsonError(404, `no action ${id}`);
  if (row.undoneAt !== null) return jsonError(409, `action ${id} was undone already`);
  // a share change is a record of what the bandit did, not a stop: there is nothing to take back, and
  // the next run recomputes the shares from the data anyway
  if (row.action === 'share')
    return jsonError(
      409,
      `action ${id} is a bandit share change, which cannot be undone: the shares follow the data; to start again, change the campaign's seed or set allocation "ab"`,
    );
  await db.update(auditLog).set({ undoneAt: deps.now() }).where(eq(auditLog.id, row.id));
  deps.configRepo.invalidate();
  return json({ undone: row.id });
}

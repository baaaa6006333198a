import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Role, TenantPolicy } from '../../shared/access/policy.js';
import { Entity, project } from '../../shared/access/policy.js';
import type { AuditEntry, AuditPage } from '../../shared/api/audit.js';
import type { AuditLogTable, DB } from '../db/types.js';
import { toIso } from '../sync/mapping.js';

export type NewAuditEntry = {
  tenantId: string;
  actorId: string;
  deviceId?: string | null;
  action: string;
  entity: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  at: Date;
};

/**
 * Appends one entry. Must run inside a scope whose `app.tenant_ids` include the entry's tenant
 * (RLS WITH CHECK refuses anything else); the app role can only INSERT and SELECT.
 */
export async function appendAudit(tx: Kysely<DB>, e: NewAuditEntry): Promise<string> {
  const id = randomUUID();
  await tx
    .insertInto('audit_log')
    .values({
      tenant_id: e.tenantId,
      id,
      at: e.at,
      actor_id: e.actorId,
      device_id: e.deviceId ?? null,
      action: e.action,
      entity: e.entity,
      entity_id: e.entityId,
      before: e.before === undefined || e.before === null ? null : JSON.stringify(e.before),
      after: e.after === undefined || e.after === null ? null : JSON.stringify(e.after),
      reason: e.reason ?? null,
    })
    .execute();
  return id;
}

const asObject = (v: unknown): Record<string, unknown> | null => {
  if (v === null || v === undefined) return null;
  const o: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
};

/** A snapshot as `role` may see it: documents of policy entities go through the shared projection. */
export function projectSnapshot(
  role: Role,
  entity: string,
  snapshot: Record<string, unknown> | null,
  policy: TenantPolicy,
): Record<string, unknown> | null {
  if (snapshot === null) return null;
  const e = Entity.safeParse(entity);
  return e.success ? project(role, e.data, snapshot, policy.overrides) : snapshot;
}

export function auditRowToEntry(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: r.id,
    seq: Number(r.seq),
    tenantId: r.tenant_id,
    at: toIso(r.at),
    actorId: r.actor_id,
    deviceId: r.device_id,
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    before: asObject(r.before),
    after: asObject(r.after),
    reason: r.reason,
  };
}

/**
 * Entries of a tenant, newest first, projected for the reader. `ownOnly` limits them to the
 * reader's own entries (operators).
 */
export async function readAudit(
  tx: Kysely<DB>,
  reader: { tenantId: string; userId: string; role: Role; policy: TenantPolicy; ownOnly: boolean },
  q: { limit: number; before?: number },
): Promise<AuditPage> {
  let query = tx
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', reader.tenantId)
    .orderBy('seq', 'desc')
    .limit(q.limit + 1);
  if (q.before !== undefined) query = query.where('seq', '<', q.before);
  if (reader.ownOnly) query = query.where('actor_id', '=', reader.userId);
  const rows = await query.execute();
  const page = rows.slice(0, q.limit).map(auditRowToEntry);
  const entries = page.map((e) => ({
    ...e,
    before: projectSnapshot(reader.role, e.entity, e.before, reader.policy),
    after: projectSnapshot(reader.role, e.entity, e.after, reader.policy),
  }));
  const last = page[page.length - 1];
  return { entries, nextBefore: rows.length > q.limit && last ? last.seq : null };
}

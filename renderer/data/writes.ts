import type { Confirmation } from '../../shared/audit/chain.js';
import type { AuditAction, ClientAuditEntry } from '../../shared/audit/entry.js';
import type { ItemDoc, MovementDoc } from '../../shared/domain/schemas.js';
import type { TenantDatabase } from './database.js';

/**
 * Every local change goes through here: the change and its audit entry are one document write
 * (the entry rides in `pendingAudit` until pushed), so neither exists without the other even if
 * the PC loses power in between (I4). The write is awaited: durable before the UI says "saved".
 */

type ChangeListener = (tenantId: string, destructive: boolean) => void;
const listeners = new Set<ChangeListener>();

/** Be told of every local change (the offline alert rules count them). */
export function onLocalChange(listener: ChangeListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(tenantId: string, meta: ChangeMeta): void {
  for (const l of listeners) l(tenantId, !!meta.confirmation);
}

/** Tell the listeners about a change written outside this module (the floor data API). */
export function announceLocalChange(tenantId: string, meta: ChangeMeta = {}): void {
  changed(tenantId, meta);
}

/** Who acts, from which device; the server replaces the actor with the authenticated user. */
export type Actor = { userId: string; deviceId: string };

/** Why, and the confirmation for destructive changes. */
export type ChangeMeta = {
  action?: AuditAction;
  reason?: string | null;
  confirmation?: Confirmation | null;
  compensates?: string | null;
};

/** Build the audit entry of a change (exported for tests and for audit-only records). */
export function auditEntry(
  actor: Actor,
  entity: ClientAuditEntry['entity'],
  entityId: string,
  action: AuditAction,
  meta: ChangeMeta,
  now = new Date(),
): ClientAuditEntry {
  return {
    id: crypto.randomUUID(),
    entity,
    entityId,
    action,
    actorId: actor.userId,
    deviceId: actor.deviceId,
    deviceTime: now.toISOString(),
    reason: meta.reason ?? null,
    confirmation: meta.confirmation ?? null,
    compensates: meta.compensates ?? null,
  };
}

/** Record a movement (append-only ledger) with its audit entry. */
export async function recordMovement(
  db: TenantDatabase,
  actor: Actor,
  movement: MovementDoc,
  meta: ChangeMeta = {},
): Promise<void> {
  const { _deleted: _d, ...doc } = movement;
  const entry = auditEntry(actor, 'movements', doc.id, meta.action ?? 'create', meta);
  await db.movements.insert({ ...doc, pendingAudit: [entry] });
  changed(doc.tenantId, meta);
}

/**
 * Change fields of an item, appending the audit entry to any still waiting for the server; the
 * entry's id.
 */
export async function patchItem(
  db: TenantDatabase,
  actor: Actor,
  itemId: string,
  patch: Partial<Omit<ItemDoc, 'id' | 'tenantId' | 'seq' | '_deleted'>>,
  meta: ChangeMeta = {},
): Promise<string> {
  const doc = await db.items.findOne(itemId).exec();
  if (!doc) throw new Error(`item ${itemId} not found`);
  const entry = auditEntry(actor, 'items', itemId, meta.action ?? 'update', meta);
  await doc.incrementalModify((d) => ({
    ...d,
    ...patch,
    updatedAt: new Date().toISOString(),
    pendingAudit: [...(d.pendingAudit ?? []), entry],
  }));
  changed(doc.tenantId, meta);
  return entry.id;
}

/** Delete an item (destructive: `meta.confirmation` must carry the retyped SKU and a reason). */
export async function deleteItem(
  db: TenantDatabase,
  actor: Actor,
  itemId: string,
  meta: ChangeMeta,
): Promise<void> {
  const doc = await db.items.findOne(itemId).exec();
  if (!doc) throw new Error(`item ${itemId} not found`);
  const entry = auditEntry(actor, 'items', itemId, 'delete', meta);
  // One write: the deletion and its audit entry (RxDB's own incrementalRemove sets _deleted so).
  await doc.incrementalModify((d) => {
    const next = {
      ...d,
      updatedAt: new Date().toISOString(),
      pendingAudit: [...(d.pendingAudit ?? []), entry],
    };
    (next as { _deleted?: boolean })._deleted = true;
    return next;
  });
  changed(doc.tenantId, meta);
}

/**
 * Split what a push sends: documents without their local-only `pendingAudit`, and the audit
 * entries of all of them, in the order they were written.
 */
export function splitPush<D extends Record<string, unknown>>(
  rows: { assumedMasterState: D | null; newDocumentState: D }[],
): {
  changes: {
    assumedMasterState: Record<string, unknown> | null;
    newDocumentState: Record<string, unknown>;
  }[];
  audit: ClientAuditEntry[];
} {
  const audit: ClientAuditEntry[] = [];
  const strip = (d: Record<string, unknown>) => {
    const { pendingAudit: _p, ...rest } = d;
    return rest;
  };
  const changes = rows.map((r) => {
    const pending = r.newDocumentState['pendingAudit'];
    if (Array.isArray(pending)) audit.push(...(pending as ClientAuditEntry[]));
    return {
      assumedMasterState: r.assumedMasterState ? strip(r.assumedMasterState) : null,
      newDocumentState: strip(r.newDocumentState),
    };
  });
  audit.sort((a, b) => (a.deviceTime < b.deviceTime ? -1 : a.deviceTime > b.deviceTime ? 1 : 0));
  return { changes, audit };
}

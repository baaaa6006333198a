import { useEffect, useState } from 'react';
import { create } from 'zustand';
import { judgeChange } from '../../shared/audit/destructive.js';
import type { MovementDoc } from '../../shared/domain/schemas.js';
import { requestConfirmation } from '../state/confirm.js';
import { useSession } from '../state/session.js';
import type { AttentionItem } from './attention-types.js';
import { changedFields } from './conflicts.js';
import type { TenantDatabase } from './database.js';
import {
  fromStoredAttention,
  toStoredAttention,
  type StoredAttention,
  type UserDatabase,
} from './user-store.js';
import { auditEntry, deleteItem, patchItem, recordMovement, type Actor } from './writes.js';

/** The signed-in user's own database (Needs attention, offline alerts), as UI state. */
export const useUserDb = create<{ db: UserDatabase | null }>()(() => ({ db: null }));

type Doc = Record<string, unknown>;
const strip = (d: Doc): Doc => {
  const { pendingAudit: _p, _meta: _m, _rev: _r, _attachments: _a, ...rest } = d;
  return rest;
};

/** File changes the server refused (or that could not be merged) for their author (I6). */
export async function fileAttention(
  userDb: UserDatabase,
  entries: Omit<AttentionItem, 'id' | 'at' | 'status'>[],
): Promise<void> {
  if (entries.length === 0) return;
  const at = new Date().toISOString();
  const result = await userDb.attention.bulkInsert(
    entries.map((e) =>
      toStoredAttention({
        ...e,
        id: crypto.randomUUID(),
        at,
        status: 'open' as const,
        localVersion: strip(e.localVersion),
        serverVersion: e.serverVersion ? strip(e.serverVersion) : null,
      }),
    ),
  );
  // bulkInsert reports failures instead of throwing: nothing may be dropped silently here.
  if (result.error.length > 0)
    throw new Error(`Needs attention could not store ${result.error.length} item(s)`);
}

/** Open Needs-attention items of the signed-in user, newest first (null while loading). */
export function useAttention(): { items: AttentionItem[] | null } {
  const db = useUserDb((s) => s.db);
  const [items, setItems] = useState<AttentionItem[] | null>(null);
  useEffect(() => {
    if (!db) {
      setItems(null);
      return;
    }
    const sub = db.attention
      .find({ selector: { status: 'open' }, sort: [{ at: 'desc' }] })
      .$.subscribe((docs) => setItems(docs.map((d) => fromStoredAttention(d.toJSON() as StoredAttention))));
    return () => sub.unsubscribe();
  }, [db]);
  return { items };
}

/** Remove everything filed for a tenant (its access ended: no tenant data may stay, I7). */
export async function dropAttentionOf(userDb: UserDatabase, tenantId: string): Promise<void> {
  await userDb.attention.find({ selector: { tenantId } }).remove();
}

type Ctx = {
  tenantDb: TenantDatabase;
  tenantId: string;
  actor: Actor;
  skuOf: (id: string) => Promise<string | null>;
};
let contextProvider: (() => Ctx | null) | null = null;
let discardSender: ((item: AttentionItem, entry: ReturnType<typeof auditEntry>) => Promise<void>) | null =
  null;

/** The workspace tells this module how to reach the open partition and the server. */
export function configureAttention(
  provider: () => Ctx | null,
  sendDiscard: (item: AttentionItem, entry: ReturnType<typeof auditEntry>) => Promise<void>,
): void {
  contextProvider = provider;
  discardSender = sendDiscard;
}

async function item(id: string): Promise<{ db: UserDatabase; item: AttentionItem }> {
  const db = useUserDb.getState().db;
  if (!db) throw new Error('not signed in');
  const doc = await db.attention.findOne(id).exec();
  if (!doc) throw new Error('no such item');
  return { db, item: fromStoredAttention(doc.toJSON()) };
}

/**
 * Re-apply the local version as a new change (after the cause was fixed): a movement is recorded
 * again under a new id, an item edit is re-applied field by field onto the current document.
 * Destructive changes ask for confirmation again.
 */
export async function retryAttention(id: string): Promise<void> {
  const { db, item: it } = await item(id);
  const ctx = contextProvider?.();
  if (!ctx || ctx.tenantId !== it.tenantId) throw new Error(`open ${it.tenantId} first`);
  const local = it.localVersion;
  // An order or inbound notice is re-done on its floor screen (status rules and confirmations live there).
  if (it.collection === 'orders' || it.collection === 'receipts')
    throw new Error('redo this change on the floor screen; the server state is shown there');
  if (it.collection === 'movements') {
    const m = {
      ...(local as MovementDoc),
      id: crypto.randomUUID(),
      seq: 0,
      createdAt: new Date().toISOString(),
    };
    const sku = await ctx.skuOf(m.itemId);
    const verdict = judgeChange({ entity: 'movements', before: null, after: m, skuOf: () => sku });
    let confirmation = null;
    if (verdict.destructive) {
      confirmation = await requestConfirmation({
        kind: verdict.kind,
        subject: `${m.type} ${m.quantity} × ${sku ?? m.itemId}${m.batch ? ` (${m.batch})` : ''}`,
        identifying: verdict.identifying,
        needsCosign: false,
        tenantId: it.tenantId,
        entity: 'movements',
        entityId: m.id,
        action: 'create',
      });
      if (!confirmation) return;
    }
    await recordMovement(ctx.tenantDb, ctx.actor, m, {
      reason: `retry of a rejected change (${it.code})`,
      confirmation,
    });
  } else {
    const current = await ctx.tenantDb.items.findOne(it.docId).exec();
    if (!current) throw new Error('the item no longer exists');
    if (local['_deleted'] === true) {
      const sku = String(current.sku);
      const confirmation = await requestConfirmation({
        kind: 'delete',
        subject: sku,
        identifying: sku,
        needsCosign: false,
        tenantId: it.tenantId,
        entity: 'items',
        entityId: it.docId,
        action: 'delete',
      });
      if (!confirmation) return;
      await deleteItem(ctx.tenantDb, ctx.actor, it.docId, { confirmation, reason: confirmation.reason });
    } else {
      const cur = current.toJSON() as Doc;
      const patch: Doc = {};
      for (const f of changedFields(cur, local)) if (f in local) patch[f] = local[f];
      await patchItem(ctx.tenantDb, ctx.actor, it.docId, patch, {
        reason: `retry of a rejected change (${it.code})`,
      });
    }
  }
  await (await db.attention.findOne(id).exec())?.incrementalPatch({ status: 'retried' });
}

/** Drop the local version for good. Discarding is itself audited on the server. */
export async function discardAttention(id: string): Promise<void> {
  const { db, item: it } = await item(id);
  const user = useSession.getState().user;
  const ctx = contextProvider?.();
  if (!user || !discardSender) throw new Error('not signed in');
  const entry = auditEntry(
    ctx?.actor ?? { userId: user.id, deviceId: 'unknown' },
    it.collection,
    it.docId,
    'discard',
    { reason: `discarded after rejection: ${it.code}` },
  );
  await discardSender(it, entry);
  await (await db.attention.findOne(id).exec())?.incrementalPatch({ status: 'discarded' });
}

import type { AuditEntry } from '../../shared/api/audit.js';
import type { Confirmation } from '../../shared/audit/chain.js';
import { judgeChange, needsCosign } from '../../shared/audit/destructive.js';
import type { MovementDoc } from '../../shared/domain/schemas.js';
import { requestConfirmation } from '../state/confirm.js';
import { useSession } from '../state/session.js';
import { changedFields } from './conflicts.js';
import { currentActor, useWorkspace } from './workspace.js';
import { auditEntry, patchItem, recordMovement } from './writes.js';

type Doc = Record<string, unknown>;

/** The compensating change for one audit entry, or why there is none. */
export type Compensation =
  | { kind: 'reverse-movement'; movement: MovementDoc }
  | { kind: 'restore-item'; itemId: string; fields: Doc; revive: boolean }
  | { kind: 'none'; why: string };

/**
 * What undoes an entry: a movement is reversed by a movement with source and destination
 * swapped (the ledger is never edited); an item change is undone by writing back the fields the
 * entry's "before" held. Pure, so it is unit-tested.
 */
export function compensationFor(entry: AuditEntry, current: Doc | null, now: Date): Compensation {
  if (entry.entity === 'movements' && entry.action === 'create' && entry.after) {
    const m = entry.after as MovementDoc;
    return {
      kind: 'reverse-movement',
      movement: {
        id: crypto.randomUUID(),
        tenantId: m.tenantId,
        itemId: m.itemId,
        type: 'adjustment',
        quantity: m.quantity,
        fromLocationId: m.toLocationId,
        toLocationId: m.fromLocationId,
        batch: m.batch,
        note: `reverses ${m.id}`,
        reversalOf: m.id,
        createdAt: now.toISOString(),
        createdBy: '',
        deviceId: '',
        seq: 0,
      },
    };
  }
  if (
    entry.entity === 'items' &&
    entry.before &&
    (entry.action === 'update' || entry.action === 'delete' || entry.action === 'rollback')
  ) {
    const before = entry.before;
    const base = current ?? {};
    const fields: Doc = {};
    for (const f of changedFields(base, before)) if (f in before) fields[f] = before[f];
    const revive = current === null || current['_deleted'] === true;
    if (!revive && Object.keys(fields).length === 0) return { kind: 'none', why: 'already in that state' };
    return { kind: 'restore-item', itemId: entry.entityId, fields, revive };
  }
  return { kind: 'none', why: `${entry.entity} ${entry.action} cannot be rolled back here` };
}

/**
 * Roll back entries, newest first, each as a new, confirmed, audited compensating change that
 * goes through the normal push validation — never a silent revert. Each asks for confirmation
 * (retype the SKU or batch); the reason typed first is offered again for the rest.
 */
export async function rollbackEntries(
  entries: AuditEntry[],
): Promise<{ ok: number; failed: { id: string; message: string }[] }> {
  const { db, tenantId } = useWorkspace.getState();
  if (!db || !tenantId) throw new Error('open the tenant first');
  const settings = useSession.getState().policies[tenantId]?.settings;
  const actor = currentActor();
  const failed: { id: string; message: string }[] = [];
  let ok = 0;
  const sorted = [...entries].sort((a, b) => b.seq - a.seq);
  for (const entry of sorted) {
    try {
      const current =
        entry.entity === 'items'
          ? ((await db.items.findOne(entry.entityId).exec())?.toJSON() as Doc | undefined)
          : undefined;
      const c = compensationFor(entry, current ?? null, new Date());
      if (c.kind === 'none') {
        failed.push({ id: entry.id, message: c.why });
        continue;
      }
      if (c.kind === 'reverse-movement') {
        const item = await db.items.findOne(c.movement.itemId).exec();
        const sku = item ? String(item.sku) : null;
        const verdict = judgeChange({
          entity: 'movements',
          before: null,
          after: c.movement,
          skuOf: () => sku,
        });
        const identifying = verdict.destructive ? verdict.identifying : (sku ?? '');
        const confirmation: Confirmation | null = await requestConfirmation({
          kind: 'rollback',
          subject: `${entry.action} ${c.movement.quantity} × ${sku ?? c.movement.itemId}${c.movement.batch ? ` (${c.movement.batch})` : ''}`,
          identifying,
          needsCosign: needsCosign(verdict, settings?.cosignAboveQuantity ?? null),
          tenantId,
          entity: 'movements',
          entityId: c.movement.id,
          action: 'rollback',
        });
        if (!confirmation) break;
        await recordMovement(
          db,
          actor,
          { ...c.movement, createdBy: actor.userId, deviceId: actor.deviceId },
          { action: 'rollback', reason: confirmation.reason, confirmation, compensates: entry.id },
        );
      } else {
        const skuOf = (d: Doc | null | undefined) => (typeof d?.['sku'] === 'string' ? d['sku'] : null);
        const sku = skuOf(c.fields) ?? skuOf(current) ?? skuOf(entry.before) ?? '';
        const confirmation = await requestConfirmation({
          kind: 'rollback',
          subject: sku,
          identifying: sku,
          needsCosign: false,
          tenantId,
          entity: 'items',
          entityId: c.itemId,
          action: 'rollback',
        });
        if (!confirmation) break;
        const meta = {
          action: 'rollback' as const,
          reason: confirmation.reason,
          confirmation,
          compensates: entry.id,
        };
        if (c.revive && entry.before) {
          const audit = auditEntry(actor, 'items', c.itemId, 'rollback', meta);
          const { _deleted: _d, pendingAudit: _p, ...restored } = entry.before;
          await db.items.upsert({
            ...restored,
            updatedAt: new Date().toISOString(),
            pendingAudit: [audit],
          });
        } else {
          await patchItem(db, actor, c.itemId, c.fields, meta);
        }
      }
      ok += 1;
    } catch (e) {
      failed.push({ id: entry.id, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { ok, failed };
}

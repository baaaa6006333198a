import { describe, expect, it, vi } from 'vitest';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { TenantCollections, TenantDatabase } from '../../../renderer/data/database.js';
import { pendingChanges, trackPendingEdits } from '../../../renderer/data/pending.js';
import {
  itemSchema,
  MIGRATIONS,
  movementSchema,
  orderSchema,
  receiptSchema,
  schemaForRole,
} from '../../../renderer/data/schemas.js';
import { deleteItem, patchItem, recordMovement } from '../../../renderer/data/writes.js';

addRxPlugin(RxDBMigrationSchemaPlugin);

const actor = { userId: 'u-mgr', deviceId: 'pc-1' };
let n = 0;

async function openDb(): Promise<TenantDatabase> {
  const db = await createRxDatabase<TenantCollections>({
    name: `pendingtest${++n}`,
    storage: getRxStorageMemory(),
    multiInstance: false,
  });
  await db.addCollections({
    items: { schema: schemaForRole(itemSchema, 'items', 'admin'), migrationStrategies: MIGRATIONS.items },
    movements: {
      schema: schemaForRole(movementSchema, 'movements', 'admin'),
      migrationStrategies: MIGRATIONS.movements,
    },
    receipts: { schema: schemaForRole(receiptSchema, 'receipts', 'admin') },
    orders: { schema: schemaForRole(orderSchema, 'orders', 'admin') },
  });
  return db;
}

const item = (id: string, seq: number) => ({
  id,
  tenantId: 'acme',
  sku: `SKU-${id}`,
  name: `Item ${id}`,
  barcode: null,
  uom: 'pcs',
  updatedAt: '2026-11-26T10:00:00.000Z',
  seq,
});

describe('pendingChanges', () => {
  it('lists unpushed edits, unpushed deletes and unsequenced movements, and nothing the server holds', async () => {
    const db = await openDb();
    await db.items.bulkInsert([item('a', 1), item('b', 2), item('c', 3), item('d', 4)]);
    await patchItem(db, actor, 'a', { name: 'Renamed' });
    await deleteItem(db, actor, 'b', { reason: 'gone' });
    // A delete the server already took (pulled back: no audit entry left) is not pending.
    const c = await db.items.findOne('c').exec();
    await c!.remove();
    await recordMovement(db, actor, {
      id: 'm1',
      tenantId: 'acme',
      itemId: 'd',
      type: 'receipt',
      quantity: 2,
      fromLocationId: null,
      toLocationId: 'RCV-01',
      batch: null,
      note: null,
      createdAt: '2026-11-26T10:00:00.000Z',
      createdBy: actor.userId,
      deviceId: actor.deviceId,
      seq: 0,
    });

    const pending = await pendingChanges(db);
    expect(pending.map((p) => `${p.collection}:${String(p.doc['id'])}`).sort()).toEqual([
      'items:a',
      'items:b',
      'movements:m1',
    ]);
    const deleted = pending.find((p) => p.doc['id'] === 'b')!;
    expect(deleted.doc['_deleted']).toBe(true);
    expect((deleted.doc['pendingAudit'] as { action: string }[]).map((e) => e.action)).toEqual(['delete']);
    await db.close();
  });
});

describe('trackPendingEdits', () => {
  it('counts edits made before and after it starts, deletes included, until the server version comes back', async () => {
    const db = await openDb();
    await db.items.bulkInsert([item('a', 1), item('b', 2), item('c', 3)]);
    await patchItem(db, actor, 'a', { name: 'Edited before the count started' });
    const counts: number[] = [];
    const stop = trackPendingEdits(db, (n) => counts.push(n), { scanAfterMs: 0, debounceMs: 5 });
    await vi.waitFor(() => expect(counts.at(-1)).toBe(1));

    await deleteItem(db, actor, 'b', { reason: 'gone' });
    await vi.waitFor(() => expect(counts.at(-1)).toBe(2));
    await patchItem(db, actor, 'c', { name: 'Edited' });
    await vi.waitFor(() => expect(counts.at(-1)).toBe(3));

    // The server's version of `a` is pulled back: stored without audit entries, no longer pending.
    const a = await db.items.findOne('a').exec();
    await a!.incrementalModify((d) => ({ ...d, seq: 9, pendingAudit: undefined }));
    await vi.waitFor(() => expect(counts.at(-1)).toBe(2));

    stop();
    await db.close();
  });
});

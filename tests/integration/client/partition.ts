import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedKeyEncryptionCryptoJsStorage } from 'rxdb/plugins/encryption-crypto-js';
import { conflictContext, conflictHandler } from '../../../renderer/data/conflicts.js';
import type { TenantCollections, TenantDatabase } from '../../../renderer/data/database.js';
import {
  balanceSchema,
  encryptSensitive,
  itemSchema,
  locationSchema,
  MIGRATIONS,
  movementSchema,
  orderSchema,
  receiptSchema,
  schemaForRole,
} from '../../../renderer/data/schemas.js';

/*
 * What the client integration tests share: a manager's tenant partition as the renderer opens it
 * (RxDB, encrypted, in memory here), a sync status that records nothing, and polling for a
 * condition.
 */

/** Polls `probe` every 50 ms until it answers something; throws after `ms`. */
export async function until<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

addRxPlugin(RxDBMigrationSchemaPlugin);

let n = 0;
/** A manager's tenant partition with the renderer's collections, schemas and conflict handlers. */
export async function openPartition(prefix: string): Promise<TenantDatabase> {
  const db = await createRxDatabase<TenantCollections>({
    name: `${prefix}${++n}${Date.now()}`,
    storage: wrappedKeyEncryptionCryptoJsStorage({ storage: getRxStorageMemory() }),
    password: 'a-test-data-key-of-some-length',
    multiInstance: false,
  });
  const role = 'manager';
  const ctx = conflictContext(db.name);
  await db.addCollections({
    items: {
      schema: encryptSensitive(schemaForRole(itemSchema, 'items', role), 'items'),
      conflictHandler: conflictHandler('items', ctx) as never,
      migrationStrategies: MIGRATIONS.items,
    },
    movements: {
      schema: schemaForRole(movementSchema, 'movements', role),
      conflictHandler: conflictHandler('movements', ctx) as never,
      migrationStrategies: MIGRATIONS.movements,
    },
    balances: {
      schema: schemaForRole(balanceSchema, 'balances', role),
      migrationStrategies: MIGRATIONS.balances,
    },
    receipts: {
      schema: schemaForRole(receiptSchema, 'receipts', role),
      conflictHandler: conflictHandler('receipts', ctx) as never,
    },
    orders: {
      schema: encryptSensitive(schemaForRole(orderSchema, 'orders', role), 'orders'),
      conflictHandler: conflictHandler('orders', ctx) as never,
    },
    locations: { schema: locationSchema },
  });
  return db;
}

/** A sync status that records nothing (tenant-sync reports to it). */
export const quietStatus = {
  setOnline: () => undefined,
  setActive: () => undefined,
  markSynced: () => undefined,
  setError: () => undefined,
  setProgress: () => undefined,
};

import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedKeyEncryptionCryptoJsStorage } from 'rxdb/plugins/encryption-crypto-js';
import {
  tenantCollections,
  type TenantCollections,
  type TenantDatabase,
} from '../../../renderer/data/database.js';

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
/** A manager's tenant partition with the renderer's collections (`tenantCollections`), in memory. */
export async function openPartition(prefix: string): Promise<TenantDatabase> {
  const db = await createRxDatabase<TenantCollections>({
    name: `${prefix}${++n}${Date.now()}`,
    storage: wrappedKeyEncryptionCryptoJsStorage({ storage: getRxStorageMemory() }),
    password: 'a-test-data-key-of-some-length',
    multiInstance: false,
  });
  await db.addCollections(tenantCollections(db.name, 'manager'));
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

import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedKeyEncryptionCryptoJsStorage } from 'rxdb/plugins/encryption-crypto-js';
import {
  tenantCollections,
  type TenantCollections,
  type TenantDatabase,
} from '../../../renderer/data/database.js';
import type { ApiClient } from '../../../renderer/data/api.js';
import type { TenantSyncOptions } from '../../../renderer/data/tenant-sync.js';
import { demoUserId } from '../../../server/db/seed.js';

/*
 * What the client integration tests share: a manager's tenant partition as the renderer opens it
 * (RxDB, encrypted, in memory here), mgr's acme replication options, a stand-in for `window`, and
 * polling for a condition.
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
const quietStatus = {
  setOnline: () => undefined,
  setActive: () => undefined,
  markSynced: () => undefined,
  setError: () => undefined,
  setProgress: () => undefined,
};

/** What tenant-sync needs to replicate mgr's acme partition, callbacks quiet unless `extra` sets them. */
export function mgrAcmeSync(
  db: TenantDatabase,
  api: ApiClient,
  serverUrl: string,
  extra: Partial<TenantSyncOptions> = {},
): TenantSyncOptions {
  return {
    db,
    api,
    serverUrl,
    userId: demoUserId('mgr'),
    tenantId: 'acme',
    policyVersion: 1,
    status: quietStatus,
    onForbidden: () => undefined,
    onUnauthenticated: () => undefined,
    onPolicyChanged: () => undefined,
    ...extra,
  };
}

/** tenant-sync listens for the OS's online/offline events: a bare event target stands in for `window`. */
export function installWindow(): () => void {
  if ('window' in globalThis) return () => undefined;
  (globalThis as { window?: unknown }).window = new EventTarget();
  return () => {
    delete (globalThis as { window?: unknown }).window;
  };
}

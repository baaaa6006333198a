import {
  addRxPlugin,
  createRxDatabase,
  removeRxDatabase,
  type RxCollection,
  type RxDatabase,
  type RxStorage,
} from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { wrappedKeyEncryptionCryptoJsStorage } from 'rxdb/plugins/encryption-crypto-js';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import {
  getChunkedIdbStorage,
  prefetchChunkedIdb,
  removeChunkedIdbDatabases,
} from './storage/chunked-idb.js';
import type { Role } from '../../shared/access/policy.js';
import { forgetBalanceBase } from './balance-base.js';
import { conflictContext, conflictHandler } from './conflicts.js';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../shared/domain/schemas.js';
import type { LocationDoc, OrderDoc, ReceiptDoc } from '../../shared/domain/floor.js';
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
  type Local,
} from './schemas.js';

// Local schemas grow with the app; stored documents migrate instead of the partition failing to open.
addRxPlugin(RxDBMigrationSchemaPlugin);

/** The collections of one tenant partition (≤ 9 by design: RxDB OSS opens 13 per process). */
export type TenantCollections = {
  items: RxCollection<Local<ItemDoc>>;
  movements: RxCollection<Local<MovementDoc>>;
  balances: RxCollection<Omit<BalanceDoc, '_deleted'>>;
  receipts: RxCollection<Local<ReceiptDoc>>;
  orders: RxCollection<Local<OrderDoc>>;
  /** Site-wide reference data, pulled read-only. */
  locations: RxCollection<Omit<LocationDoc, '_deleted'> & { seq: number }>;
};
export type TenantDatabase = RxDatabase<TenantCollections>;

/**
 * Name of the local partition of one (user, tenant): two users of one PC never share a cache or
 * an upload queue. RxDB names allow [a-z0-9_$-] only, so other characters are hex-escaped.
 */
export function partitionName(userId: string, tenantId: string): string {
  const safe = (s: string) =>
    s.toLowerCase().replace(/[^a-z0-9-]/g, (c) => `$${c.charCodeAt(0).toString(16)}`);
  return `bh_${safe(userId)}__${safe(tenantId)}`;
}

/** The local storages: chunked IndexedDB (default) and RxDB's Dexie storage (for comparison). */
export type StorageKind = 'chunked' | 'dexie';

let storageKind: StorageKind = 'chunked';
let storagePromise: Promise<RxStorage<unknown, unknown>> | null = null;

/**
 * Choose the storage before the first database opens (benchmarks and the client suite compare
 * both). Both storages' databases are removed by `removeLocalDatabase` whichever is selected.
 */
export function selectStorage(kind: StorageKind): void {
  if (kind === storageKind) return;
  if (storagePromise) throw new Error('storage already in use; select it before opening a database');
  storageKind = kind;
}

// Only the chunked storage can drop documents below RxDB (`forget`): old synced movements are
// pruned there (`prune.ts`, issue #5); a Dexie partition keeps them, as before.
function baseStorage(kind: StorageKind): RxStorage<unknown, unknown> {
  return kind === 'dexie' ? getRxStorageDexie() : getChunkedIdbStorage();
}

/**
 * The local storage with field encryption for sensitive fields; in development also wrapped with
 * ajv validation and RxDB's dev-mode checks. By default the chunked IndexedDB storage
 * (`storage/chunked-idb.ts`: working set in memory, every write appended to IndexedDB before it
 * resolves); `selectStorage('dexie')` gives RxDB's Dexie storage instead.
 */
export async function storage(): Promise<RxStorage<unknown, unknown>> {
  storagePromise ??= (async () => {
    const base = baseStorage(storageKind);
    if (!import.meta.env.DEV) return wrappedKeyEncryptionCryptoJsStorage<unknown, unknown>({ storage: base });
    const [{ addRxPlugin }, { RxDBDevModePlugin }, { wrappedValidateAjvStorage }] = await Promise.all([
      import('rxdb'),
      import('rxdb/plugins/dev-mode'),
      import('rxdb/plugins/validate-ajv'),
    ]);
    addRxPlugin(RxDBDevModePlugin);
    return wrappedKeyEncryptionCryptoJsStorage<unknown, unknown>({
      storage: wrappedValidateAjvStorage<unknown, unknown>({ storage: base }),
    });
  })();
  return storagePromise;
}

const SIGN_IN_KEY = 'bulkhead.signInPartition:';
const signInKey = (username: string) => `${SIGN_IN_KEY}${username.trim().toLowerCase()}`;

/**
 * Remember which partition signing in as `username` opens, so that the next sign-in can start
 * reading it before the password is verified (`prefetchSignInPartition`). Stores only the
 * partition's name, as `partitions.ts` does; removing the partition forgets it.
 */
export function rememberSignInPartition(username: string, userId: string, tenantId: string): void {
  try {
    localStorage.setItem(signInKey(username), partitionName(userId, tenantId));
  } catch {
    // No localStorage (quota, private mode): the next sign-in just reads the partition later.
  }
}

/**
 * Start reading the partition the last sign-in of `username` opened, in parallel with the
 * sign-in itself (the chunked storage parses its logs while the server checks the password).
 * Only reads: nothing is decrypted, and the partition is opened, or purged, after the sign-in as
 * before; an unused read is dropped (`prefetchChunkedIdb`). No-op on the Dexie storage.
 */
export function prefetchSignInPartition(username: string): void {
  if (storageKind !== 'chunked' || typeof indexedDB === 'undefined') return;
  let name: string | null = null;
  try {
    name = localStorage.getItem(signInKey(username));
  } catch {
    return;
  }
  if (name) void prefetchChunkedIdb(name);
}

function forgetSignInPartition(name: string): void {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k?.startsWith(SIGN_IN_KEY) && localStorage.getItem(k) === name) localStorage.removeItem(k);
    }
  } catch {
    // Nothing remembered.
  }
}

/**
 * The collections of a partition (`dbName`) as declared for a role there: schemas without the
 * fields the role may not read, sensitive fields encrypted, conflict handlers and migrations.
 */
export function tenantCollections(dbName: string, role: Role) {
  const ctx = conflictContext(dbName);
  return {
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
  };
}

/**
 * Open the partition of (user, tenant), its collections declared for the user's role there and
 * its sensitive fields encrypted with `dataKey` (derived from the user's password). Close it
 * before opening another.
 */
export async function openTenantDatabase(
  userId: string,
  tenantId: string,
  role: Role,
  dataKey: string,
): Promise<TenantDatabase> {
  const db = await createRxDatabase<TenantCollections>({
    name: partitionName(userId, tenantId),
    storage: await storage(),
    password: dataKey,
    multiInstance: true,
    eventReduce: true,
    closeDuplicates: true,
  });
  try {
    await db.addCollections(tenantCollections(db.name, role));
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * Delete a local database and everything in it. The key-encryption storage needs the key to open
 * the encrypted collections it deletes; then the IndexedDB databases of BOTH storages for this
 * name are dropped (RxDB's Dexie storage only empties its tables; the chunked storage's
 * collections that RxDB no longer lists, e.g. of an older schema, would stay) — nothing, not even
 * a schema, stays behind, whichever storage wrote it.
 */
export async function removeLocalDatabase(name: string, dataKey: string): Promise<void> {
  forgetSignInPartition(name);
  forgetBalanceBase(name);
  await removeRxDatabase(name, await storage(), true, dataKey);
  await Promise.all([removeDexieDatabases(name), removeChunkedIdbDatabases(name)]);
}

async function removeDexieDatabases(name: string): Promise<void> {
  const prefix = `rxdb-dexie-${name}--`;
  const all = await indexedDB.databases();
  await Promise.all(
    all
      .map((d) => d.name)
      .filter((n): n is string => typeof n === 'string' && n.startsWith(prefix))
      .map(
        (n) =>
          new Promise<void>((resolve, reject) => {
            const req = indexedDB.deleteDatabase(n);
            req.onsuccess = () => resolve();
            req.onerror = () => reject(req.error ?? new Error(`could not delete ${n}`));
          }),
      ),
  );
}

/** Delete a tenant partition (access lost, policy changed, wipe at logout). */
export async function removeTenantDatabase(userId: string, tenantId: string, dataKey: string): Promise<void> {
  await removeLocalDatabase(partitionName(userId, tenantId), dataKey);
}

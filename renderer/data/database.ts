import { createRxDatabase, type RxCollection, type RxDatabase, type RxStorage } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../shared/domain/schemas.js';
import type { Role } from '../../shared/access/policy.js';
import { balanceSchema, itemSchema, movementSchema, schemaForRole, type Local } from './schemas.js';

/** The collections of one tenant partition (≤ 9 by design: RxDB OSS opens 13 per process). */
export type TenantCollections = {
  items: RxCollection<Local<ItemDoc>>;
  movements: RxCollection<Local<MovementDoc>>;
  balances: RxCollection<Local<BalanceDoc>>;
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

let storagePromise: Promise<RxStorage<unknown, unknown>> | null = null;

/** Dexie (IndexedDB); in development wrapped with ajv validation and RxDB's dev-mode checks. */
async function storage(): Promise<RxStorage<unknown, unknown>> {
  storagePromise ??= (async () => {
    const dexie = getRxStorageDexie() as RxStorage<unknown, unknown>;
    if (!import.meta.env.DEV) return dexie;
    const [{ addRxPlugin }, { RxDBDevModePlugin }, { wrappedValidateAjvStorage }] = await Promise.all([
      import('rxdb'),
      import('rxdb/plugins/dev-mode'),
      import('rxdb/plugins/validate-ajv'),
    ]);
    addRxPlugin(RxDBDevModePlugin);
    return wrappedValidateAjvStorage<unknown, unknown>({ storage: dexie });
  })();
  return storagePromise;
}

/**
 * Open the partition of (user, tenant) with its collections, declared for the user's role there.
 * Close it before opening another.
 */
export async function openTenantDatabase(
  userId: string,
  tenantId: string,
  role: Role,
): Promise<TenantDatabase> {
  const db = await createRxDatabase<TenantCollections>({
    name: partitionName(userId, tenantId),
    storage: await storage(),
    multiInstance: true,
    eventReduce: true,
    closeDuplicates: true,
  });
  await db.addCollections({
    items: { schema: schemaForRole(itemSchema, 'items', role) },
    movements: { schema: schemaForRole(movementSchema, 'movements', role) },
    balances: { schema: schemaForRole(balanceSchema, 'balances', role) },
  });
  return db;
}

import { createRxDatabase, type RxCollection, type RxDatabase, type RxJsonSchema } from 'rxdb';
import type { AttentionItem } from './attention-types.js';
import { removeLocalDatabase, storage } from './database.js';

/** A local activity record for the offline alert rules (no tenant data beyond the tenant id). */
export type ActivityDoc = { id: string; tenantId: string; userId: string; at: string; kind: string };

/** An alert raised on this PC while offline, sent at the next sync. */
export type LocalAlertDoc = {
  id: string;
  tenantId: string;
  dedupKey: string;
  draft: Record<string, unknown>;
  sent: boolean;
};

/**
 * A Needs-attention item as stored: `collection` is renamed `coll`, because RxDB documents have a
 * `collection` property of their own.
 */
export type StoredAttention = Omit<AttentionItem, 'collection'> & { coll: AttentionItem['collection'] };

/** Stored form of an item. */
export function toStoredAttention({ collection, ...rest }: AttentionItem): StoredAttention {
  return { ...rest, coll: collection };
}

/** An item from its stored form. */
export function fromStoredAttention({ coll, ...rest }: StoredAttention): AttentionItem {
  return { ...rest, collection: coll };
}

/** The small per-user database: Needs attention, activity for offline alert rules, local alerts. */
export type UserCollections = {
  attention: RxCollection<StoredAttention>;
  activity: RxCollection<ActivityDoc>;
  localalerts: RxCollection<LocalAlertDoc>;
};
export type UserDatabase = RxDatabase<UserCollections>;

const attentionSchema: RxJsonSchema<StoredAttention> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 64 },
    tenantId: { type: 'string', maxLength: 32 },
    coll: { type: 'string', maxLength: 16 },
    docId: { type: 'string', maxLength: 200 },
    code: { type: 'string', maxLength: 64 },
    reason: { type: 'string' },
    // Copies of tenant documents: encrypted like the partitions' sensitive fields.
    localVersion: { type: 'object' },
    serverVersion: { type: ['object', 'null'] },
    at: { type: 'string', maxLength: 40 },
    status: { type: 'string', maxLength: 16 },
  },
  required: ['id', 'tenantId', 'coll', 'docId', 'code', 'reason', 'localVersion', 'at', 'status'],
  encrypted: ['localVersion', 'serverVersion'],
  indexes: ['at', 'tenantId'],
};

const activitySchema: RxJsonSchema<ActivityDoc> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 64 },
    tenantId: { type: 'string', maxLength: 32 },
    userId: { type: 'string', maxLength: 64 },
    at: { type: 'string', maxLength: 40 },
    kind: { type: 'string', maxLength: 32 },
  },
  required: ['id', 'tenantId', 'userId', 'at', 'kind'],
  indexes: ['at'],
};

const localAlertSchema: RxJsonSchema<LocalAlertDoc> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 200 },
    tenantId: { type: 'string', maxLength: 32 },
    dedupKey: { type: 'string', maxLength: 200 },
    draft: { type: 'object' },
    sent: { type: 'boolean' },
  },
  required: ['id', 'tenantId', 'dedupKey', 'draft', 'sent'],
};

/** Name of a user's own database; never shared with another user of the PC. */
export function userDatabaseName(userId: string): string {
  return `bhu_${userId.toLowerCase().replace(/[^a-z0-9-]/g, (c) => `$${c.charCodeAt(0).toString(16)}`)}`;
}

/** Open the user's database (encrypted with the key from their password). */
export async function openUserDatabase(userId: string, dataKey: string): Promise<UserDatabase> {
  const db = await createRxDatabase<UserCollections>({
    name: userDatabaseName(userId),
    storage: await storage(),
    password: dataKey,
    multiInstance: true,
    closeDuplicates: true,
  });
  try {
    await db.addCollections({
      attention: { schema: attentionSchema },
      activity: { schema: activitySchema },
      localalerts: { schema: localAlertSchema },
    });
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/** Delete the user's database (wipe at logout). */
export async function removeUserDatabase(userId: string, dataKey: string): Promise<void> {
  await removeLocalDatabase(userDatabaseName(userId), dataKey);
}

import { prepareQuery, type RxCollection } from 'rxdb';
import type { TenantDatabase } from './database.js';

/** A local change the server has not taken yet. */
export type PendingDoc = {
  collection: 'items' | 'movements' | 'orders' | 'receipts';
  doc: Record<string, unknown>;
};

const EDITABLE = ['items', 'orders', 'receipts'] as const;

function hasPendingAudit(doc: Record<string, unknown>): boolean {
  return Array.isArray(doc['pendingAudit']) && doc['pendingAudit'].length > 0;
}

/**
 * Deleted documents of a collection, read from its storage: RxDB queries never return them, but a
 * delete made on this PC and not pushed yet is a change like any other (I6).
 */
async function deletedDocs(
  collection: RxCollection<Record<string, unknown>>,
): Promise<Record<string, unknown>[]> {
  const schema = collection.schema.jsonSchema;
  const primary = collection.schema.primaryPath;
  const res = await collection.storageInstance.query(
    prepareQuery(schema, {
      selector: { _deleted: { $eq: true } },
      sort: [{ [primary]: 'asc' }],
      skip: 0,
    } as never),
  );
  return res.documents;
}

/**
 * Every change of the partition still waiting for the server: documents (live or deleted) that
 * carry an audit entry not pushed yet, and movements without a server sequence.
 */
export async function pendingChanges(db: TenantDatabase): Promise<PendingDoc[]> {
  const out: PendingDoc[] = [];
  for (const name of EDITABLE) {
    const collection = db.collections[name] as unknown as RxCollection<Record<string, unknown>>;
    const found = await collection.find({ selector: { pendingAudit: { $exists: true } } }).exec();
    const live = found.map((d) => d.toJSON() as Record<string, unknown>);
    for (const doc of [...live, ...(await deletedDocs(collection))])
      if (hasPendingAudit(doc)) out.push({ collection: name, doc: { ...doc } });
  }
  for (const d of await db.movements.find({ selector: { seq: 0 } }).exec()) {
    const doc = d.toJSON() as Record<string, unknown>;
    if (hasPendingAudit(doc)) out.push({ collection: 'movements', doc });
  }
  return out;
}

import { prepareQuery, type RxCollection, type RxDocumentData, type RxStorageInstance } from 'rxdb';
import type { ChunkedIdbInstance } from './chunked-idb.js';

type AnyInstance = RxStorageInstance<unknown, unknown, unknown> & {
  originalStorageInstance?: AnyInstance;
  ensurePersistence?: () => void;
};

/** The storage instance under every wrapper (RxDB's hooks, key encryption, validation). */
function innermost(instance: AnyInstance): AnyInstance {
  let i = instance;
  while (i.originalStorageInstance) i = i.originalStorageInstance;
  return i;
}

/**
 * Every live (not deleted) document of a collection as plain data, without RxDocuments, without
 * the document cache and without a copy where that is safe.
 *
 * - On the chunked IndexedDB storage (an in-memory state) and a collection with no encrypted
 *   field, the documents are read straight from the state: the returned objects are the stored
 *   ones, shared and READ-ONLY (the storage replaces a document on write, it never mutates one).
 * - Otherwise (Dexie, or encrypted fields to decrypt) through the collection's storage instance,
 *   which decrypts (and copies) each document.
 *
 * The order is unspecified. Pair it with the collection's change events (subscribe before
 * calling) to keep a derived view current.
 */
export async function readAllRaw<T>(
  collection: RxCollection<T>,
  /** Deleted documents too (RxDB keeps them as tombstones). */
  o: { withDeleted?: boolean } = {},
): Promise<RxDocumentData<T>[]> {
  const wrapped = collection.storageInstance as unknown as AnyInstance;
  const inner = innermost(wrapped);
  const encrypted = collection.schema.jsonSchema.encrypted ?? [];
  const internals = inner.internals as { documents?: unknown } | undefined;
  if (encrypted.length === 0 && internals && internals.documents instanceof Map) {
    // Apply a write the memory storage queued for its idle time, then read its document map.
    inner.ensurePersistence?.();
    const out: RxDocumentData<T>[] = [];
    for (const d of (internals.documents as Map<string, RxDocumentData<T>>).values()) {
      if (o.withDeleted || !d._deleted) out.push(d);
    }
    return out;
  }
  if (o.withDeleted) return queryStorage(collection, {});
  const res = await collection.storageInstance.query(collection.find().getPreparedQuery());
  return res.documents;
}

/**
 * The documents of a collection matching `selector`, read from its storage (decrypted where the
 * collection encrypts), deleted ones included: RxDB's own queries leave tombstones out, a query of
 * the storage itself keeps them. Ordered by primary key.
 */
export async function queryStorage<T>(
  collection: RxCollection<T>,
  selector: Record<string, unknown>,
): Promise<RxDocumentData<T>[]> {
  const prepared = prepareQuery(collection.schema.jsonSchema, {
    selector,
    sort: [{ [collection.schema.primaryPath]: 'asc' }],
    skip: 0,
  } as never);
  const res = await collection.storageInstance.query(prepared);
  return res.documents;
}

/**
 * Drop documents of a collection below RxDB, without change events (see `ChunkedIdbInstance` in
 * `chunked-idb.ts`: memory, log and the documents' replication meta documents). Resolves with how
 * many were dropped, or null where the storage cannot (RxDB's Dexie storage: nothing is pruned
 * there, its documents just stay).
 */
export async function forgetRaw<T>(
  collection: RxCollection<T>,
  ids: readonly string[],
): Promise<number | null> {
  const inner = innermost(collection.storageInstance as unknown as AnyInstance) as AnyInstance &
    Partial<ChunkedIdbInstance>;
  if (typeof inner.forget !== 'function') return null;
  return inner.forget(ids);
}

import type {
  BulkWriteRow,
  RxDocumentData,
  RxStorage,
  RxStorageBulkWriteResponse,
  RxStorageInstance,
  RxStorageInstanceCreationParams,
} from 'rxdb';
import { ensureRxStorageInstanceParamsAreCorrect } from 'rxdb';
import {
  createMemoryStorageInstance,
  type MemoryStorageInternals,
  type RxStorageMemory,
} from 'rxdb/plugins/storage-memory';
import { RXDB_VERSION } from 'rxdb/plugins/utils';

/**
 * "Chunked IndexedDB" storage: the working set of every collection lives in RxDB's open-source
 * memory storage (indexes, queries, change stream), and every write is appended to IndexedDB as
 * ONE record holding all documents of that write, before the write resolves. Opening a
 * collection reads those records back (a few hundred large records instead of one record per
 * document), and a compaction rewrites them as chunks of `chunkSize` live documents when
 * superseded versions pile up.
 *
 * Why: on our machines IndexedDB writes ~4,400 records/s at best but ~120,000 documents/s when
 * records hold 2,000 documents each, so a first sync of 200,000 documents is bound by the record
 * count, not by the bytes.
 *
 * Guarantees:
 * - Durable before success: `bulkWrite` resolves only after the IndexedDB transaction holding
 *   its documents completed (durability `strict` for writes of at most `strictBelow` documents,
 *   i.e. user edits; `relaxed` for large replication batches, which the server still holds).
 * - Crash safety: each write is one atomic record and records are replayed in key order, so a
 *   crash leaves a prefix of the writes; replication checkpoints are documents of RxDB's own meta
 *   collection and go through the same log, so a first sync interrupted at any point reopens and
 *   resumes from its last stored checkpoint. Compaction replaces the log in one transaction.
 * - One writer: the in-memory copy is per JavaScript realm. Bulkhead opens a partition in one
 *   window only (Electron); a second tab on the same partition would not see the first one's
 *   writes until it reopens the partition.
 */
export type ChunkedIdbSettings = {
  /** Documents per record when compacting. */
  chunkSize?: number;
  /** Writes of at most this many documents use `strict` durability (fsync). */
  strictBelow?: number;
};

type Log = { db: IDBDatabase; records: number; docsInLog: number; compacting: boolean };
type Shared = {
  internals: MemoryStorageInternals<unknown>;
  log: Log;
  refCount: number;
};

const STORE = 'log';

/**
 * Makes every index of a memory state lazy: an index is built (one sort over the documents in the
 * state) the first time a query, count, changes-since or cleanup reads it, and kept up to date by
 * writes from then on. Until then writes skip it. An index nobody queries (for example `seq` of
 * balances, or the `_deleted`/`_meta.lwt` ones of a collection that is never pushed) is never
 * built, which saves its index strings (balance ids are padded to 200 characters in every index
 * string) and the sort at open.
 *
 * Consistent at any moment: an index is built from `documents`, which holds exactly the writes
 * already applied to the built indexes; writes still queued in the memory storage's persistence
 * task are applied to the documents and to every built index (now including this one) together.
 */
function makeIndexesLazy(internals: MemoryStorageInternals<unknown>, primaryPath: string): void {
  internals.byIndexArray = [];
  for (const byIndex of Object.values(internals.byIndex)) {
    let entries: typeof byIndex.docsWithIndex | null = null;
    Object.defineProperty(byIndex, 'docsWithIndex', {
      configurable: true,
      enumerable: true,
      get() {
        if (entries === null) {
          const built: typeof byIndex.docsWithIndex = [];
          for (const doc of internals.documents.values()) {
            built.push([
              byIndex.getIndexableString(doc),
              doc,
              (doc as unknown as Record<string, string>)[primaryPath] as string,
            ]);
          }
          built.sort((a, b) => (a[0] < b[0] ? -1 : 1));
          entries = built;
          internals.byIndexArray.push(byIndex);
        }
        return entries;
      },
      set(v: typeof byIndex.docsWithIndex) {
        entries = v;
      },
    });
  }
}

/** IndexedDB database name of one collection; `removeChunkedIdbDatabases` relies on the prefix. */
export function chunkedIdbName(databaseName: string, collectionName: string, version: number): string {
  return `bh-chunks-${databaseName}--${collectionName}--${version}`;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openIdb(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    req.result.createObjectStore(STORE, { autoIncrement: true });
  };
  return request(req);
}

function deleteIdb(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`could not delete ${name}`));
    // Blocked: another connection is still open; it is closed by now or will be, deletion proceeds.
    req.onblocked = () => undefined;
  });
}

/**
 * True when `idbName` is one collection's database of the RxDB database `databaseName`:
 * `bh-chunks-<databaseName>--<collection>--<version>`, where a collection name never holds `--`.
 * So the partition of tenant `acme` does not claim the databases of a tenant `acme--x`.
 */
export function isChunkedIdbOf(databaseName: string, idbName: string): boolean {
  const prefix = `bh-chunks-${databaseName}--`;
  return idbName.startsWith(prefix) && /^(?:[^-]|-(?!-))+--\d+$/.test(idbName.slice(prefix.length));
}

/** Delete every IndexedDB database of this storage that belongs to the RxDB database `databaseName`. */
export async function removeChunkedIdbDatabases(databaseName: string): Promise<void> {
  const all = await indexedDB.databases();
  await Promise.all(
    all
      .map((d) => d.name)
      .filter((n): n is string => typeof n === 'string' && isChunkedIdbOf(databaseName, n))
      .map(deleteIdb),
  );
}

/**
 * The storage. Pass it where `getRxStorageDexie()` goes today (under the key-encryption wrapper).
 */
export function getChunkedIdbStorage(settings: ChunkedIdbSettings = {}): RxStorage<unknown, unknown> {
  const chunkSize = settings.chunkSize ?? 2000;
  const strictBelow = settings.strictBelow ?? 50;
  const shared = new Map<string, Shared>();
  const opening = new Map<string, Promise<Shared>>();
  // The memory storage keeps states in this map; ours is private so closing frees the memory.
  const memory: RxStorageMemory = {
    name: 'memory',
    rxdbVersion: RXDB_VERSION,
    collectionStates: new Map(),
    createStorageInstance: () => Promise.reject(new Error('not used')),
  };

  const load = async (
    key: string,
    params: RxStorageInstanceCreationParams<unknown, unknown>,
  ): Promise<Shared> => {
    const db = await openIdb(
      chunkedIdbName(params.databaseName, params.collectionName, params.schema.version),
    );
    const rows = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll())) as string[];
    const recordCount = rows.length;
    const primary = params.schema.primaryKey;
    const primaryPath = typeof primary === 'string' ? primary : primary.key;
    memory.collectionStates.delete(key);
    const inst = await createMemoryStorageInstance(
      memory,
      params as RxStorageInstanceCreationParams<unknown, object>,
      {},
    );
    // Replay the log straight into the memory state (later records win), not through `bulkWrite`:
    // the log holds committed documents, so there is nothing to categorise or conflict-check,
    // nobody listens yet (no change event per document), no intermediate map, and the indexes are
    // built when first read (makeIndexesLazy). Each record is dropped once parsed.
    makeIndexesLazy(inst.internals, primaryPath);
    const documents = inst.internals.documents;
    let docsInLog = 0;
    for (let i = 0; i < rows.length; i++) {
      const docs = JSON.parse(rows[i] as string) as RxDocumentData<unknown>[];
      rows[i] = '';
      docsInLog += docs.length;
      for (const d of docs) documents.set((d as unknown as Record<string, string>)[primaryPath] as string, d);
    }
    // The `_meta.lwt` index is read by replication as soon as it starts (changes since its
    // checkpoint): build it now, while the app opens, rather than in the user's first interaction.
    for (const byIndex of Object.values(inst.internals.byIndex)) {
      if (byIndex.index[0] === '_meta.lwt') void byIndex.docsWithIndex.length;
    }
    const s: Shared = {
      internals: inst.internals,
      log: { db, records: recordCount, docsInLog, compacting: false },
      refCount: 0,
    };
    // The loader instance only filled the state (kept in `memory.collectionStates`, refCount 0);
    // the real instances share it. Closing the loader also unregisters it from RxDB's global set.
    await inst.close();
    return s;
  };

  /**
   * Rewrite the log as chunks of the live documents, in one transaction. `applyPending` first
   * applies the write the memory storage may still hold for its idle time (it updates
   * `documents` lazily): without it the snapshot would miss that write while `clear()` drops its
   * record — the last write before a compaction was lost on the next open.
   */
  const compact = async (s: Shared, applyPending: () => void): Promise<void> => {
    applyPending();
    const docs = [...s.internals.documents.values()];
    const tx = s.log.db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    store.clear();
    for (let i = 0; i < docs.length; i += chunkSize) store.put(JSON.stringify(docs.slice(i, i + chunkSize)));
    s.log.records = Math.ceil(docs.length / chunkSize);
    s.log.docsInLog = docs.length;
    return done(tx);
  };

  const maybeCompact = (s: Shared, applyPending: () => void) => {
    const live = s.internals.documents.size;
    const tooManyRecords = s.log.records > 64 && s.log.records > 2 * Math.ceil(live / chunkSize);
    const tooManyVersions = s.log.docsInLog > 2 * live + chunkSize;
    if (s.log.compacting || (!tooManyRecords && !tooManyVersions)) return;
    s.log.compacting = true;
    // Later writes queue behind this transaction in IndexedDB, so the snapshot stays consistent.
    void compact(s, applyPending)
      .catch((e: unknown) => console.warn('chunked-idb compaction failed', e))
      .finally(() => {
        s.log.compacting = false;
      });
  };

  const storage: RxStorage<unknown, unknown> = {
    name: 'bulkhead-chunked-idb',
    rxdbVersion: RXDB_VERSION,
    async createStorageInstance<RxDocType>(typedParams: RxStorageInstanceCreationParams<RxDocType, unknown>) {
      ensureRxStorageInstanceParamsAreCorrect(typedParams);
      const params = typedParams as unknown as RxStorageInstanceCreationParams<unknown, unknown>;
      const key = [params.databaseName, params.collectionName, params.schema.version].join('--memory--');
      let s = shared.get(key);
      if (!s) {
        let p = opening.get(key);
        if (!p) {
          p = load(key, params).finally(() => opening.delete(key));
          opening.set(key, p);
        }
        s = await p;
        shared.set(key, s);
      }
      const state = s;
      state.refCount += 1;
      const inst = await createMemoryStorageInstance(
        memory,
        params as RxStorageInstanceCreationParams<unknown, object>,
        {},
      );
      const memWrite = inst.bulkWrite.bind(inst);
      const memClose = inst.close.bind(inst);
      let closed = false;

      const release = async (drop: boolean) => {
        if (closed) return;
        closed = true;
        await memClose();
        state.refCount -= 1;
        if (state.refCount === 0 || drop) {
          shared.delete(key);
          memory.collectionStates.delete(key);
          state.log.db.close();
        }
      };

      const overrides: Pick<
        RxStorageInstance<unknown, unknown, unknown>,
        'bulkWrite' | 'close' | 'remove'
      > = {
        bulkWrite(
          rows: BulkWriteRow<unknown>[],
          context: string,
        ): Promise<RxStorageBulkWriteResponse<unknown>> {
          const result = memWrite(rows, context);
          const cat = inst.categorizedByWriteInput.get(rows);
          const docs: RxDocumentData<unknown>[] = [];
          if (cat) {
            for (const r of cat.bulkInsertDocs) docs.push(r.document);
            for (const r of cat.bulkUpdateDocs) docs.push(r.document);
          }
          if (docs.length === 0) return result;
          // Created synchronously, so records keep the order in which writes hit memory.
          const tx = state.log.db.transaction(STORE, 'readwrite', {
            durability: docs.length <= strictBelow ? 'strict' : 'relaxed',
          });
          tx.objectStore(STORE).put(JSON.stringify(docs));
          state.log.records += 1;
          state.log.docsInLog += docs.length;
          return done(tx).then(() => {
            maybeCompact(state, () => inst.ensurePersistence());
            return result;
          });
        },
        close: () => release(false),
        async remove() {
          const name = chunkedIdbName(params.databaseName, params.collectionName, params.schema.version);
          await release(true);
          await deleteIdb(name);
        },
      };
      return Object.assign(inst, overrides) as unknown as RxStorageInstance<RxDocType, unknown, unknown>;
    },
  };
  return storage;
}

import type {
  BulkWriteRow,
  RxDocumentData,
  RxStorage,
  RxStorageBulkWriteResponse,
  RxStorageInstance,
  RxStorageInstanceCreationParams,
} from 'rxdb';
import { ensureRxStorageInstanceParamsAreCorrect, getChangedDocumentsSinceQuery, prepareQuery } from 'rxdb';
import {
  createMemoryStorageInstance,
  type MemoryStorageInternals,
  type RxStorageMemory,
} from 'rxdb/plugins/storage-memory';
import { RXDB_VERSION } from 'rxdb/plugins/utils';
import { nextTask, runSliced, type Pass } from '../slices.js';
import { measureStep } from '../timing.js';

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
 * - Forgetting without events (issue #5, movement pruning): `forget(ids)` on an instance of this
 *   storage (see `ChunkedIdbInstance`) drops documents from the memory state without a change
 *   event, a revision or a replication push — RxDB never sees a deletion — together with their
 *   replication meta documents (`rx-replication-meta-*`: the master state RxDB keeps per pulled
 *   document; the checkpoint documents stay). It is durable as one "forget" record appended to each
 *   log (replayed at open, which leaves those documents out of memory) and a compaction no longer
 *   rewrites them. The documents are forgotten first and their meta documents only once that
 *   record committed, so an interrupted forget leaves logs that open with or without the
 *   documents, never a document without its meta document (which replication would push as new);
 *   meta documents left behind are forgotten by the next `forget`.
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

/**
 * What an instance of this storage offers beyond RxDB's interface (reach it under RxDB's wrappers
 * with `innermost` in `raw-read.ts`; the Dexie storage has none of it).
 */
export type ChunkedIdbInstance = {
  /**
   * Drop the documents `ids` (primary keys) of this collection, and their replication meta
   * documents, from memory and, by one record per log, from IndexedDB — without change events.
   * For documents the server holds and this PC no longer needs (synced, reflected, old): RxDB
   * must not see a local deletion, which replication would push. Resolves with the number of
   * this collection's documents forgotten, once the records committed. Call it while the
   * collection's replication runs: only meta collections open in this realm are cleaned (a meta
   * document left behind only takes room, nothing reads it; the next `forget` drops it).
   */
  forget(ids: readonly string[]): Promise<number>;
};

/** A log record: the documents of one write, or the primary keys `forget` dropped. */
type ForgetRecord = { forget: string[] };

type Log = { db: IDBDatabase; name: string; records: number; docsInLog: number; compacting: boolean };
type Checkpoint = { id: string; lwt: number };
type Shared = {
  /** The RxDB database and collection this state belongs to. */
  databaseName: string;
  collectionName: string;
  version: number;
  /** Top-level property names of the collection's schema, sorted (matches meta collections). */
  properties: string;
  internals: MemoryStorageInternals<unknown>;
  /**
   * Of a replication meta collection: the property names of the documents it keeps master states
   * of (RxDB copies the replicated schema's properties into `docData`); null for other collections.
   */
  metaOf: string | null;
  /** Applies the write the memory storage may still hold for its idle time (any open instance). */
  applyPending: (() => void) | null;
  log: Log;
  refCount: number;
  /** Writes applied to this state so far (any instance); invalidates `changed`. */
  writes: number;
  /**
   * The last scan of `getChangedDocumentsSince`: every document after `from`, sorted, as of
   * `writes` writes. Replication pages through it (checkpoint after checkpoint) without a rescan.
   */
  changed: { writes: number; from: Checkpoint; sorted: RxDocumentData<unknown>[] } | null;
};

const STORE = 'log';
/** RxDB's replication meta collections: `rx-replication-meta-<hash of collection and identifier>`. */
const META_PREFIX = 'rx-replication-meta-';

/** A schema's top-level property names, sorted and joined (how a meta collection is matched). */
function propertyNames(properties: object | undefined): string {
  return properties ? Object.keys(properties).sort().join(',') : '';
}

/**
 * Remove one document from a memory state: from `documents` and from every index built so far
 * (an index entry is found by its index string, which ends with the primary key: unique).
 */
function removeFromState(internals: MemoryStorageInternals<unknown>, id: string): void {
  const doc = internals.documents.get(id);
  if (!doc) return;
  internals.documents.delete(id);
  for (const byIndex of internals.byIndexArray) {
    const entries = byIndex.docsWithIndex;
    const key = byIndex.getIndexableString(doc);
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((entries[mid] as (typeof entries)[number])[0] < key) lo = mid + 1;
      else hi = mid;
    }
    const at = entries[lo];
    if (at && at[0] === key && at[2] === id) entries.splice(lo, 1);
  }
}

/**
 * Remove documents `ids` from a memory state. A few go one by one (`removeFromState`: a binary
 * search and a splice per built index); more are removed with one filter pass per built index, so
 * forgetting a backlog (a PC that held the whole ledger: hundreds of thousands of movements) is
 * linear, not a splice of the whole index per document.
 */
export function dropFromState(internals: MemoryStorageInternals<unknown>, ids: readonly string[]): void {
  if (ids.length <= 64) {
    for (const id of ids) removeFromState(internals, id);
    return;
  }
  const gone = new Set<string>();
  for (const id of ids) if (internals.documents.delete(id)) gone.add(id);
  for (const byIndex of internals.byIndexArray)
    byIndex.docsWithIndex = byIndex.docsWithIndex.filter((entry) => !gone.has(entry[2]));
}

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

/** Most documents `getChangedDocumentsSince` collects by scanning before it uses the index. */
const SCAN_LIMIT = 2000;

/** True when checkpoint `a` comes before `b` in (`_meta.lwt`, primary key) order. */
function before(a: Checkpoint, b: Checkpoint): boolean {
  return a.lwt < b.lwt || (a.lwt === b.lwt && a.id < b.id);
}

/** True once the (`_meta.lwt`, primary key) index of a state has been built (makeIndexesLazy). */
function lwtIndexBuilt(internals: MemoryStorageInternals<unknown>): boolean {
  return internals.byIndexArray.some((b) => b.index[0] === '_meta.lwt' && b.index.length === 2);
}

/** IndexedDB database name of one collection; `removeChunkedIdbDatabases` relies on the prefix. */
export function chunkedIdbName(databaseName: string, collectionName: string, version: number): string {
  return `bh-chunks-${databaseName}--${collectionName}--${version}`;
}

/** `req`'s result once it succeeded; `onSuccess` runs first (before `result` is read). */
function request<T>(req: IDBRequest<T>, onSuccess?: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      onSuccess?.();
      resolve(req.result);
    };
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

/**
 * Write generation of each collection's IndexedDB database in this realm: bumped synchronously
 * whenever a transaction that changes the log is created (a write, a compaction) and when the
 * database is deleted. A prefetched snapshot is used only when no such change happened after its
 * read began, so it is never older than the log.
 */
const generations = new Map<string, number>();
const generation = (name: string) => generations.get(name) ?? 0;
const bump = (name: string) => generations.set(name, generation(name) + 1);

/**
 * A collection's log as read and parsed: its live state (later records win), keyed by the
 * primary key `key`, plus the record and document counts that drive compaction.
 */
type ParsedLog = {
  key: string;
  documents: Map<string, RxDocumentData<unknown>>;
  records: number;
  docsInLog: number;
};
type Prefetched = ParsedLog & { generation: number };

/** Reads started by `prefetchChunkedIdb`, per collection database; taken by the first open. */
const prefetched = new Map<string, Promise<Prefetched | null>>();
/** The primary key a prefetch assumes; a collection keyed otherwise re-keys the read at open. */
const PREFETCH_KEY = 'id';
/** `prefetchChunkedIdb` runs per RxDB database, until it has registered its collections' reads. */
const listing = new Map<string, Promise<void>>();
/** Collection databases loaded in this realm right now: a prefetch skips them (never used). */
const loaded = new Set<string>();

/** A step of opening a log, measured as `bulkhead:<what> <collection>` (data/timing.ts). */
function measure(what: string, idbName: string, start: number, detail?: Record<string, number>): void {
  const collection = /--([^-]+(?:-[^-]+)*)--\d+$/.exec(idbName)?.[1] ?? idbName;
  measureStep(`${what} ${collection}`, start, detail);
}

/** The longest a prefetch of replication's logs waits for an idle window (ms). */
const IDLE_WAIT_MS = 500;

/** Resolves when the window is idle (`requestIdleCallback`), at the latest after `timeoutMs`. */
function idle(timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function')
      requestIdleCallback(() => resolve(), { timeout: timeoutMs });
    else setTimeout(resolve, 0);
  });
}

/** Every record of a log, oldest first, read in one transaction. */
async function readRows(db: IDBDatabase): Promise<string[]> {
  const start = performance.now();
  let got = start;
  const rows = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll(), () => {
    got = performance.now();
    measure('idb-read', db.name, start);
  })) as string[];
  // Reading `result` turned the records into strings on this thread: measured apart.
  measure('idb-result', db.name, got, { records: rows.length });
  return rows;
}

/** Longest stretch a log's parse holds the main thread before it lets other tasks run (ms). */
const PARSE_SLICE_MS = 30;

/**
 * Replay a log's records into a map by primary key `key`; each record string is dropped once
 * parsed. Runs in slices of `PARSE_SLICE_MS` (data/slices.ts): a prefetch shares the main thread
 * with the sign-in it runs beside, and an open during work (replication's logs, as big as the
 * items, open after the first screen) must not freeze the window.
 */
async function parseRows(rows: string[], key: string, idbName = ''): Promise<ParsedLog> {
  const start = performance.now();
  // The parse's own time: between its slices other tasks run.
  let busy = 0;
  let resumed = start;
  const documents = new Map<string, RxDocumentData<unknown>>();
  let docsInLog = 0;
  function* replay(): Pass<void> {
    for (let i = 0; i < rows.length; i++) {
      const parsed = JSON.parse(rows[i] as string) as RxDocumentData<unknown>[] | ForgetRecord;
      rows[i] = '';
      if (!Array.isArray(parsed)) {
        // A `forget` record: the documents it names leave the state (a later write may bring one back).
        docsInLog += parsed.forget.length;
        for (const id of parsed.forget) documents.delete(id);
      } else {
        docsInLog += parsed.length;
        for (const d of parsed) documents.set((d as unknown as Record<string, string>)[key] as string, d);
      }
      yield;
    }
  }
  await runSliced(replay(), {
    budgetMs: PARSE_SLICE_MS,
    pause: async () => {
      busy += performance.now() - resumed;
      await nextTask();
      resumed = performance.now();
    },
  });
  busy += performance.now() - resumed;
  if (idbName) measure('parse', idbName, start, { documents: documents.size, busy: Math.round(busy) });
  return { key, documents, records: rows.length, docsInLog };
}

/**
 * Start reading and parsing the logs of every collection of the RxDB database `databaseName`
 * that exists in IndexedDB, so that opening it later (`createStorageInstance`) finds them parsed.
 * For the app's sign-in: the partition is read while the password is being verified. Nothing is
 * decrypted (encrypted fields stay encrypted until read through the key-encryption wrapper), and
 * nothing is written. A read is used only by the first open of its collection and only when the
 * log did not change after the read began; it is dropped unused after `keepMs` or when its
 * database is deleted. Failures are silent: the open then reads the log itself.
 */
export function prefetchChunkedIdb(databaseName: string, keepMs = 60_000): Promise<void> {
  const pending = listing.get(databaseName);
  if (pending) return pending; // a prefetch of this database is listing already
  const reads: Promise<unknown>[] = [];
  const run = (async () => {
    const all = await indexedDB.databases();
    // The collections' records are requested at once (IndexedDB reads them off the main thread)
    // and parsed one log at a time; replication's own (`rx-replication-meta-*`, as big as the
    // items) come after them: the screens need the collections first, replication starts after
    // the open.
    const names = all
      .map((d) => d.name)
      .filter((n): n is string => typeof n === 'string' && isChunkedIdbOf(databaseName, n))
      .filter((n) => !prefetched.has(n) && !loaded.has(n))
      .sort(
        (a, b) => Number(a.includes('--rx-replication-meta-')) - Number(b.includes('--rx-replication-meta-')),
      );
    let parsing: Promise<unknown> = Promise.resolve();
    // Replication's logs are requested only once the collections are parsed and the window went
    // idle (the first screen drawn): read during the collections' parse they took the disk and,
    // turned into strings on this thread, half of its time (100k-item tenant: ~500 ms of 1.6 s).
    let afterCollections: Promise<unknown> | null = null;
    for (const name of names) {
      const at = generation(name);
      const isMeta = name.includes('--rx-replication-meta-');
      if (isMeta && !afterCollections) afterCollections = parsing.then(() => idle(IDLE_WAIT_MS));
      const rows = ((isMeta && afterCollections) || Promise.resolve()).then(async () => {
        const db = await openIdb(name);
        try {
          return await readRows(db);
        } finally {
          db.close();
        }
      });
      rows.catch(() => undefined); // a failed read is answered below, once its turn comes
      // Every Bulkhead collection (and RxDB's own) is keyed by `id`; an open checks it.
      const read: Promise<Prefetched | null> = parsing
        .then(() => rows)
        .then((r) => parseRows(r, PREFETCH_KEY, name))
        .then((log) => ({ ...log, generation: at }))
        .catch(() => null);
      parsing = read;
      prefetched.set(name, read);
      reads.push(read);
      setTimeout(() => {
        if (prefetched.get(name) === read) prefetched.delete(name);
      }, keepMs);
    }
  })()
    .catch(() => undefined)
    .finally(() => listing.delete(databaseName));
  listing.set(databaseName, run);
  // Resolves when every read is done (opens need only the listing: they wait for their own read).
  return run.then(() => Promise.all(reads)).then(() => undefined);
}

/** The prefetched log of one collection database, if one was read and is still current. */
async function takePrefetched(databaseName: string, name: string): Promise<ParsedLog | null> {
  await listing.get(databaseName);
  const read = prefetched.get(name);
  if (!read) return null;
  prefetched.delete(name);
  const log = await read;
  return log && log.generation === generation(name) ? log : null;
}

function openIdb(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    req.result.createObjectStore(STORE, { autoIncrement: true });
  };
  return request(req);
}

function deleteIdb(name: string): Promise<void> {
  bump(name);
  prefetched.delete(name);
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
    const name = chunkedIdbName(params.databaseName, params.collectionName, params.schema.version);
    const primary = params.schema.primaryKey;
    const primaryPath = typeof primary === 'string' ? primary : primary.key;
    loaded.add(name);
    let db: IDBDatabase | null = null;
    let log: ParsedLog;
    try {
      db = await openIdb(name);
      // Parsed already when the app prefetched the partition during sign-in; else read it now.
      // A read keyed otherwise than this collection is read again (`forget` records name keys).
      const early = await takePrefetched(params.databaseName, name);
      log = early?.key === primaryPath ? early : await parseRows(await readRows(db), primaryPath, name);
    } catch (e) {
      loaded.delete(name);
      db?.close();
      throw e;
    }
    memory.collectionStates.delete(key);
    const inst = await createMemoryStorageInstance(
      memory,
      params as RxStorageInstanceCreationParams<unknown, object>,
      {},
    );
    // The log replayed (later records win) straight into the memory state, not through
    // `bulkWrite`: the log holds committed documents, so there is nothing to categorise or
    // conflict-check, nobody listens yet (no change event per document), and the indexes are built
    // when first read (makeIndexesLazy). The `_meta.lwt` index that replication reads is not built
    // here either: `getChangedDocumentsSince` scans instead while few documents changed.
    makeIndexesLazy(inst.internals, primaryPath);
    inst.internals.documents = log.documents;
    const properties = params.schema.properties as Record<string, { properties?: object }>;
    const s: Shared = {
      databaseName: params.databaseName,
      collectionName: params.collectionName,
      version: params.schema.version,
      properties: propertyNames(properties),
      metaOf: params.collectionName.startsWith(META_PREFIX)
        ? propertyNames(properties['docData']?.properties)
        : null,
      internals: inst.internals,
      applyPending: null,
      log: { db, name, records: log.records, docsInLog: log.docsInLog, compacting: false },
      refCount: 0,
      writes: 0,
      changed: null,
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
    bump(s.log.name);
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

  /**
   * Forget the documents `ids` of one state: a `forget` record appended to its log (created
   * synchronously, as a write's: records keep the order of the memory changes), the documents
   * dropped from memory at once, without a change event. Resolves with how many were held, once
   * the record committed (`strict`: the meta documents are forgotten only after it is on disk).
   */
  const forgetIn = async (s: Shared, ids: readonly string[]): Promise<number> => {
    s.applyPending?.();
    const held = ids.filter((id) => s.internals.documents.has(id));
    if (held.length === 0) return 0;
    const tx = s.log.db.transaction(STORE, 'readwrite', { durability: 'strict' });
    bump(s.log.name);
    tx.objectStore(STORE).put(JSON.stringify({ forget: held } satisfies ForgetRecord));
    s.log.records += 1;
    s.log.docsInLog += held.length;
    dropFromState(s.internals, held);
    s.writes += 1;
    s.changed = null;
    await done(tx);
    // The forgotten documents still take room in older records until the next compaction.
    maybeCompact(s, () => s.applyPending?.());
    return held.length;
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
      // Any instance applies the state's pending write (it reads the shared internals only).
      state.applyPending ??= () => inst.ensurePersistence();
      const idOf = (d: RxDocumentData<unknown>) =>
        (d as unknown as Record<string, string>)[inst.primaryPath] as string;
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
          loaded.delete(state.log.name);
          state.log.db.close();
        }
      };

      const overrides: Pick<
        RxStorageInstance<unknown, unknown, unknown>,
        'bulkWrite' | 'close' | 'remove' | 'getChangedDocumentsSince'
      > &
        ChunkedIdbInstance = {
        async forget(ids: readonly string[]): Promise<number> {
          if (closed) throw new Error('chunked-idb: forget on a closed instance');
          // The documents first: once their record committed, replication's push side can never
          // find one of them without its meta document (it would push it as new).
          const forgotten = await forgetIn(state, ids);
          // Then, in every open meta collection of this collection (same database, schema version
          // and document properties), the meta documents (`<id>|0`; checkpoints are `up|1` and
          // `down|1`) of documents this collection no longer holds: these, and any an earlier
          // forget left behind when the page died in between. RxDB writes a pulled document before
          // its meta document and never drops a document (a deletion is kept; Bulkhead adds no
          // cleanup plugin), so no other meta document is without its document.
          inst.ensurePersistence();
          const documents = state.internals.documents;
          const metas = [...shared.values()].filter(
            (m) =>
              m.metaOf === state.properties &&
              m.databaseName === state.databaseName &&
              m.version === state.version,
          );
          await Promise.all(
            metas.map((m) => {
              m.applyPending?.();
              const orphans: string[] = [];
              for (const [mid, d] of m.internals.documents) {
                const meta = d as unknown as Record<string, unknown>;
                if (meta['isCheckpoint'] === '0' && !documents.has(String(meta['itemId']))) orphans.push(mid);
              }
              return forgetIn(m, orphans);
            }),
          );
          return forgotten;
        },
        /**
         * Replication's "what changed since the checkpoint": a scan of the documents while the
         * `_meta.lwt` index is not built and few documents qualify (after a completed sync, none or
         * a few local edits), instead of building that index (one sort of every document) at open.
         * Past `SCAN_LIMIT` qualifying documents it answers from the index, built once and then
         * kept up to date. A scan is kept until the next write, so paging through it costs one
         * binary search per page. Same answer either way: documents after the checkpoint in
         * (`_meta.lwt`, primary key) order, at most `limit`, and the checkpoint of the last one.
         */
        async getChangedDocumentsSince(limit: number, checkpoint?: Checkpoint) {
          inst.ensurePersistence();
          const since = checkpoint ?? { id: '', lwt: 0 };
          const after = (d: RxDocumentData<unknown>, c: Checkpoint) =>
            d._meta.lwt > c.lwt || (d._meta.lwt === c.lwt && idOf(d) > c.id);
          let sorted: RxDocumentData<unknown>[] | null = null;
          const cached = state.changed;
          if (cached && cached.writes === state.writes && !before(since, cached.from)) {
            sorted = cached.sorted;
          } else if (!lwtIndexBuilt(state.internals)) {
            const found: RxDocumentData<unknown>[] = [];
            for (const d of state.internals.documents.values()) {
              if (after(d, since) && found.push(d) > SCAN_LIMIT) break;
            }
            if (found.length <= SCAN_LIMIT) {
              found.sort((a, b) => a._meta.lwt - b._meta.lwt || (idOf(a) < idOf(b) ? -1 : 1));
              state.changed = { writes: state.writes, from: since, sorted: found };
              sorted = found;
            }
          }
          let documents: RxDocumentData<unknown>[];
          if (sorted) {
            // First document after the checkpoint (binary search), then at most `limit`.
            let lo = 0;
            let hi = sorted.length;
            while (lo < hi) {
              const mid = (lo + hi) >>> 1;
              if (after(sorted[mid] as RxDocumentData<unknown>, since)) hi = mid;
              else lo = mid + 1;
            }
            documents = sorted.slice(lo, lo + limit);
          } else {
            state.changed = null;
            const query = getChangedDocumentsSinceQuery(inst, limit, checkpoint);
            documents = (await inst.query(prepareQuery(inst.schema, query))).documents;
          }
          const last = documents[documents.length - 1];
          return {
            documents,
            checkpoint: last ? { id: idOf(last), lwt: last._meta.lwt } : (checkpoint ?? { id: '', lwt: 0 }),
          };
        },
        bulkWrite(
          rows: BulkWriteRow<unknown>[],
          context: string,
        ): Promise<RxStorageBulkWriteResponse<unknown>> {
          state.writes += 1;
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
          bump(state.log.name);
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

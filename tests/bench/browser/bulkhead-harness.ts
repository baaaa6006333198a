/**
 * Benchmark harness page for Bulkhead's own data layer, bundled by esbuild and served by the test
 * server (same origin as the API). It uses the real renderer modules: `ApiClient` (api.ts),
 * `openTenantDatabase`/`removeTenantDatabase` (database.ts: key-encryption wrapper, schemas,
 * conflict handlers, the storage chosen with `selectStorage`) and `startTenantSync`
 * (tenant-sync.ts). One storage per page load: `selectStorage` refuses a second one.
 */
import type { Role } from '../../../shared/access/policy.js';
import type { MovementDoc } from '../../../shared/domain/schemas.js';
import { ApiClient } from '../../../renderer/data/api.js';
import { localDataKey } from '../../../renderer/data/offline-auth.js';
import { getChangedDocumentsSinceQuery, prepareQuery, type RxStorageInstance } from 'rxdb';
import {
  openTenantDatabase,
  partitionName,
  rememberSignInPartition,
  removeTenantDatabase,
  selectStorage,
  type StorageKind,
  type TenantDatabase,
} from '../../../renderer/data/database.js';
import { chunkedIdbName, prefetchChunkedIdb } from '../../../renderer/data/storage/chunked-idb.js';
import { startTenantSync, type TenantSync } from '../../../renderer/data/tenant-sync.js';
import { recordMovement as writeMovement } from '../../../renderer/data/writes.js';
import { useAcks } from '../../../renderer/data/acks.js';
import { balanceBase } from '../../../renderer/data/balance-base.js';
import { pruneMovements } from '../../../renderer/data/prune.js';
import { readAllRaw } from '../../../renderer/data/storage/raw-read.js';
import { LiveInventory } from '../../../renderer/features/inventory/live.js';

export type { StorageKind };

type BenchDb = TenantDatabase;

async function openDb(kind: StorageKind, userId: string, tenantId: string, role: Role): Promise<BenchDb> {
  selectStorage(kind);
  // The key the app derives at sign-in, so the real app opens this partition as it is.
  return openTenantDatabase(userId, tenantId, role, await localDataKey(userId, 'demo1234'));
}

/** Remove a partition as the app does (access lost, wipe): `removeTenantDatabase`. */
async function remove(kind: StorageKind, userId: string, tenantId: string): Promise<void> {
  selectStorage(kind);
  await removeTenantDatabase(userId, tenantId, await localDataKey(userId, 'demo1234'));
}

/** Names of this origin's IndexedDB databases. */
async function idbNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n !== '');
}

type Session = { api: ApiClient; userId: string; role: Role; tenantId: string; policyVersion: number };

async function signIn(username: string, tenantId: string): Promise<Session> {
  let token: string | null = null;
  const api = new ApiClient(location.origin, {
    accessToken: () => token,
    refresh: () => Promise.resolve(null),
  });
  const res = await api.login(username, 'demo1234', `bench-${username}`);
  token = res.accessToken;
  const m = res.memberships.find((x) => x.tenantId === tenantId);
  if (!m) throw new Error(`${username} is no member of ${tenantId}`);
  return { api, userId: res.user.id, role: m.role, tenantId, policyVersion: m.policyVersion };
}

let open: { db: BenchDb; sync: TenantSync | null; session: Session; kind: StorageKind } | null = null;

const noStatus = {
  setOnline: () => undefined,
  setActive: () => undefined,
  markSynced: () => undefined,
  setError: (e: string | null) => {
    if (e) console.warn('sync error', e);
  },
  setProgress: () => undefined,
};

/** Sign in, open the partition and start replication; resolves when the first sync finished. */
async function start(
  kind: StorageKind,
  username: string,
  tenantId: string,
): Promise<{ ms: number; counts: Record<string, number> }> {
  const session = await signIn(username, tenantId);
  const t0 = performance.now();
  const db = await openDb(kind, session.userId, tenantId, session.role);
  const sync = startTenantSync({
    db: db,
    api: session.api,
    serverUrl: location.origin,
    userId: session.userId,
    tenantId,
    policyVersion: session.policyVersion,
    status: noStatus,
    onForbidden: () => console.warn('forbidden'),
    onUnauthenticated: () => console.warn('unauthenticated'),
    onPolicyChanged: () => undefined,
  });
  open = { db, sync, session, kind };
  await sync.initialSync;
  const ms = performance.now() - t0;
  // As the app's sign-in does once it opened this partition: the next sign-in reads it early.
  rememberSignInPartition(username, session.userId, tenantId);
  return { ms, counts: await counts() };
}

async function counts(): Promise<Record<string, number>> {
  if (!open) throw new Error('nothing open');
  const db = open.db;
  return {
    items: await db.items.count().exec(),
    balances: await db.balances.count().exec(),
    movements: await db.movements.count().exec(),
  };
}

/** Open the partition without syncing (as after a restart) and read the whole inventory. */
async function reopenAndRead(
  kind: StorageKind,
  username: string,
  tenantId: string,
): Promise<{ openMs: number; readMs: number; items: number }> {
  const session = await signIn(username, tenantId);
  const t0 = performance.now();
  const db = await openDb(kind, session.userId, tenantId, session.role);
  const t1 = performance.now();
  const items = await db.items.find({ sort: [{ sku: 'asc' }] }).exec();
  await db.balances.find().exec();
  const t2 = performance.now();
  open = { db, sync: null, session, kind };
  return { openMs: t1 - t0, readMs: t2 - t1, items: items.length };
}

/** Open a partition with no server contact and no replication (offline, after a restart). */
async function openLocal(kind: StorageKind, userId: string, tenantId: string, role: Role): Promise<void> {
  const db = await openDb(kind, userId, tenantId, role);
  const api = new ApiClient(location.origin, {
    accessToken: () => null,
    refresh: () => Promise.resolve(null),
  });
  open = { db, sync: null, session: { api, userId, role, tenantId, policyVersion: 1 }, kind };
}

/** Read a partition ahead of its open, as the app's sign-in does; resolves when it is read. */
function prefetch(userId: string, tenantId: string): Promise<void> {
  return prefetchChunkedIdb(partitionName(userId, tenantId));
}

/**
 * Empty one collection's chunked log in IndexedDB directly, behind the storage's back (no open
 * storage notices): an open that still finds the documents took them from a prefetched read.
 */
async function clearLogBehindStorage(userId: string, tenantId: string, collection: string): Promise<void> {
  // Any schema version: `bh-chunks-<partition>--<collection>--<version>`.
  const prefix = chunkedIdbName(partitionName(userId, tenantId), collection, 0).replace(/\d+$/, '');
  const all = await indexedDB.databases();
  const match = all.find((d) => d.name?.startsWith(prefix))?.name;
  if (!match) throw new Error(`no chunked log for ${collection}`);
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(match);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('open failed'));
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('log', 'readwrite');
    tx.objectStore('log').clear();
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('clear failed'));
  });
  db.close();
}

type Checkpoint = { id: string; lwt: number };
type Changed = { ids: string[]; checkpoint: Checkpoint };

/**
 * Replication's "changed since" of the open partition's `collection`, as the storage answers it
 * and as RxDB's indexed query answers it, for `limit` and a checkpoint at each of `positions` in
 * the full (`_meta.lwt`, id) order (-1: no checkpoint). The storage is asked first for every
 * checkpoint (the query builds the index, after which the storage answers from it too).
 */
async function changedSince(
  collection: 'items' | 'movements',
  limit: number,
  positions: number[],
): Promise<{ storage: Changed[]; query: Changed[] }> {
  if (!open) throw new Error('nothing open');
  const instance = open.db[collection].storageInstance as unknown as RxStorageInstance<
    { id: string },
    unknown,
    unknown,
    Checkpoint
  >;
  const viaQuery = async (cp: Checkpoint | undefined, n: number): Promise<Changed> => {
    const q = prepareQuery(instance.schema, getChangedDocumentsSinceQuery(instance, n, cp));
    const docs = (await instance.query(q)).documents;
    const last = docs[docs.length - 1];
    return {
      ids: docs.map((d) => d.id),
      checkpoint: last ? { id: last.id, lwt: last._meta.lwt } : (cp ?? { id: '', lwt: 0 }),
    };
  };
  const all = await open.db[collection].count().exec();
  // The checkpoints come from the full order, read without the index: sort the documents here.
  const docs = (
    await instance.query(prepareQuery(instance.schema, { selector: {}, skip: 0, sort: [{ id: 'asc' }] }))
  ).documents;
  const order = [...docs].sort((a, b) => a._meta.lwt - b._meta.lwt || (a.id < b.id ? -1 : 1));
  if (order.length !== all) throw new Error(`order holds ${order.length} of ${all}`);
  const cps = positions.map((p) => {
    const d = p < 0 ? undefined : order[p];
    return d ? { id: d.id, lwt: d._meta.lwt } : undefined;
  });
  if (!instance.getChangedDocumentsSince) throw new Error('the storage has no getChangedDocumentsSince');
  const call = (n: number, c: Checkpoint | undefined) => instance.getChangedDocumentsSince!(n, c);
  const storage: Changed[] = [];
  for (const cp of cps) {
    const r = await call(limit, cp);
    storage.push({ ids: r.documents.map((d) => d.id), checkpoint: r.checkpoint });
  }
  const query: Changed[] = [];
  for (const cp of cps) query.push(await viaQuery(cp, limit));
  return { storage, query };
}

/**
 * Page through the open partition's `collection` with the storage's changed-since, as replication
 * does (each call from the last returned checkpoint), starting after position `position` of the
 * (`_meta.lwt`, id) order (-1: no checkpoint); `writeBetween`: one movement is recorded after the
 * first page. Returns the paged ids and the order's ids after `position` once paging ended.
 */
async function changedPages(
  collection: 'items' | 'movements',
  limit: number,
  position: number,
  writeBetween: boolean,
): Promise<{ paged: string[]; expected: string[] }> {
  if (!open) throw new Error('nothing open');
  const instance = open.db[collection].storageInstance as unknown as RxStorageInstance<
    { id: string },
    unknown,
    unknown,
    Checkpoint
  >;
  const ordered = async () => {
    const q = prepareQuery(instance.schema, { selector: {}, skip: 0, sort: [{ id: 'asc' }] });
    const docs = (await instance.query(q)).documents;
    return docs.sort((a, b) => a._meta.lwt - b._meta.lwt || (a.id < b.id ? -1 : 1));
  };
  const start = position < 0 ? undefined : (await ordered())[position];
  let cp: Checkpoint | undefined = start ? { id: start.id, lwt: start._meta.lwt } : undefined;
  if (!instance.getChangedDocumentsSince) throw new Error('the storage has no getChangedDocumentsSince');
  const call = (n: number, c: Checkpoint | undefined) => instance.getChangedDocumentsSince!(n, c);
  const paged: string[] = [];
  for (let page = 0; page < 10_000; page++) {
    const r = await call(limit, cp);
    if (r.documents.length === 0) break;
    paged.push(...r.documents.map((d) => d.id));
    cp = r.checkpoint;
    if (page === 0 && writeBetween) await localWrites(1);
  }
  const all = await ordered();
  return { paged, expected: all.slice(position + 1).map((d) => d.id) };
}

async function stop(): Promise<void> {
  if (!open) return;
  await open.sync?.stop();
  await open.db.close();
  open = null;
}

function movement(itemId: string): MovementDoc {
  if (!open) throw new Error('nothing open');
  return {
    id: crypto.randomUUID(),
    tenantId: open.session.tenantId,
    itemId,
    type: 'receipt',
    quantity: 1,
    fromLocationId: null,
    toLocationId: 'RCV-01',
    batch: null,
    note: 'bench',
    createdAt: new Date().toISOString(),
    createdBy: open.session.userId,
    deviceId: 'bench',
    seq: 0,
  };
}

async function anyItemId(): Promise<string> {
  if (!open) throw new Error('nothing open');
  const one = await open.db.items.findOne().exec();
  if (!one) throw new Error('no items');
  return one.id;
}

/**
 * Local write as the app does it (`writes.ts`): the movement and its audit entry in one document
 * write, awaited (the storage resolves only when IndexedDB committed). One duration per write, ms.
 */
async function localWrites(n: number): Promise<number[]> {
  if (!open) throw new Error('nothing open');
  const db = open.db;
  const actor = { userId: open.session.userId, deviceId: 'bench' };
  const itemId = await anyItemId();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = movement(itemId);
    const t0 = performance.now();
    await writeMovement(db, actor, m);
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return out;
}

/**
 * `n` movements inserted at once, not awaited one by one (a scanner burst): the storage sees writes
 * back to back, so a compaction of the chunked log starts while the last write is still pending
 * in memory. Resolves when all are stored.
 */
async function burst(n: number): Promise<void> {
  if (!open) throw new Error('nothing open');
  const db = open.db;
  const itemId = await anyItemId();
  await Promise.all(Array.from({ length: n }, () => db.movements.insert(movement(itemId))));
}

/** Record one movement; returns its id and the wall-clock instant (ms since epoch) of the call. */
async function recordMovement(): Promise<{ id: string; at: number }> {
  if (!open) throw new Error('nothing open');
  const m = movement(await anyItemId());
  const at = performance.timeOrigin + performance.now();
  await writeMovement(open.db, { userId: open.session.userId, deviceId: 'bench' }, m);
  return { id: m.id, at };
}

const seen = new Map<string, number>();
/** Start noting the arrival instant of every movement that reaches this client. */
function watchMovements(): void {
  if (!open) throw new Error('nothing open');
  open.db.movements.$.subscribe((ev) => {
    const id = ev.documentId;
    if (!seen.has(id)) seen.set(id, performance.timeOrigin + performance.now());
  });
}

async function arrivalOf(id: string, timeoutMs: number): Promise<number | null> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const at = seen.get(id);
    if (at !== undefined) return at;
    await new Promise((r) => setTimeout(r, 2));
  }
  return null;
}

/**
 * The raw IndexedDB floor: `n` documents written one record per document (the shape of a
 * per-document storage), in transactions of `perTx` puts; and the same documents packed
 * `perRecord` to a record. Documents look like synced items.
 */
async function rawIdb(
  n: number,
  perTx: number,
  perRecord: number,
): Promise<{ oneMs: number; packedMs: number }> {
  const docs = Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    tenantId: 'acme',
    sku: `ACME-${String(i).padStart(6, '0')}`,
    name: `Acme Widget ${i}`,
    barcode: String(2010000000000 + i),
    uom: 'pcs',
    updatedAt: new Date().toISOString(),
    seq: i + 1,
    _meta: { lwt: Date.now() },
    _rev: '1-bench',
    _deleted: false,
    _attachments: {},
  }));
  const openDb = (name: string, keyPath: string | null) =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        if (keyPath) req.result.createObjectStore('docs', { keyPath });
        else req.result.createObjectStore('docs', { autoIncrement: true });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('open failed'));
    });
  const commit = (tx: IDBTransaction) =>
    new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('tx failed'));
    });
  const suffix = Math.random().toString(36).slice(2);
  const one = await openDb(`bench-raw-one-${suffix}`, 'id');
  let t0 = performance.now();
  for (let i = 0; i < n; i += perTx) {
    const tx = one.transaction('docs', 'readwrite');
    const store = tx.objectStore('docs');
    for (const d of docs.slice(i, i + perTx)) store.put(d);
    await commit(tx);
  }
  const oneMs = performance.now() - t0;
  one.close();
  const packed = await openDb(`bench-raw-packed-${suffix}`, null);
  t0 = performance.now();
  for (let i = 0; i < n; i += perRecord) {
    const tx = packed.transaction('docs', 'readwrite');
    tx.objectStore('docs').put(JSON.stringify(docs.slice(i, i + perRecord)));
    await commit(tx);
  }
  const packedMs = performance.now() - t0;
  packed.close();
  indexedDB.deleteDatabase(`bench-raw-one-${suffix}`);
  indexedDB.deleteDatabase(`bench-raw-packed-${suffix}`);
  return { oneMs, packedMs };
}

/** On-hand per item of the open partition as the inventory grid derives it (`LiveInventory`). */
async function onHand(): Promise<Record<string, { onHand: number; includesPending: boolean }>> {
  if (!open) throw new Error('nothing open');
  const db = open.db;
  const live = new LiveInventory(() => balanceBase(db.name));
  live.setAcks(useAcks.getState().seqs);
  const [items, balances, movements] = await Promise.all([
    readAllRaw(db.items),
    readAllRaw(db.balances),
    readAllRaw(db.movements),
  ]);
  live.applyBalances(balances);
  live.applyItems(items);
  live.applyMovements(movements);
  const out: Record<string, { onHand: number; includesPending: boolean }> = {};
  for (const r of live.rows()) out[r.id] = { onHand: r.onHand, includesPending: r.includesPending };
  return out;
}

/** Ids of the movements the open partition holds (its storage's state, not a cached query). */
async function movementIds(): Promise<string[]> {
  if (!open) throw new Error('nothing open');
  return (await readAllRaw(open.db.movements)).map((m) => m.id).sort();
}

/** Record a movement (as the app does) created `daysAgo` days ago by this PC's clock; its id. */
async function recordOldMovement(daysAgo: number): Promise<string> {
  if (!open) throw new Error('nothing open');
  const m = {
    ...movement(await anyItemId()),
    createdAt: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
  };
  await writeMovement(open.db, { userId: open.session.userId, deviceId: 'bench' }, m);
  return m.id;
}

/**
 * Prune the open partition's movements as the app does (`pruneMovements`), noting every change
 * event the collection and its storage instance emit meanwhile for the pruned documents.
 */
async function prune(): Promise<{ pruned: string[]; events: string[] }> {
  if (!open) throw new Error('nothing open');
  const db = open.db;
  const seen: string[] = [];
  const subs = [
    db.movements.$.subscribe((ev) => seen.push(ev.documentId)),
    db.movements.storageInstance.changeStream().subscribe((bulk) => {
      for (const e of bulk.events) seen.push(e.documentId);
    }),
  ];
  try {
    const pruned = await pruneMovements(db);
    return { pruned: pruned.sort(), events: seen.filter((id) => pruned.includes(id)) };
  } finally {
    for (const s of subs) s.unsubscribe();
  }
}

/**
 * The chunked logs in IndexedDB of the open partition's collections whose name starts with
 * `prefix` (`rx-replication-meta-` for replication's meta collections), read directly: per log its
 * record count, the `forget` records, the primary keys written in any record (still taking room)
 * and those of the documents live (not deleted) once the log is replayed (as an open replays it).
 */
async function chunkedLogs(
  prefix: string,
): Promise<{ name: string; records: number; forgetRecords: number; written: string[]; live: string[] }[]> {
  if (!open) throw new Error('nothing open');
  const base = chunkedIdbName(partitionName(open.session.userId, open.session.tenantId), prefix, 0).replace(
    /--0$/,
    '',
  );
  const names = (await idbNames()).filter((n) => n.startsWith(base)).sort();
  const out = [];
  for (const name of names) {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('open failed'));
    });
    const rows = await new Promise<string[]>((resolve, reject) => {
      const req = db.transaction('log', 'readonly').objectStore('log').getAll();
      req.onsuccess = () => resolve(req.result as string[]);
      req.onerror = () => reject(req.error ?? new Error('read failed'));
    });
    db.close();
    const written = new Set<string>();
    const live = new Set<string>();
    let forgetRecords = 0;
    for (const row of rows) {
      const r = JSON.parse(row) as { id: string; _deleted?: boolean }[] | { forget: string[] };
      if (Array.isArray(r)) {
        for (const d of r) {
          written.add(d.id);
          if (d._deleted) live.delete(d.id);
          else live.add(d.id);
        }
      } else {
        forgetRecords += 1;
        for (const id of r.forget) live.delete(id);
      }
    }
    out.push({
      name,
      records: rows.length,
      forgetRecords,
      written: [...written].sort(),
      live: [...live].sort(),
    });
  }
  return out;
}

/**
 * Append a `forget` record naming `ids` to the chunked log `idbName` directly, behind the storage's
 * back: the state a prune leaves when the page dies after this log's record committed.
 */
async function forgetBehindStorage(idbName: string, ids: string[]): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(idbName);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('open failed'));
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('log', 'readwrite');
    tx.objectStore('log').put(JSON.stringify({ forget: ids }));
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('write failed'));
  });
  db.close();
}

const api = {
  start,
  stop,
  counts,
  reopenAndRead,
  openLocal,
  localWrites,
  recordMovement,
  watchMovements,
  arrivalOf,
  rawIdb,
  remove,
  idbNames,
  burst,
  prefetch,
  clearLogBehindStorage,
  changedSince,
  changedPages,
  onHand,
  movementIds,
  recordOldMovement,
  prune,
  chunkedLogs,
  forgetBehindStorage,
};
export type BulkheadHarness = typeof api;
(globalThis as unknown as { bh: BulkheadHarness }).bh = api;

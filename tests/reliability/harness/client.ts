/**
 * Browser entry of the fault-injection suite: one warehouse client per page, driven through the
 * REAL renderer data layer — `workspace.ts` (sign-in online or offline, tenant switch, partitions,
 * replication through `tenant-sync.ts`, rejected changes filed by `attention.ts`) and `writes.ts`
 * (every change written together with its audit entry). Nothing here re-implements sync; the
 * functions only do what the app's screens do, and read local state back for the oracle.
 *
 * Bundled with esbuild and served by the fault proxy (tests/reliability/proxy.ts) at the page's
 * origin, which is also the API origin (the web platform adapter uses `location.origin`).
 */
import type { Confirmation } from '../../../shared/audit/chain.js';
import type { MovementDoc, MovementType } from '../../../shared/domain/schemas.js';
import { REPLICATION_STATE_BY_COLLECTION } from 'rxdb/plugins/replication';
import { partitionName } from '../../../renderer/data/database.js';
import { useUserDb } from '../../../renderer/data/attention.js';
import {
  cancelOrder,
  createOrder,
  createReceipt,
  floorContext,
  FloorError,
  type OrderInput,
  packOrder,
  pickLine,
  receiveLine,
  shipOrder,
  suggestPicks,
} from '../../../renderer/data/floor.js';
import { pendingChanges } from '../../../renderer/data/pending.js';
import { syncTrace, type TracedCollection } from '../../../renderer/data/sync-trace.js';
import {
  currentActor,
  inspectSync,
  reauthenticate,
  type RepairRecord,
  signIn,
  switchTenant,
  useWorkspace,
} from '../../../renderer/data/workspace.js';
import { deleteItem, patchItem, recordMovement } from '../../../renderer/data/writes.js';
import { useSession } from '../../../renderer/state/session.js';

const PASSWORD = 'demo1234';

function openDb() {
  const { db, tenantId } = useWorkspace.getState();
  if (!db || !tenantId) throw new Error('no tenant partition is open');
  return { db, tenantId };
}

/** What a movement operation asks for (ids are chosen by the schedule, so they are known). */
export type MoveSpec = {
  id: string;
  itemId: string;
  type: MovementType;
  quantity: number;
  from: string | null;
  to: string | null;
  batch: string | null;
  confirmation?: Confirmation | null;
};

/** Floor work as the screens do it (renderer/data/floor.ts): outbound orders and receiving. */
export type FloorAction =
  | {
      kind: 'order-create';
      number: string;
      customer: Pick<OrderInput, 'customerName' | 'customerPhone' | 'shipTo'>;
      lines: { itemId: string; qty: number }[];
    }
  /** The next step of an order as its local status asks: pick its lines, pack, or ship. */
  | { kind: 'order-work'; orderId: string }
  | { kind: 'order-cancel'; orderId: string; reason: string }
  | { kind: 'receipt-create'; reference: string; lines: { itemId: string; expectedQty: number }[] }
  | {
      kind: 'receive';
      receiptId: string | null;
      itemId: string;
      qty: number;
      batch: string | null;
      expiresAt: string | null;
    };

/** What a floor action did locally: the document's new audit entries and the movements written. */
export type FloorOutcome = {
  entity: 'orders' | 'receipts';
  /** The order or receipt changed (null: only a movement, e.g. an ad-hoc receipt). */
  docId: string | null;
  /** What was done, or the floor API's refusal code (nothing written then). */
  done: 'created' | 'picked' | 'packed' | 'shipped' | 'cancelled' | 'received' | null;
  refused: string | null;
  /** Audit entries this action added to the document (none when its status did not change). */
  entries: string[];
  /** The document's local status after the action. */
  status: string | null;
  movements: { id: string; type: string }[];
};

/** What the client holds locally for the open tenant, and its Needs-attention list. */
export type ClientSnapshot = {
  userId: string | null;
  tenantId: string | null;
  offline: boolean;
  needsSignIn: boolean;
  items: { id: string; tenantId: string; name: string; seq: number; pending: number }[];
  movements: { id: string; tenantId: string; seq: number; pending: number }[];
  balances: { id: string; tenantId: string; quantity: number }[];
  orders: FloorDocState[];
  receipts: FloorDocState[];
  attention: { docId: string; tenantId: string; code: string; status: string; collection: string }[];
  /** Local changes not taken by the server yet, deleted documents included (data/pending.ts). */
  pending: number;
  /** IndexedDB databases of this origin (the local partitions live in them). */
  databases: string[];
};

/** A local change not taken by the server yet, as a failure description names it. */
export type PendingDetail = {
  collection: string;
  id: string;
  seq: number;
  status: string | null;
  deleted: boolean;
  entries: { id: string; action: string }[];
};

/** An order or inbound notice as the oracle compares it. */
export type FloorDocState = { id: string; tenantId: string; status: string; seq: number; pending: number };

const entryIds = (doc: { toJSON(): unknown } | null): string[] => {
  const p = (doc?.toJSON() as { pendingAudit?: { id: string }[] } | undefined)?.pendingAudit;
  return Array.isArray(p) ? p.map((e) => e.id) : [];
};

let refusedConflictWrites = 0;
/** Releases of RxDB record writes `holdPulledRecord` holds. */
const heldRecordWrites: (() => void)[] = [];

const api = {
  /** Sign in as the app does: online if the server answers, else against the offline ticket. */
  async signIn(username: string): Promise<{ userId: string; offline: boolean; tenantId: string | null }> {
    await signIn(username, PASSWORD);
    const s = useSession.getState();
    return { userId: s.user?.id ?? '', offline: s.offline, tenantId: useWorkspace.getState().tenantId };
  },
  /** The "sign in again" banner after an offline sign-in or an ended session. */
  async reauthenticate(): Promise<void> {
    await reauthenticate(PASSWORD);
  },
  async switchTenant(tenantId: string): Promise<void> {
    await switchTenant(tenantId);
  },
  status(): { tenantId: string | null; offline: boolean; needsSignIn: boolean; error: string | null } {
    const w = useWorkspace.getState();
    return {
      tenantId: w.tenantId,
      offline: useSession.getState().offline,
      needsSignIn: w.needsSignIn,
      error: w.error,
    };
  },
  /** The OS reports the network as back (Wi-Fi reconnected). */
  online(): void {
    window.dispatchEvent(new Event('online'));
  },
  /** Live items of the open tenant (what the inventory screen lists). */
  async itemIds(): Promise<{ id: string; sku: string }[]> {
    const { db } = openDb();
    const docs = await db.items.find({ sort: [{ sku: 'asc' }] }).exec();
    return docs.map((d) => ({ id: d.id, sku: d.sku }));
  },
  /** Record a movement (receive, transfer, pick, write-off …) with its audit entry. */
  async move(spec: MoveSpec): Promise<void> {
    const { db, tenantId } = openDb();
    const actor = currentActor();
    const doc: MovementDoc = {
      id: spec.id,
      tenantId,
      itemId: spec.itemId,
      type: spec.type,
      quantity: spec.quantity,
      fromLocationId: spec.from,
      toLocationId: spec.to,
      batch: spec.batch,
      note: null,
      createdAt: new Date().toISOString(),
      createdBy: actor.userId,
      deviceId: actor.deviceId,
      seq: 0,
    };
    const confirmation = spec.confirmation ?? null;
    await recordMovement(db, actor, doc, { confirmation, reason: confirmation?.reason ?? null });
  },
  /** Rename an item (the item editor); returns the id of the audit entry written with it. */
  async rename(itemId: string, name: string): Promise<string> {
    const { db } = openDb();
    // The entry's id as written: read back, the push may already have taken it (seed 818809252).
    return patchItem(db, currentActor(), itemId, { name });
  },
  /** Delete an item with whatever confirmation the caller gives (none: the server must refuse). */
  async remove(itemId: string, confirmation: Confirmation | null): Promise<void> {
    const { db } = openDb();
    await deleteItem(db, currentActor(), itemId, { confirmation, reason: confirmation?.reason ?? null });
  },
  /**
   * Every local change still waiting for the server, named (collection, id, seq, status, deleted,
   * the pending audit entries): what a "did not push" failure prints.
   */
  async pendingDetail(): Promise<PendingDetail[]> {
    const { db } = useWorkspace.getState();
    if (!db) return [];
    return (await pendingChanges(db)).map(({ collection, doc }) => ({
      collection,
      id: String(doc['id']),
      seq: Number(doc['seq'] ?? 0),
      status: typeof doc['status'] === 'string' ? doc['status'] : null,
      deleted: doc['_deleted'] === true,
      entries: (Array.isArray(doc['pendingAudit'])
        ? (doc['pendingAudit'] as Record<string, unknown>[])
        : []
      ).map((e) => ({ id: String(e['id']), action: String(e['action']) })),
    }));
  },
  /** Orders and inbound notices of the open tenant (what the outbound/receiving screens list). */
  async floorDocs(): Promise<{ orders: FloorDocState[]; receipts: FloorDocState[] }> {
    const { db } = openDb();
    const state = (d: { toJSON(): unknown }): FloorDocState => {
      const j = d.toJSON() as FloorDocState & { pendingAudit?: unknown[] };
      const pending = Array.isArray(j.pendingAudit) ? j.pendingAudit.length : 0;
      return { id: j.id, tenantId: j.tenantId, status: j.status, seq: j.seq, pending };
    };
    const [o, r] = await Promise.all([db.orders.find().exec(), db.receipts.find().exec()]);
    return { orders: o.map(state), receipts: r.map(state) };
  },
  /** One floor action through the floor API; a refusal of the API is reported, not thrown. */
  async floor(a: FloorAction): Promise<FloorOutcome> {
    const ctx = floorContext();
    const entity = a.kind === 'receipt-create' || a.kind === 'receive' ? 'receipts' : 'orders';
    const coll = entity === 'orders' ? ctx.db.orders : ctx.db.receipts;
    let docId: string | null =
      a.kind === 'order-work' || a.kind === 'order-cancel'
        ? a.orderId
        : a.kind === 'receive'
          ? a.receiptId
          : null;
    const before = docId ? entryIds(await coll.findOne(docId).exec()) : [];
    const out: FloorOutcome = {
      entity,
      docId,
      done: null,
      refused: null,
      entries: [],
      status: null,
      movements: [],
    };
    try {
      switch (a.kind) {
        case 'order-create': {
          const o = await createOrder(ctx, { number: a.number, ...a.customer, lines: a.lines });
          docId = o.id;
          out.done = 'created';
          break;
        }
        case 'receipt-create': {
          const r = await createReceipt(ctx, {
            reference: a.reference,
            supplier: 'Northwind Supply',
            lines: a.lines,
          });
          docId = r.id;
          out.done = 'created';
          break;
        }
        case 'receive': {
          const m = await receiveLine(ctx, {
            receiptId: a.receiptId,
            itemId: a.itemId,
            qty: a.qty,
            batch: a.batch,
            expiresAt: a.expiresAt,
            locationId: 'RCV-01',
          });
          out.movements.push({ id: m.id, type: m.type });
          out.done = 'received';
          break;
        }
        case 'order-cancel': {
          const o = await ctx.db.orders.findOne(a.orderId).exec();
          await cancelOrder(ctx, a.orderId, { typed: o?.number ?? '', reason: a.reason });
          out.done = 'cancelled';
          break;
        }
        case 'order-work': {
          const o = await ctx.db.orders.findOne(a.orderId).exec();
          const status = o?.status ?? 'missing';
          if (status === 'packed') {
            const r = await shipOrder(ctx, a.orderId);
            out.movements.push(...r.movements.map((m) => ({ id: m.id, type: m.type })));
            out.done = 'shipped';
            break;
          }
          // A picker works through the pick list: each open line from its first suggested bin.
          for (const line of await suggestPicks(ctx, a.orderId)) {
            const p = line.suggestion.picks[0];
            if (line.remaining <= 0 || !p) continue;
            const m = await pickLine(ctx, {
              orderId: a.orderId,
              itemId: line.itemId,
              batch: p.batch ?? null,
              from: p.locationId,
              qty: Math.min(p.quantity, line.remaining),
            });
            out.movements.push({ id: m.id, type: m.type });
            out.done = 'picked';
          }
          if (out.done === null) {
            await packOrder(ctx, a.orderId);
            out.done = 'packed';
          }
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof FloorError)) throw e;
      out.refused = e.code;
    }
    out.docId = docId;
    if (docId) {
      const doc = await coll.findOne(docId).exec();
      const known = new Set(before);
      out.entries = entryIds(doc).filter((id) => !known.has(id));
      out.status = (doc?.toJSON() as { status?: string } | undefined)?.status ?? null;
    }
    return out;
  },
  /** Everything the oracle compares with the server. */
  async snapshot(): Promise<ClientSnapshot> {
    const { db, tenantId } = useWorkspace.getState();
    const s = useSession.getState();
    const userDb = useUserDb.getState().db;
    const count = (p: unknown) => (Array.isArray(p) ? p.length : 0);
    const out: ClientSnapshot = {
      userId: s.user?.id ?? null,
      tenantId,
      offline: s.offline,
      needsSignIn: useWorkspace.getState().needsSignIn,
      items: [],
      movements: [],
      balances: [],
      orders: [],
      receipts: [],
      attention: [],
      pending: 0,
      databases: (await indexedDB.databases()).map((d) => d.name ?? '').filter(Boolean),
    };
    if (db) {
      out.pending = (await pendingChanges(db)).length;
      out.items = (await db.items.find().exec()).map((d) => {
        const j = d.toJSON();
        return { id: j.id, tenantId: j.tenantId, name: j.name, seq: j.seq, pending: count(j.pendingAudit) };
      });
      out.movements = (await db.movements.find().exec()).map((d) => {
        const j = d.toJSON();
        return { id: j.id, tenantId: j.tenantId, seq: j.seq, pending: count(j.pendingAudit) };
      });
      out.balances = (await db.balances.find().exec()).map((d) => {
        const j = d.toJSON();
        return { id: j.id, tenantId: j.tenantId, quantity: j.quantity };
      });
      Object.assign(out, await api.floorDocs());
    }
    if (userDb) {
      out.attention = (await userDb.attention.find().exec()).map((d) => {
        const j = d.toJSON() as Record<string, unknown>;
        return {
          docId: String(j['docId']),
          tenantId: String(j['tenantId']),
          code: String(j['code']),
          status: String(j['status']),
          collection: String(j['coll']),
        };
      });
    }
    return out;
  },
  /**
   * Issue #7, PostgreSQL soak seed 749556232: RxDB's next write of a resolved push conflict into
   * this PC's `collection` is refused (409) as if another write had landed first. RxDB ignores
   * that refusal, writes no record and moves its upstream checkpoint on (replication-protocol/
   * upstream.js, persistToMaster). Once; the wrapper is taken off after that write.
   */
  refuseNextConflictWrite(collection: 'movements' | 'orders' | 'receipts'): void {
    const instance = openDb().db.collections[collection].storageInstance as unknown as {
      bulkWrite(rows: unknown[], context: string): Promise<{ error: unknown[] }>;
      findDocumentsById(ids: string[], withDeleted: boolean): Promise<unknown[]>;
    };
    const own = instance.bulkWrite.bind(instance);
    instance.bulkWrite = async (rows, context) => {
      if (context !== 'replication-up-write-conflict') return own(rows, context);
      instance.bulkWrite = own;
      refusedConflictWrites += rows.length;
      const ids = (rows as { document: { id: string } }[]).map((r) => r.document.id);
      const current = await instance.findDocumentsById(ids, true);
      return {
        error: rows.map((writeRow, i) => ({
          status: 409,
          isError: true,
          documentId: ids[i],
          writeRow,
          documentInDb: current[i],
        })),
      };
    };
  },
  /**
   * RxDB writes a pulled version into the copy, then, in a second write, its record of that
   * version (replication-protocol/downstream.js). The next such record write that covers document
   * `id` of `collection` at a sequence above `afterSeq` is held until `releasePulledRecords`: the
   * copy shows the pulled version while RxDB's record is still the one before. (The record of a
   * version at or below `afterSeq` — one pulled before the hold — passes.) Once; the wrapper is
   * taken off at that write.
   */
  holdPulledRecord(collection: 'orders' | 'receipts' | 'items', id: string, afterSeq: number): void {
    const state = REPLICATION_STATE_BY_COLLECTION.get(openDb().db.collections[collection] as never)?.[0];
    const meta = state?.internalReplicationState?.input.metaInstance as unknown as
      | {
          bulkWrite(
            rows: { document: { id: string; docData: { seq?: unknown } } }[],
            context: string,
          ): Promise<unknown>;
        }
      | undefined;
    if (!meta) throw new Error(`${collection} does not replicate`);
    const own = meta.bulkWrite.bind(meta);
    meta.bulkWrite = async (rows, context) => {
      const newer = (r: (typeof rows)[number]) =>
        r.document.id === `${id}|0` && Number(r.document.docData.seq) > afterSeq;
      if (context !== 'replication-down-write-meta' || !rows.some(newer)) return own(rows, context);
      meta.bulkWrite = own;
      await new Promise<void>((resolve) => heldRecordWrites.push(resolve));
      return own(rows, context);
    };
  },
  /** How many record writes `holdPulledRecord` holds now. */
  pulledRecordsHeld(): number {
    return heldRecordWrites.length;
  },
  releasePulledRecords(): void {
    for (const release of heldRecordWrites.splice(0)) release();
  },
  /** How many rows `refuseNextConflictWrite` refused so far. */
  conflictWritesRefused(): number {
    return refusedConflictWrites;
  },
  /** Stale local copies this page repaired at a (re)connect (issue #7; workspace.ts keeps them). */
  repairs(): RepairRecord[] {
    return [...((globalThis as { __bulkheadRepairs?: RepairRecord[] }).__bulkheadRepairs ?? [])];
  },
  /**
   * Issue #7 diagnostics for a change stuck pending: RxDB's view of the document now, and every
   * replication step of it this page traced (renderer/data/sync-trace.ts).
   */
  async syncDebug(collection: TracedCollection, id: string): Promise<string[]> {
    const trace = (syncTrace() ?? []).filter((e) => e.ids.includes(id));
    return [
      `now: ${await inspectSync(collection, id)}`,
      ...trace.map((e) => `${e.at} ${e.collection} ${e.step}: ${e.text}`),
    ];
  },
  /** The name of a (user, tenant) partition, to look for it among the IndexedDB databases. */
  partitionName(userId: string, tenantId: string): string {
    return partitionName(userId, tenantId);
  },
};

// Replication of orders, notices and movements is traced in every schedule: a stuck change prints its story.
(globalThis as { __bulkheadSyncTrace?: unknown[] }).__bulkheadSyncTrace = [];

export type ReliabilityClient = typeof api;
(globalThis as unknown as { rel: ReliabilityClient }).rel = api;

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
import { partitionName } from '../../../renderer/data/database.js';
import { useUserDb } from '../../../renderer/data/attention.js';
import { pendingChanges } from '../../../renderer/data/pending.js';
import {
  currentActor,
  reauthenticate,
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

/** What the client holds locally for the open tenant, and its Needs-attention list. */
export type ClientSnapshot = {
  userId: string | null;
  tenantId: string | null;
  offline: boolean;
  needsSignIn: boolean;
  items: { id: string; tenantId: string; name: string; seq: number; pending: number }[];
  movements: { id: string; tenantId: string; seq: number; pending: number }[];
  balances: { id: string; tenantId: string; quantity: number }[];
  attention: { docId: string; tenantId: string; code: string; status: string; collection: string }[];
  /** Local changes not taken by the server yet, deleted documents included (data/pending.ts). */
  pending: number;
  /** IndexedDB databases of this origin (the local partitions live in them). */
  databases: string[];
};

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
    await patchItem(db, currentActor(), itemId, { name });
    const doc = await db.items.findOne(itemId).exec();
    const pending = doc?.pendingAudit ?? [];
    return pending[pending.length - 1]?.id ?? '';
  },
  /** Delete an item with whatever confirmation the caller gives (none: the server must refuse). */
  async remove(itemId: string, confirmation: Confirmation | null): Promise<void> {
    const { db } = openDb();
    await deleteItem(db, currentActor(), itemId, { confirmation, reason: confirmation?.reason ?? null });
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
  /** The name of a (user, tenant) partition, to look for it among the IndexedDB databases. */
  partitionName(userId: string, tenantId: string): string {
    return partitionName(userId, tenantId);
  },
};

export type ReliabilityClient = typeof api;
(globalThis as unknown as { rel: ReliabilityClient }).rel = api;

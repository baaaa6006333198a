import { randomUUID } from 'node:crypto';
import { createRevision, now } from 'rxdb';
import type { RxReplicationState } from 'rxdb/plugins/replication';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import type { ClientAuditEntry } from '../../../shared/audit/entry.js';
import type { OrderDoc } from '../../../shared/domain/floor.js';
import type {
  Checkpoint,
  PullResponse,
  PushRow,
  PushResponse,
  StaleCollection,
  StaleResponse,
  StreamEvent,
  SyncCollection,
} from '../../../shared/sync/protocol.js';
import { demoUserId, stableUuid } from '../../../server/db/seed.js';
import { ApiClient, NetworkError } from '../../../renderer/data/api.js';
import type { TenantDatabase } from '../../../renderer/data/database.js';
import type { Repair } from '../../../renderer/data/reconcile.js';
import { conflictContext } from '../../../renderer/data/conflicts.js';
import { updateOrder, type OrderPatch } from '../../../renderer/data/floor.js';
import { startTenantSync, type TenantSync } from '../../../renderer/data/tenant-sync.js';
import type { TestServer } from '../../helpers/server.js';
import { installWindow, mgrAcmeSync, openPartition, until } from './partition.js';
import { api, auditFor, integrationBackends, login, startTestServer } from '../../helpers/server.js';

/*
 * Issue #7, end to end: the real replication (tenant-sync.ts, RxDB) of mgr's acme partition
 * against a live server. The PC's copy of an order is made stale the way soak seed 980000157 left
 * it — a pull brings the newer version and RxDB moves its checkpoint past it without applying it
 * (here: the pull's answer for that id is held back) — and stays stale through later pulls. At the
 * next reconnect the stale check repairs it, and `onRepaired` reports it.
 */

const backends = await integrationBackends();
type Doc = Record<string, unknown>;
const ITEM1 = stableUuid('acme/item/1');

/** The API as the PC uses it, with a pull that can hold documents back and a stream the test can cut. */
class TestApi extends ApiClient {
  readonly held = new Set<string>();
  readonly dropped: Doc[] = [];
  hellos = 0;
  staleChecks = 0;
  private cut: AbortController | null = null;

  override async pull(
    tenant: string,
    collection: SyncCollection,
    checkpoint: number | undefined,
    limit: number,
    base?: number,
  ): Promise<PullResponse> {
    const res = await super.pull(tenant, collection, checkpoint, limit, base);
    if (collection !== 'orders' || this.held.size === 0) return res;
    const documents = res.documents.filter((d) => {
      const hold = this.held.has(String(d['id']));
      if (hold) this.dropped.push(d);
      return !hold;
    });
    return { ...res, documents };
  }

  override async stale(
    tenant: string,
    collection: StaleCollection,
    versions: [string, number][],
  ): Promise<StaleResponse> {
    try {
      return await super.stale(tenant, collection, versions);
    } finally {
      this.staleChecks++;
    }
  }

  override async stream(
    tenant: string,
    signal: AbortSignal,
    onEvent: (e: StreamEvent) => void,
  ): Promise<void> {
    const own = new AbortController();
    this.cut = own;
    signal.addEventListener('abort', () => own.abort());
    await super.stream(tenant, own.signal, (e) => {
      if (e.type === 'hello') this.hellos++;
      onEvent(e);
    });
  }

  /** While set, pushes of orders fail as if the network were down (RxDB retries them). */
  holdPushes = false;

  override async push(
    tenant: string,
    collection: SyncCollection,
    changes: PushRow[],
    audit: ClientAuditEntry[],
  ): Promise<PushResponse> {
    if (this.holdPushes && collection === 'orders') throw new NetworkError('push held by the test');
    const res = await super.push(tenant, collection, changes, audit);
    await this.afterPush?.(collection);
    return res;
  }

  /** Runs once the server answered a push, before RxDB gets the answer. */
  afterPush: ((collection: SyncCollection) => Promise<void>) | null = null;

  /** The connection drops (as a Wi-Fi reconnect would): the stream ends with a network error. */
  dropStream(): void {
    this.cut?.abort();
  }
}

describe.each(backends)('reconcile on reconnect repairs a stale order (%s)', (backend) => {
  let s: TestServer;
  let adminToken = '';
  let mgrToken = '';
  let db: TenantDatabase | null = null;
  let sync: TenantSync | null = null;
  let restoreWindow: () => void = () => undefined;

  const pushAsAdmin = async (newDocumentState: Doc, assumedMasterState: Doc | null, over = {}) => {
    const changes = [{ newDocumentState, assumedMasterState }];
    const r = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/orders/push', {
      token: adminToken,
      body: { changes, audit: auditFor(demoUserId('admin.acme'), 'orders', changes, over) },
    });
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    return Number(r.body.accepted?.[0]?.seq);
  };
  const newOrder = (): OrderDoc => ({
    id: randomUUID(),
    tenantId: 'acme',
    number: `SO-R-${Math.floor(Math.random() * 1e9)}`,
    customerName: 'Kim Retail',
    customerPhone: '+31 10 555 0199',
    customerEmail: 'kim@example.com',
    shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
    status: 'open',
    lines: [{ lineId: '1', itemId: ITEM1, qty: 2 }],
    updatedAt: new Date().toISOString(),
    seq: 0,
  });
  /** The server's seq of an order once a change above `v` was accepted. */
  const acceptedAfter = (id: string, v: number) =>
    until('the change to be accepted', async () => {
      const row = await s.db
        .selectFrom('orders')
        .select('seq')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return Number(row.seq) > v ? Number(row.seq) : null;
    });
  /** An order's audit entries on the server, in order. */
  const auditsOf = (id: string) =>
    s.db
      .selectFrom('audit_log')
      .select(['id', 'actor_id'])
      .where('entity_id', '=', id)
      .orderBy('seq')
      .execute();
  /** Another PC (admin.acme) changes order `id` from the server's version; the new seq. */
  const editAsAdmin = async (
    id: string,
    patch: Doc,
    over: Record<string, unknown> = { action: 'update' },
  ) => {
    const server = await api<PullResponse<Doc>>(s.url, '/api/t/acme/sync/orders/pull?limit=5000', {
      token: adminToken,
    });
    const base = server.body.documents.find((d) => d['id'] === id)!;
    return pushAsAdmin({ ...base, ...patch, updatedAt: new Date().toISOString() }, base, over);
  };
  /**
   * Another PC cancels order `x`; this PC's pull brings it but its answer is held back for that
   * id, and a later order arrives, so RxDB's checkpoint is past the cancellation, not applied.
   * Returns the cancellation's seq.
   */
  const cancelUnapplied = async (client: TestApi, x: OrderDoc) => {
    client.held.add(x.id);
    const v2 = await editAsAdmin(
      x.id,
      { status: 'cancelled' },
      {
        action: 'update',
        reason: 'customer withdrew',
        confirmation: { typed: x.number, reason: 'customer withdrew' },
      },
    );
    await until('the cancellation to be pulled (and held back)', () =>
      client.dropped.some((d) => d['id'] === x.id && d['seq'] === v2),
    );
    const y = newOrder();
    const vy = await pushAsAdmin(y, null, { action: 'create' });
    await until('a later order to arrive', () => local(y.id));
    client.held.clear();
    expect(vy).toBeGreaterThan(v2);
    return v2;
  };
  const local = async (id: string) =>
    ((await db?.orders.findOne(id).exec())?.toJSON() as Doc | undefined) ?? null;

  /**
   * mgr's acme partition replicating through a TestApi, once order `x` (at `v1`) arrived and the
   * first connect's stale checks (orders and notices) are done.
   */
  const startMgr = async (x: OrderDoc, v1: number) => {
    const client = new TestApi(s.url, { accessToken: () => mgrToken, refresh: () => Promise.resolve(null) });
    const repairs: { collection: string; repaired: Repair[] }[] = [];
    const restored: { collection: string; restored: { id: string; seq: number }[] }[] = [];
    const replications = new Map<SyncCollection, RxReplicationState<Doc, Checkpoint>>();
    db = await openPartition('reconcile');
    const live = startTenantSync(
      mgrAcmeSync(db, client, s.url, {
        onRepaired: (collection, repaired) => repairs.push({ collection, repaired }),
        onMastersRestored: (collection, r) => restored.push({ collection, restored: r }),
        observeReplication: (collection, state) => replications.set(collection, state),
      }),
    );
    sync = live;
    await live.initialSync;
    expect((await until('the order to arrive', () => local(x.id)))['seq']).toBe(v1);
    await until('the first stale checks', () => client.hellos >= 1 && client.staleChecks >= 2);
    return { client, repairs, restored, replications, live };
  };
  /**
   * The connection drops and comes back (as a Wi-Fi reconnect would): resolves once a new hello
   * arrived and its stale checks (orders and notices) answered.
   */
  const reconnect = async (client: TestApi) => {
    const hellos = client.hellos;
    const checks = client.staleChecks;
    client.dropStream();
    await until('the stream to reconnect and check', () => {
      window.dispatchEvent(new Event('online'));
      return client.hellos > hellos && client.staleChecks >= checks + 2;
    });
  };
  /** mgr edits an order on this PC (the floor's own write path); the id of its pending entry. */
  const editAsMgr = async (orderId: string, patch: OrderPatch): Promise<string> => {
    if (!db) throw new Error('no partition open');
    const ctx = {
      db,
      tenantId: 'acme',
      actor: { userId: demoUserId('mgr'), deviceId: 'pc-reconcile' },
      role: 'manager' as const,
      settings: DEFAULT_TENANT_SETTINGS,
    };
    await updateOrder(ctx, orderId, patch);
    return String(((await local(orderId))?.['pendingAudit'] as { id: string }[])[0]?.id);
  };

  /** RxDB's replication state of mgr's orders (its meta instance holds the records). */
  const ordersReplication = (replications: Map<SyncCollection, RxReplicationState<Doc, Checkpoint>>) => {
    const internal = replications.get('orders')?.internalReplicationState;
    if (!internal) throw new Error('orders replication not started');
    return internal;
  };
  /** RxDB's record of the master of order `id`, rewritten with `patch` (as RxDB would write it). */
  const rewriteRecord = async (
    replications: Map<SyncCollection, RxReplicationState<Doc, Checkpoint>>,
    id: string,
    patch: (record: Doc) => Doc,
  ) => {
    const internal = ordersReplication(replications);
    const [record] = await internal.input.metaInstance.findDocumentsById([`${id}|0`], true);
    if (!record) throw new Error('RxDB holds no record of the order');
    const res = await internal.input.metaInstance.bulkWrite(
      [
        {
          previous: record,
          document: {
            ...record,
            _rev: createRevision(await internal.checkpointKey, record),
            _meta: { ...record._meta, lwt: now() },
            ...patch(record),
          },
        },
      ],
      'test-record',
    );
    expect(res.error).toEqual([]);
    return internal;
  };
  /**
   * Soak seed 600445783: RxDB's record of order `id` is another version than the copy. The copy,
   * inserted by RxDB's first pull, carries no `_meta.o` (RxDB 17.6's storage wrapper replaces the
   * `_meta` of every inserted document), so RxDB cannot tell its own pull wrote it.
   */
  const recordApart = (replications: Map<SyncCollection, RxReplicationState<Doc, Checkpoint>>, id: string) =>
    rewriteRecord(replications, id, (r) => ({
      docData: { ...(r['docData'] as Doc), customerName: 'Kim Retail (older)' },
    }));
  /**
   * Soak seed 259441814: RxDB's record of order `id` is gone, as when the page closes after RxDB's
   * first pull wrote the copy and before it wrote the record (deleted and purged here).
   */
  const recordGone = async (
    replications: Map<SyncCollection, RxReplicationState<Doc, Checkpoint>>,
    id: string,
  ) => {
    const internal = await rewriteRecord(replications, id, () => ({
      _deleted: true,
      _meta: { lwt: now() - 1000 },
    }));
    await internal.input.metaInstance.cleanup(0);
    expect(await internal.input.metaInstance.findDocumentsById([`${id}|0`], true)).toEqual([]);
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 } });
    adminToken = (await login(s.url, 'admin.acme')).accessToken;
    mgrToken = (await login(s.url, 'mgr')).accessToken;
    restoreWindow = installWindow();
  });
  afterEach(async () => {
    await sync?.stop();
    await db?.close();
    sync = null;
    db = null;
  });
  afterAll(async () => {
    restoreWindow();
    await s?.close();
  });

  it('an order whose newer version the checkpoint passed unapplied reaches the server version at the next hello, reported once', async () => {
    const x = newOrder();
    const v1 = await pushAsAdmin(x, null, { action: 'create' });
    // The first connect's checks (orders and notices) are done and found nothing stale.
    const { client, repairs, live } = await startMgr(x, v1);
    expect(repairs).toEqual([]);

    // Another PC cancels the order; this PC's pull brings it but RxDB's checkpoint passes it unapplied.
    const v2 = await cancelUnapplied(client, x);
    expect(v2).toBeGreaterThan(v1);
    live.reSync();
    await until('a resync', async () => (await live.flush(5000)) || null);
    expect(await local(x.id)).toMatchObject({ status: 'open', seq: v1 });
    expect(repairs).toEqual([]);

    // The connection drops and comes back: the hello's stale check repairs the copy.
    await reconnect(client);
    const repairedDoc = await until('the copy to reach the server version', async () => {
      const d = await local(x.id);
      return d && d['seq'] === v2 ? d : null;
    });
    expect(repairedDoc).toMatchObject({ status: 'cancelled', seq: v2 });
    expect(repairedDoc).not.toHaveProperty('pendingAudit');
    expect(repairs).toEqual([
      { collection: 'orders', repaired: [{ id: x.id, localSeq: v1, serverSeq: v2, pending: false }] },
    ]);
    // Nothing of it was pushed back: the server still holds v2, audited once by admin.acme.
    const row = await s.db
      .selectFrom('orders')
      .select(['seq', 'status'])
      .where('id', '=', x.id)
      .executeTakeFirstOrThrow();
    expect({ seq: Number(row.seq), status: row.status }).toEqual({ seq: v2, status: 'cancelled' });
    expect((await auditsOf(x.id)).map((a) => a.actor_id)).toEqual([
      demoUserId('admin.acme'),
      demoUserId('admin.acme'),
    ]);

    // The next connect finds nothing stale any more: no second report.
    await reconnect(client);
    expect(repairs).toHaveLength(1);
  });

  it("an order never edited here whose copy RxDB's record disagrees with: the record is set to the copy and the handed-over version applied (soak seed 600445783)", async () => {
    const x = newOrder();
    const v1 = await pushAsAdmin(x, null, { action: 'create' });
    const { client, repairs, replications, live } = await startMgr(x, v1);

    // Another PC cancels the order; the pull of it is held back, the checkpoint passes it.
    const v2 = await cancelUnapplied(client, x);

    // The state mgr's PC ended in: RxDB's record of the order is another version than the copy.
    await recordApart(replications, x.id);
    live.reSync();
    await until('a resync', async () => (await live.flush(5000)) || null);
    expect(await local(x.id)).toMatchObject({ status: 'open', seq: v1 });

    // The connection drops and comes back: the stale check hands the cancellation over, the record
    // is set to the copy first, and RxDB applies it.
    await reconnect(client);
    const repairedDoc = await until('the copy to reach the server version', async () => {
      const d = await local(x.id);
      return d && d['seq'] === v2 ? d : null;
    });
    expect(repairedDoc).toMatchObject({ status: 'cancelled', seq: v2 });
    expect(repairs).toEqual([
      {
        collection: 'orders',
        repaired: [{ id: x.id, localSeq: v1, serverSeq: v2, pending: false, realigned: true }],
      },
    ]);
    // Nothing was pushed: the server holds v2, audited by admin.acme only.
    const row = await s.db
      .selectFrom('orders')
      .select('seq')
      .where('id', '=', x.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.seq)).toBe(v2);
    expect((await auditsOf(x.id)).map((a) => a.actor_id)).toEqual([
      demoUserId('admin.acme'),
      demoUserId('admin.acme'),
    ]);
  });

  it('an order never edited here whose record RxDB lost (page closed in the first download) takes the next pulled version, without a reconnect (soak seed 259441814)', async () => {
    const x = newOrder();
    const v1 = await pushAsAdmin(x, null, { action: 'create' });
    const { client, repairs, replications } = await startMgr(x, v1);
    const hellos = client.hellos;
    await recordGone(replications, x.id);

    // Another PC picks the order: the pull brings it, the record is set to the copy first, and
    // RxDB applies it.
    const v2 = await editAsAdmin(x.id, { status: 'picking' });
    const synced = await until('the copy to reach the server version', async () => {
      const d = await local(x.id);
      return d && d['seq'] === v2 ? d : null;
    });
    expect(synced).toMatchObject({ status: 'picking', customerName: 'Kim Retail' });
    expect(repairs).toEqual([
      {
        collection: 'orders',
        repaired: [{ id: x.id, localSeq: v1, serverSeq: v2, pending: false, realigned: true }],
      },
    ]);
    expect(client.hellos).toBe(hellos);
    // Nothing was pushed: audited by admin.acme only.
    expect((await auditsOf(x.id)).map((a) => a.actor_id)).toEqual([
      demoUserId('admin.acme'),
      demoUserId('admin.acme'),
    ]);
  });

  it('an order edited here whose accepted version the pull passed unapplied (its entry still pending) reaches the server version at the next hello', async () => {
    const x = newOrder();
    const v1 = await pushAsAdmin(x, null, { action: 'create' });
    const { client, repairs, live } = await startMgr(x, v1);

    // mgr edits the order here. The server takes the change, but the pull's answer for that id is
    // held back: RxDB has the push answered (nothing left to push) and moves its checkpoint past
    // the accepted version, so the copy keeps its entry pending.
    client.held.add(x.id);
    const entryId = await editAsMgr(x.id, { customerName: 'Kim Wholesale' });
    const v2 = await acceptedAfter(x.id, v1);
    await until('the accepted version to be pulled (and held back)', () =>
      client.dropped.some((d) => d['id'] === x.id && d['seq'] === v2),
    );
    const y = newOrder();
    await pushAsAdmin(y, null, { action: 'create' });
    await until('a later order to arrive', () => local(y.id));
    client.held.clear();
    live.reSync();
    await until('a resync', async () => (await live.flush(5000)) || null);
    // Stuck: the server's version passed, the entry (already on the server) still pending here.
    const stuck = await local(x.id);
    expect(stuck).toMatchObject({ seq: v1, customerName: 'Kim Wholesale' });
    expect((stuck?.['pendingAudit'] as { id: string }[]).map((e) => e.id)).toEqual([entryId]);

    // The connection drops and comes back: the hello's stale check hands the version over.
    await reconnect(client);
    const repairedDoc = await until('the copy to reach the server version', async () => {
      const d = await local(x.id);
      return d && d['seq'] === v2 ? d : null;
    });
    expect(repairedDoc).toMatchObject({ customerName: 'Kim Wholesale', seq: v2 });
    expect(repairedDoc?.['pendingAudit'] ?? []).toEqual([]);
    expect(repairs).toEqual([
      { collection: 'orders', repaired: [{ id: x.id, localSeq: v1, serverSeq: v2, pending: true }] },
    ]);
    // The change was audited once, by mgr; nothing was pushed again.
    const audits = await auditsOf(x.id);
    expect(audits.map((a) => a.actor_id)).toEqual([demoUserId('admin.acme'), demoUserId('mgr')]);
    expect(audits[1]?.id).toBe(entryId);
  });

  it("an order edited here while a pull records RxDB's master of it: RxDB's refused record of the accepted push is restored and the accepted version arrives, without a reconnect", async () => {
    const x = newOrder();
    const v1 = await pushAsAdmin(x, null, { action: 'create' });
    const { client, repairs, restored, replications } = await startMgr(x, v1);
    const hellos = client.hellos;

    // A pull's record of the order (RxDB's downstream writes the copy first, its record of the
    // master after) lands while mgr's push of the order is under way: RxDB read its record before
    // the push, so its own record of the accepted version is refused (fault seed 92040059, traced).
    client.afterPush = async (collection) => {
      if (collection !== 'orders') return;
      client.afterPush = null;
      const internal = replications.get('orders')?.internalReplicationState;
      if (!internal) throw new Error('orders replication not started');
      const [record] = await internal.input.metaInstance.findDocumentsById([`${x.id}|0`], true);
      if (!record) throw new Error('RxDB holds no record of the order');
      const res = await internal.input.metaInstance.bulkWrite(
        [
          {
            previous: record,
            document: {
              ...record,
              _rev: createRevision(await internal.checkpointKey, record),
              _meta: { ...record._meta, lwt: now() },
            },
          },
        ],
        'test-pull-record',
      );
      expect(res.error).toEqual([]);
    };
    const entryId = await editAsMgr(x.id, { customerName: 'Kim Wholesale' });
    const v2 = await acceptedAfter(x.id, v1);
    // The server commits before its answer reaches the PC: wait for the record written meanwhile.
    await until('the push to be answered', () => client.afterPush === null);

    // RxDB's record is restored and the accepted version, pulled as usual, replaces the copy.
    const synced = await until('the copy to reach the accepted version', async () => {
      const d = await local(x.id);
      return d && d['seq'] === v2 ? d : null;
    });
    expect(synced).toMatchObject({ customerName: 'Kim Wholesale', seq: v2 });
    expect(synced['pendingAudit'] ?? []).toEqual([]);
    expect(restored).toEqual([{ collection: 'orders', restored: [{ id: x.id, seq: v1 }] }]);
    // Not the stale check's doing: no reconnect, no repair.
    expect(client.hellos).toBe(hellos);
    expect(repairs).toEqual([]);
    const audits = await auditsOf(x.id);
    expect(audits.map((a) => a.actor_id)).toEqual([demoUserId('admin.acme'), demoUserId('mgr')]);
    expect(audits[1]?.id).toBe(entryId);
  });

  it('an order edited here before RxDB recorded its pulled version is merged onto that server version and accepted, not filed (soak seed 961038502)', async () => {
    const x = newOrder();
    const v1 = await pushAsAdmin(x, null, { action: 'create' });
    const { repairs, replications } = await startMgr(x, v1);
    const filed: unknown[] = [];
    conflictContext(db!.name).onUnmergeable = (...a) => filed.push(a);
    // The first download wrote the copy and mgr edits it before RxDB writes its record of the
    // pulled version: the push goes without a base, and the server answers with a conflict.
    await recordGone(replications, x.id);
    const entryId = await editAsMgr(x.id, { customerName: 'Kim Wholesale' });
    const v2 = await acceptedAfter(x.id, v1);
    const synced = await until('the copy to reach the accepted version', async () => {
      const d = await local(x.id);
      return d && d['seq'] === v2 ? d : null;
    });
    expect(synced).toMatchObject({ customerName: 'Kim Wholesale', seq: v2 });
    expect(synced['pendingAudit'] ?? []).toEqual([]);
    expect(filed).toEqual([]);
    expect(repairs).toEqual([]);
    const audits = await auditsOf(x.id);
    expect(audits.map((a) => a.actor_id)).toEqual([demoUserId('admin.acme'), demoUserId('mgr')]);
    expect(audits[1]?.id).toBe(entryId);
  });

  it('an order with a change not pushed yet keeps it through the stale check; the change is merged and audited once when pushes resume', async () => {
    const x = newOrder();
    const v1 = await pushAsAdmin(x, null, { action: 'create' });
    const { client, repairs, live } = await startMgr(x, v1);

    // mgr edits the order while its pushes fail; meanwhile another PC changes another field.
    client.holdPushes = true;
    const entryId = await editAsMgr(x.id, { customerName: 'Kim Wholesale' });
    const v2 = await editAsAdmin(x.id, { customerPhone: '+31 10 555 0100' });
    // A reconnect: the stale check asks about this copy too and hands the server's version over;
    // RxDB keeps the copy, which holds a change it has not pushed.
    await reconnect(client);
    live.reSync();
    await until('the handed-over version to be offered', () => repairs.length > 0);
    expect(repairs).toEqual([
      { collection: 'orders', repaired: [{ id: x.id, localSeq: v1, serverSeq: v2, pending: true }] },
    ]);
    const kept = await local(x.id);
    expect(kept).toMatchObject({ customerName: 'Kim Wholesale' });
    expect((kept?.['pendingAudit'] as { id: string }[]).map((e) => e.id)).toEqual([entryId]);

    // Pushes resume: the change meets the other PC's as a conflict, merged; both stay.
    client.holdPushes = false;
    window.dispatchEvent(new Event('online'));
    const row = await until('the change to reach the server', async () => {
      const r = await s.db
        .selectFrom('orders')
        .select(['seq', 'customer_name', 'customer_phone'])
        .where('id', '=', x.id)
        .executeTakeFirstOrThrow();
      return r.customer_name === 'Kim Wholesale' ? r : null;
    });
    expect(row.customer_phone).toBe('+31 10 555 0100');
    const audits = await auditsOf(x.id);
    expect(audits.filter((a) => a.actor_id === demoUserId('mgr')).map((a) => a.id)).toEqual([entryId]);
    const settled = await until('the copy to settle', async () => {
      const d = await local(x.id);
      return d && !((d['pendingAudit'] as unknown[] | undefined)?.length ?? 0) && d['seq'] === Number(row.seq)
        ? d
        : null;
    });
    expect(settled).toMatchObject({ customerName: 'Kim Wholesale', customerPhone: '+31 10 555 0100' });
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASKED } from '../../../shared/access/policy.js';
import type { ClientAuditEntry } from '../../../shared/audit/entry.js';
import { LocationDoc, OrderDoc, ReceiptDoc, type LocationsResponse } from '../../../shared/domain/floor.js';
import { balanceId, MovementDoc } from '../../../shared/domain/schemas.js';
import type { PullResponse, PushResponse } from '../../../shared/sync/protocol.js';
import { demoBinOf, demoUserId, stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import {
  api,
  auditEntry,
  auditFor,
  integrationBackends,
  login,
  startTestServer,
} from '../../helpers/server.js';

const backends = await integrationBackends();
const ITEMS = 12;
type Doc = Record<string, unknown>;

const ITEM1 = stableUuid('acme/item/1');
const ITEM2 = stableUuid('acme/item/2');
const BIN1 = demoBinOf(1); // item 1's opening stock (17) lies here
const ACME_ORDER = stableUuid('acme/order/1');
const GLOBEX_ORDER = stableUuid('globex/order/1');

function movement(over: Partial<MovementDoc> = {}): MovementDoc {
  return {
    id: randomUUID(),
    tenantId: 'acme',
    itemId: ITEM1,
    type: 'receipt',
    quantity: 5,
    fromLocationId: null,
    toLocationId: 'RCV-01',
    batch: null,
    note: null,
    createdAt: new Date().toISOString(),
    createdBy: 'whoever',
    deviceId: 'scanner-1',
    seq: 0,
    ...over,
  };
}

function order(over: Partial<OrderDoc> = {}): OrderDoc {
  return {
    id: randomUUID(),
    tenantId: 'acme',
    number: `SO-T-${Math.floor(Math.random() * 1e9)}`,
    customerName: 'Kim Retail',
    customerPhone: '+31 10 555 0199',
    customerEmail: 'kim@example.com',
    shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
    status: 'open',
    lines: [{ lineId: '1', itemId: ITEM1, qty: 2 }],
    updatedAt: new Date().toISOString(),
    seq: 0,
    ...over,
  };
}

describe.each(backends)('floor workflows on the server (%s)', (backend) => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const pullAll = async (user: string, collection: string, tenant = 'acme'): Promise<Doc[]> => {
    const r = await api<PullResponse<Doc>>(s.url, `/api/t/${tenant}/sync/${collection}/pull?limit=5000`, {
      token: tokens[user],
    });
    expect(r.status).toBe(200);
    return r.body.documents;
  };
  const push = (
    user: string,
    collection: string,
    changes: { newDocumentState: Doc; assumedMasterState?: Doc | null }[],
    over: Partial<ClientAuditEntry> = {},
    tenant = 'acme',
  ) =>
    api<PushResponse<Doc>>(s.url, `/api/t/${tenant}/sync/${collection}/push`, {
      token: tokens[user],
      body: { changes, audit: auditFor(demoUserId(user), collection, changes, over) },
    });
  const auditRows = (entityId: string) =>
    s.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', 'acme')
      .where('entity_id', '=', entityId)
      .orderBy('seq')
      .execute();
  const orderRow = (id: string) =>
    s.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const balance = async (itemId: string, loc: string, batch: string | null) => {
    const r = await s.db
      .selectFrom('balances')
      .selectAll()
      .where('tenant_id', '=', 'acme')
      .where('id', '=', balanceId(itemId, loc, batch))
      .executeTakeFirst();
    return r ? { quantity: Number(r.quantity), expiresAt: r.expires_at } : null;
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: ITEMS } });
    for (const u of ['op.acme', 'fin.acme', 'aud.acme', 'mgr', 'admin.acme', 'op.globex'])
      tokens[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('serves the site-wide locations to any signed-in user, and nobody else', async () => {
    const r = await api<LocationsResponse>(s.url, '/api/locations', { token: tokens['op.globex'] });
    expect(r.status).toBe(200);
    expect(r.body.warehouses).toEqual([{ id: 'WH1', name: 'Main warehouse' }]);
    const ids = r.body.locations.map((l) => l.id);
    for (const id of ['RCV-01', 'A-01-01', BIN1, 'STG-01', 'SHP-01']) expect(ids).toContain(id);
    for (const l of r.body.locations) LocationDoc.parse(l);
    const staging = await api<LocationsResponse>(s.url, '/api/locations?kind=staging', {
      token: tokens['mgr'],
    });
    expect(staging.body.locations.map((l) => l.id)).toEqual(['STG-01']);
    expect((await api(s.url, '/api/locations')).status).toBe(401);
    expect((await api(s.url, '/api/locations?kind=attic', { token: tokens['mgr'] })).status).toBe(400);
    // The same reference data replicates into every tenant partition.
    const pulled = await pullAll('op.acme', 'locations');
    expect(pulled.map((l) => l.id).sort()).toEqual([...ids].sort());
  });

  it("pulls only the tenant's own receipts and orders; a foreign tenant's never appear", async () => {
    const orders = await pullAll('mgr', 'orders');
    expect(orders.map((o) => o.id)).toContain(ACME_ORDER);
    expect(orders.map((o) => o.id)).not.toContain(GLOBEX_ORDER);
    for (const o of orders) {
      expect(o.tenantId).toBe('acme');
      OrderDoc.parse(o);
    }
    const receipts = await pullAll('op.acme', 'receipts');
    expect(receipts).toHaveLength(1);
    expect(ReceiptDoc.parse(receipts[0]).reference).toBe('ASN-ACME-0001');
    const globex = await pullAll('mgr', 'orders', 'globex');
    expect(globex.map((o) => o.id)).toEqual([GLOBEX_ORDER]);
    expect(JSON.stringify(globex)).not.toContain('Zhang Wei');
    // No membership in acme: refused, nothing served.
    const foreign = await api(s.url, '/api/t/acme/sync/orders/pull', { token: tokens['op.globex'] });
    expect(foreign.status).toBe(403);
    expect(JSON.stringify(foreign.body)).not.toContain(ACME_ORDER);
  });

  it('customer fields reach each role only as the policy allows (masked, hidden or readable)', async () => {
    const byUser = async (u: string) => (await pullAll(u, 'orders')).find((o) => o.id === ACME_ORDER) ?? {};
    const aud = await byUser('aud.acme');
    expect(aud).toMatchObject({
      customerName: MASKED,
      customerPhone: MASKED,
      customerEmail: MASKED,
      shipTo: MASKED,
    });
    const fin = await byUser('fin.acme');
    for (const f of ['customerName', 'customerPhone', 'customerEmail', 'shipTo'])
      expect(Object.keys(fin)).not.toContain(f);
    expect(fin['status']).toBe('open');
    const op = await byUser('op.acme');
    expect(op['customerName']).toBe('Zhang Wei');
    expect(op['shipTo']).toMatchObject({ city: 'Shanghai' });
    expect(Object.keys(op)).not.toContain('customerPhone');
    expect(Object.keys(op)).not.toContain('customerEmail');
    const mgr = await byUser('mgr');
    expect(mgr['customerPhone']).toBe('+86 21 5555 0101');
    for (const [u, secret] of [
      ['aud.acme', 'Shanghai'],
      ['fin.acme', 'Zhang'],
      ['op.acme', '5555 0101'],
    ] as const)
      expect(JSON.stringify(await pullAll(u, 'orders'))).not.toContain(secret);
  });

  it('creates orders with an audit entry per change; operators may not write customer data', async () => {
    const o = order();
    const ok = await push('mgr', 'orders', [{ newDocumentState: o, assumedMasterState: null }], {
      action: 'create',
    });
    expect(ok.body).toMatchObject({ conflicts: [], rejections: [] });
    const row = await orderRow(o.id);
    expect(row).toMatchObject({
      tenant_id: 'acme',
      number: o.number,
      customer_phone: o.customerPhone,
      status: 'open',
    });
    const entries = await auditRows(o.id);
    expect(entries.map((e) => [e.entity, e.action, e.actor_id])).toEqual([
      ['orders', 'create', demoUserId('mgr')],
    ]);

    const byOp = order();
    const refused = await push('op.acme', 'orders', [{ newDocumentState: byOp, assumedMasterState: null }], {
      action: 'create',
    });
    expect(refused.body.rejections).toEqual([
      { id: byOp.id, code: 'forbidden', reason: expect.stringContaining('customer') as string },
    ]);
    expect(
      await s.db.selectFrom('orders').select('id').where('id', '=', byOp.id).executeTakeFirst(),
    ).toBeUndefined();
    // A duplicate number is refused, not a database error.
    const dup = order({ number: o.number.toLowerCase() });
    const again = await push('mgr', 'orders', [{ newDocumentState: dup, assumedMasterState: null }], {
      action: 'create',
    });
    expect(again.status).toBe(200);
    expect(again.body.rejections[0]).toMatchObject({ id: dup.id, code: 'invalid' });
    // Without its audit entry nothing is stored.
    const bare = order();
    const noAudit = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/orders/push', {
      token: tokens['mgr'],
      body: { changes: [{ newDocumentState: bare, assumedMasterState: null }], audit: [] },
    });
    expect(noAudit.body.rejections[0]).toMatchObject({ code: 'audit-missing' });
  });

  it("an operator's status change keeps the customer fields it cannot see (I3); stale edits conflict", async () => {
    const o = order();
    await push('mgr', 'orders', [{ newDocumentState: o, assumedMasterState: null }], { action: 'create' });
    const seen = (await pullAll('op.acme', 'orders')).find((x) => x.id === o.id)!;
    expect(Object.keys(seen)).not.toContain('customerPhone');
    const ok = await push('op.acme', 'orders', [
      { newDocumentState: { ...seen, status: 'picking' }, assumedMasterState: seen },
    ]);
    expect(ok.body).toMatchObject({ conflicts: [], rejections: [] });
    const row = await orderRow(o.id);
    expect(row.status).toBe('picking');
    // The answer names the version the push made (the PC compares it with what it pulled meanwhile).
    expect(ok.body.accepted).toEqual([{ id: o.id, seq: Number(row.seq) }]);
    expect(row.customer_phone).toBe(o.customerPhone);
    expect(row.customer_email).toBe(o.customerEmail);
    // The operator still holds the old master: its next edit conflicts and gets the projected master.
    const stale = await push('op.acme', 'orders', [
      { newDocumentState: { ...seen, status: 'packed' }, assumedMasterState: seen },
    ]);
    expect(stale.body.rejections).toEqual([]);
    expect(stale.body.conflicts).toHaveLength(1);
    expect(stale.body.conflicts[0]).toMatchObject({ id: o.id, status: 'picking' });
    expect(Object.keys(stale.body.conflicts[0] ?? {})).not.toContain('customerPhone');
    expect((await orderRow(o.id)).status).toBe('picking');
    // A shipped order cannot be reopened; status rules hold on the server.
    const fresh = (await pullAll('op.acme', 'orders')).find((x) => x.id === o.id)!;
    const back = await push('op.acme', 'orders', [
      { newDocumentState: { ...fresh, status: 'shipped' }, assumedMasterState: fresh },
    ]);
    expect(back.body.rejections[0]).toMatchObject({ code: 'invalid' });
  });

  it('an order created and picked on one PC before it first synced arrives picking: one create entry folds both', async () => {
    // Seed 920000049 of the fault schedules: the manager created an order offline, picked it,
    // and the server refused the whole order as "a new order starts open" (filed, never stored).
    const o = order({ status: 'picking' });
    const create = auditEntry(demoUserId('mgr'), 'orders', o.id, { action: 'create' });
    const pick = auditEntry(demoUserId('mgr'), 'orders', o.id, { action: 'update', reason: 'picking' });
    const r = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/orders/push', {
      token: tokens['mgr'],
      body: { changes: [{ newDocumentState: o, assumedMasterState: null }], audit: [create, pick] },
    });
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    expect((await orderRow(o.id)).status).toBe('picking');
    const rows = await auditRows(o.id);
    expect(rows.map((e) => [e.id, e.action])).toEqual([[pick.id, 'create']]);
    expect(rows[0]?.reason).toContain(create.id);
    // Created already cancelled: the cancellation still needs its confirmation.
    const gone = order({ status: 'cancelled' });
    const bare = await push('mgr', 'orders', [{ newDocumentState: gone, assumedMasterState: null }], {
      action: 'create',
    });
    expect(bare.body.rejections[0]).toMatchObject({ id: gone.id, code: 'confirmation-required' });
    expect(
      await s.db.selectFrom('orders').select('id').where('id', '=', gone.id).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('cancellation without a confirmation is rejected; with the retyped number it is audited', async () => {
    const master = (await pullAll('mgr', 'orders')).find((x) => x.id === ACME_ORDER)!;
    const cancel = { ...master, status: 'cancelled' };
    const bare = await push('mgr', 'orders', [{ newDocumentState: cancel, assumedMasterState: master }]);
    expect(bare.body.rejections).toEqual([
      { id: ACME_ORDER, code: 'confirmation-required', reason: expect.any(String) as string },
    ]);
    expect(bare.body.conflicts[0]).toMatchObject({ id: ACME_ORDER, status: 'open' });
    expect((await orderRow(ACME_ORDER)).status).toBe('open');
    const wrong = await push('mgr', 'orders', [{ newDocumentState: cancel, assumedMasterState: master }], {
      confirmation: { typed: 'SO-ACME-0002', reason: 'customer withdrew' },
    });
    expect(wrong.body.rejections[0]?.code).toBe('confirmation-invalid');
    const ok = await push('mgr', 'orders', [{ newDocumentState: cancel, assumedMasterState: master }], {
      reason: 'customer withdrew',
      confirmation: { typed: 'so-acme-0001', reason: 'customer withdrew' },
    });
    expect(ok.body.rejections).toEqual([]);
    expect((await orderRow(ACME_ORDER)).status).toBe('cancelled');
    const last = (await auditRows(ACME_ORDER)).at(-1);
    expect(last).toMatchObject({ action: 'update', reason: 'customer withdrew' });
    expect(last?.confirmation).toMatchObject({ typed: 'so-acme-0001' });
  });

  it('receipts: create, receive against them with batch, expiry and refId; balances keep the expiry', async () => {
    const r: ReceiptDoc = {
      id: randomUUID(),
      tenantId: 'acme',
      reference: 'ASN-T-1',
      supplier: 'Dairy',
      expectedAt: '2026-12-01',
      status: 'open',
      lines: [{ lineId: '1', itemId: ITEM2, expectedQty: 10 }],
      updatedAt: new Date().toISOString(),
      seq: 0,
    };
    const created = await push('op.acme', 'receipts', [{ newDocumentState: r, assumedMasterState: null }], {
      action: 'create',
    });
    expect(created.body).toMatchObject({ conflicts: [], rejections: [] });
    const m = movement({ itemId: ITEM2, batch: 'LOT-9', expiresAt: '2027-03-31', refId: r.id, quantity: 12 });
    const recv = await push('op.acme', 'movements', [{ newDocumentState: m }]);
    expect(recv.body.rejections).toEqual([]);
    const pulled = (await pullAll('op.acme', 'movements')).find((x) => x.id === m.id)!;
    expect(MovementDoc.parse(pulled)).toMatchObject({ refId: r.id, expiresAt: '2027-03-31', batch: 'LOT-9' });
    expect(await balance(ITEM2, 'RCV-01', 'LOT-9')).toEqual({ quantity: 12, expiresAt: '2027-03-31' });
    // Put away without restating the expiry: the destination balance inherits the batch's expiry.
    const put = movement({
      itemId: ITEM2,
      type: 'putaway',
      fromLocationId: 'RCV-01',
      toLocationId: 'A-05-05',
      batch: 'LOT-9',
      quantity: 12,
    });
    expect((await push('op.acme', 'movements', [{ newDocumentState: put }])).body.rejections).toEqual([]);
    expect(await balance(ITEM2, 'A-05-05', 'LOT-9')).toEqual({ quantity: 12, expiresAt: '2027-03-31' });
    const bal = (await pullAll('op.acme', 'balances')).find(
      (b) => b.id === balanceId(ITEM2, 'A-05-05', 'LOT-9'),
    );
    expect(bal?.expiresAt).toBe('2027-03-31');
    // Finance may read receipts but not write them.
    const fin = await push(
      'fin.acme',
      'receipts',
      [{ newDocumentState: { ...r, id: randomUUID() }, assumedMasterState: null }],
      {
        action: 'create',
      },
    );
    expect(fin.body.rejections[0]?.code).toBe('forbidden');
  });

  it('a pick, ship, transfer or put-away that would make stock negative is rejected; a confirmed adjustment is not', async () => {
    const before = await balance(ITEM1, BIN1, null);
    expect(before?.quantity).toBe(17);
    const pick = movement({
      type: 'pick',
      fromLocationId: BIN1,
      toLocationId: 'STG-01',
      quantity: 18,
      refId: ACME_ORDER,
    });
    const r = await push('op.acme', 'movements', [{ newDocumentState: pick }]);
    expect(r.body.rejections).toEqual([
      { id: pick.id, code: 'insufficient-stock', reason: expect.stringContaining('17') as string },
    ]);
    expect(await balance(ITEM1, BIN1, null)).toEqual(before);
    expect(await balance(ITEM1, 'STG-01', null)).toBeNull();
    // Within one push the running balance counts: 10 then 8 of 17 → the second is refused.
    const a = movement({ type: 'transfer', fromLocationId: BIN1, toLocationId: 'A-07-07', quantity: 10 });
    const b = movement({ type: 'ship', fromLocationId: BIN1, toLocationId: null, quantity: 8 });
    const two = await push('op.acme', 'movements', [{ newDocumentState: a }, { newDocumentState: b }]);
    expect(two.body.rejections.map((x) => [x.id, x.code])).toEqual([[b.id, 'insufficient-stock']]);
    expect((await balance(ITEM1, BIN1, null))?.quantity).toBe(7);
    // A batch that was never here is nothing to take.
    const ghost = movement({
      type: 'putaway',
      fromLocationId: BIN1,
      toLocationId: 'A-07-08',
      quantity: 1,
      batch: 'NOPE',
    });
    expect((await push('op.acme', 'movements', [{ newDocumentState: ghost }])).body.rejections[0]?.code).toBe(
      'insufficient-stock',
    );
    // An adjustment is a confirmed correction: it may take the balance below zero.
    const adj = movement({ type: 'adjustment', fromLocationId: BIN1, toLocationId: null, quantity: 9 });
    const noConf = await push('mgr', 'movements', [{ newDocumentState: adj }]);
    expect(noConf.body.rejections[0]?.code).toBe('confirmation-required');
    const conf = await push('mgr', 'movements', [{ newDocumentState: adj }], {
      confirmation: { typed: 'ACME-000001', reason: 'found damaged' },
    });
    expect(conf.body.rejections).toEqual([]);
    expect((await balance(ITEM1, BIN1, null))?.quantity).toBe(-2);
    // Each accepted movement has exactly one audit entry; refused ones none.
    expect(await auditRows(pick.id)).toHaveLength(0);
    expect(await auditRows(a.id)).toHaveLength(1);
    expect(await auditRows(adj.id)).toHaveLength(1);
  });

  it('an order ships what was picked for it, once: a second shipment of it is refused (soak seed 980000124)', async () => {
    const bin = demoBinOf(7);
    const order = randomUUID();
    const at = (over: Partial<MovementDoc>) => movement({ itemId: ITEM2, ...over });
    const ok = async (user: string, ms: MovementDoc[], over: Partial<ClientAuditEntry> = {}) => {
      const r = await push(
        user,
        'movements',
        ms.map((m) => ({ newDocumentState: m })),
        over,
      );
      expect(r.body.rejections).toEqual([]);
    };
    await ok('op.acme', [at({ quantity: 20, toLocationId: bin })]);
    const pick1 = at({
      type: 'pick',
      fromLocationId: bin,
      toLocationId: 'STG-01',
      quantity: 4,
      refId: order,
    });
    // Another order's picks keep the staging lane stocked: only the order's own picks limit it.
    const other = at({
      type: 'pick',
      fromLocationId: bin,
      toLocationId: 'STG-01',
      quantity: 9,
      refId: randomUUID(),
    });
    await ok('op.acme', [pick1, other]);
    const ship = (quantity: number) =>
      at({ type: 'ship', fromLocationId: 'STG-01', toLocationId: null, quantity, refId: order });
    await ok('op.acme', [ship(3)]);
    // A second PC ships the same order (it saw it packed before the first shipment reached it).
    const twice = ship(3);
    const r = await push('mgr', 'movements', [{ newDocumentState: twice }]);
    expect(r.body.rejections).toEqual([
      {
        id: twice.id,
        code: 'invalid',
        reason: `order ${order} has 1 of this item picked and not shipped, not 3`,
      },
    ]);
    expect(await auditRows(twice.id)).toHaveLength(0);
    // Picked and shipped in one push: the pick counts for the shipment after it.
    await ok('op.acme', [
      at({ type: 'pick', fromLocationId: bin, toLocationId: 'STG-01', quantity: 2, refId: order }),
      ship(3),
    ]);
    // A reversed pick is no longer there to ship; a reversed shipment is again.
    await ok(
      'mgr',
      [
        at({
          type: 'adjustment',
          fromLocationId: 'STG-01',
          toLocationId: bin,
          quantity: 4,
          reversalOf: pick1.id,
        }),
      ],
      {
        action: 'rollback',
        compensates: (await auditRows(pick1.id))[0]?.id ?? null,
        confirmation: { typed: 'ACME-000002', reason: 'picked from the wrong bin' },
      },
    );
    const none = ship(1);
    expect((await push('op.acme', 'movements', [{ newDocumentState: none }])).body.rejections).toEqual([
      {
        id: none.id,
        code: 'invalid',
        reason: `order ${order} has 0 of this item picked and not shipped, not 1`,
      },
    ]);
  });
});

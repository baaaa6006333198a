import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRxDatabase, addRxPlugin } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { wrappedKeyEncryptionCryptoJsStorage } from 'rxdb/plugins/encryption-crypto-js';
import { DEFAULT_TENANT_SETTINGS, type Role } from '../../../shared/access/policy.js';
import { ClientAuditEntry } from '../../../shared/audit/entry.js';
import type { Confirmation } from '../../../shared/audit/chain.js';
import { OrderDoc, ReceiptDoc, receiptProgress } from '../../../shared/domain/floor.js';
import { MovementDoc, type BalanceDoc } from '../../../shared/domain/schemas.js';
import type { TenantCollections, TenantDatabase } from '../../../renderer/data/database.js';
import {
  balanceSchema,
  encryptSensitive,
  itemSchema,
  locationSchema,
  MIGRATIONS,
  movementSchema,
  orderSchema,
  receiptSchema,
  schemaForRole,
} from '../../../renderer/data/schemas.js';

// The floor API reads the open partition and the actor from the workspace; the test supplies both.
vi.mock('../../../renderer/data/workspace.js', () => ({
  useWorkspace: { getState: () => ({ db: null, tenantId: null }) },
  currentActor: () => ({ userId: 'u-op', deviceId: 'pc-1' }),
}));

const floor = await import('../../../renderer/data/floor.js');
const { FloorError } = floor;

addRxPlugin(RxDBDevModePlugin);
addRxPlugin(RxDBMigrationSchemaPlugin);

let n = 0;
async function openDb(role: Role): Promise<TenantDatabase> {
  const db = await createRxDatabase<TenantCollections>({
    name: `floortest${++n}`,
    storage: wrappedKeyEncryptionCryptoJsStorage({
      storage: wrappedValidateAjvStorage({ storage: getRxStorageMemory() }),
    }),
    password: 'a-test-data-key-of-some-length',
    multiInstance: false,
  });
  await db.addCollections({
    items: {
      schema: encryptSensitive(schemaForRole(itemSchema, 'items', role), 'items'),
      migrationStrategies: MIGRATIONS.items,
    },
    movements: {
      schema: schemaForRole(movementSchema, 'movements', role),
      migrationStrategies: MIGRATIONS.movements,
    },
    balances: {
      schema: schemaForRole(balanceSchema, 'balances', role),
      migrationStrategies: MIGRATIONS.balances,
    },
    receipts: { schema: schemaForRole(receiptSchema, 'receipts', role) },
    orders: { schema: encryptSensitive(schemaForRole(orderSchema, 'orders', role), 'orders') },
    locations: { schema: locationSchema },
  });
  await db.locations.bulkInsert(
    ['RCV-01', 'A-01-01', 'A-01-02', 'STG-01', 'SHP-01'].map((id, i) => ({
      id,
      warehouseId: 'W1',
      name: id,
      barcode: `LOC-${id}`,
      kind: id.startsWith('RCV')
        ? 'receiving'
        : id.startsWith('STG')
          ? 'staging'
          : id.startsWith('SHP')
            ? 'shipping'
            : 'storage',
      seq: i + 1,
    })),
  );
  return db;
}

const ctxFor = (db: TenantDatabase, role: Role, cosignAboveQuantity: number | null = 1000) => ({
  db,
  tenantId: 'acme',
  actor: { userId: 'u-op', deviceId: 'pc-1' },
  role,
  settings: { ...DEFAULT_TENANT_SETTINGS, cosignAboveQuantity },
  today: '2026-11-26',
});

const confirm = (typed: string, cosign = false): Confirmation => ({
  typed,
  reason: 'cycle count',
  cosign: cosign ? { userId: 'u-mgr', at: '2026-11-26T10:00:00.000Z', signature: 'a'.repeat(64) } : null,
});

/** Pending audit entries of a stored document (they ride in the same write as the change). */
async function pendingOf(
  db: TenantDatabase,
  collection: 'items' | 'movements' | 'orders' | 'receipts',
  id: string,
) {
  const d = await (db[collection] as TenantDatabase['items']).findOne(id).exec();
  return ((d?.toJSON() as { pendingAudit?: unknown[] }).pendingAudit ?? []).map((e) =>
    ClientAuditEntry.parse(e),
  );
}

let db: TenantDatabase;
afterEach(async () => {
  await db.close();
});

describe('master data', () => {
  beforeEach(async () => {
    db = await openDb('admin');
  });

  it('creates an item with its audit entry; a duplicate SKU is refused', async () => {
    const ctx = ctxFor(db, 'admin');
    const item = await floor.createItem(ctx, {
      sku: 'MILK-1',
      name: 'Milk',
      uom: 'pc',
      batchTracked: true,
      purchasePrice: 1.2,
    });
    expect((await pendingOf(db, 'items', item.id)).map((e) => e.action)).toEqual(['create']);
    await expect(floor.createItem(ctx, { sku: 'milk-1', name: 'Again', uom: 'pc' })).rejects.toMatchObject({
      code: 'duplicate-sku',
    });
  });

  it('imports all rows or none', async () => {
    const ctx = ctxFor(db, 'admin');
    const row = (sku: string, barcode: string | null = null) => ({
      sku,
      name: sku,
      uom: 'pc',
      barcode,
      barcodes: [],
      lengthCm: null,
      widthCm: null,
      heightCm: null,
      weightKg: null,
      batchTracked: false,
      expiryTracked: false,
      minStock: null,
      purchasePrice: null,
    });
    await floor.createItem(ctx, { sku: 'OLD', name: 'Old', uom: 'pc', barcode: '42' });
    const bad = await floor.importItems(ctx, [row('A'), row('B', '42'), row('C')]);
    expect(bad.imported).toBe(0);
    expect(bad.errors).toEqual([{ row: 3, field: 'barcode', message: 'barcode "42" already exists' }]);
    expect(await db.items.count().exec()).toBe(1);
    const progress: number[] = [];
    const good = await floor.importItems(ctx, [row('A'), row('B'), row('C')], (done) => progress.push(done));
    expect(good).toEqual({ imported: 3, errors: [] });
    expect(progress).toEqual([0, 3]);
    expect(await db.items.count().exec()).toBe(4);
  });

  it('a manager may not import purchase prices; an operator may not create items', async () => {
    await db.close();
    db = await openDb('manager');
    const res = await floor.importItems(ctxFor(db, 'manager'), [
      {
        sku: 'P',
        name: 'P',
        uom: 'pc',
        barcode: null,
        barcodes: [],
        lengthCm: null,
        widthCm: null,
        heightCm: null,
        weightKg: null,
        batchTracked: false,
        expiryTracked: false,
        minStock: null,
        purchasePrice: 3,
      },
    ]);
    expect(res.errors.map((e) => e.field)).toEqual(['purchasePrice']);
    await expect(
      floor.createItem(ctxFor(db, 'operator'), { sku: 'X', name: 'X', uom: 'pc' }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
  });
});

describe('receive → put away → pick → pack → ship', () => {
  beforeEach(async () => {
    db = await openDb('admin');
  });

  it('runs the whole flow on the ledger, with refIds, expiry and status changes', async () => {
    const ctx = ctxFor(db, 'admin');
    const milk = await floor.createItem(ctx, {
      sku: 'MILK-1',
      name: 'Milk',
      uom: 'pc',
      batchTracked: true,
      expiryTracked: true,
    });
    const asn = await floor.createReceipt(ctx, {
      reference: 'ASN-1',
      supplier: 'Dairy',
      expectedAt: '2026-11-27',
      lines: [{ itemId: milk.id, expectedQty: 10 }],
    });
    expect(ReceiptDoc.parse(asn).status).toBe('open');

    await expect(
      floor.receiveLine(ctx, {
        receiptId: asn.id,
        itemId: milk.id,
        qty: 4,
        batch: null,
        expiresAt: null,
        locationId: 'RCV-01',
      }),
    ).rejects.toMatchObject({ code: 'batch-required' });
    await expect(
      floor.receiveLine(ctx, {
        receiptId: asn.id,
        itemId: milk.id,
        qty: 4,
        batch: 'L1',
        expiresAt: '2027-01-31',
        locationId: 'NOPE',
      }),
    ).rejects.toMatchObject({ code: 'unknown-location' });

    const r1 = await floor.receiveLine(ctx, {
      receiptId: asn.id,
      itemId: milk.id,
      qty: 6,
      batch: 'L1',
      expiresAt: '2027-01-31',
      locationId: 'RCV-01',
    });
    const r2 = await floor.receiveLine(ctx, {
      receiptId: asn.id,
      itemId: milk.id,
      qty: 3,
      batch: 'L2',
      expiresAt: '2026-12-10',
      locationId: 'RCV-01',
    });
    expect(MovementDoc.parse(r1)).toMatchObject({ type: 'receipt', refId: asn.id, expiresAt: '2027-01-31' });
    expect((await db.receipts.findOne(asn.id).exec())?.status).toBe('receiving');
    const progress = receiptProgress(asn, await floor.readMovementsOf(db, asn.id));
    expect(progress.lines[0]).toMatchObject({ received: 9, short: 1, state: 'partial' });
    expect((await pendingOf(db, 'movements', r2.id))[0]?.action).toBe('create');

    // Put away: more than is there is refused; the batch's expiry travels with it.
    await expect(
      floor.putAway(ctx, { itemId: milk.id, batch: 'L1', from: 'RCV-01', to: 'A-01-01', qty: 7 }),
    ).rejects.toMatchObject({ code: 'insufficient-stock', details: { available: 6 } });
    const p1 = await floor.putAway(ctx, {
      itemId: milk.id,
      batch: 'L1',
      from: 'RCV-01',
      to: 'A-01-01',
      qty: 6,
    });
    await floor.putAway(ctx, { itemId: milk.id, batch: 'L2', from: 'RCV-01', to: 'A-01-02', qty: 3 });
    expect(p1.expiresAt).toBe('2027-01-31');
    const stock = await floor.readStock(db, { itemId: milk.id });
    expect(stock.map((r) => [r.locationId, r.batch, r.quantity, r.expiresAt])).toEqual([
      ['A-01-01', 'L1', 6, '2027-01-31'],
      ['A-01-02', 'L2', 3, '2026-12-10'],
    ]);

    const order = await floor.createOrder(ctx, {
      number: 'SO-1',
      customerName: 'Zhang Wei',
      customerPhone: '+86 21 5555 0100',
      customerEmail: null,
      shipTo: { line1: '1 Road', line2: null, city: 'Shanghai', postalCode: '200000', country: 'CN' },
      lines: [{ itemId: milk.id, qty: 5 }],
    });
    expect(OrderDoc.parse(order).status).toBe('open');
    await expect(
      floor.createOrder(ctx, {
        number: 'so-1',
        customerName: 'Other',
        shipTo: { line1: 'x', line2: null, city: 'y', postalCode: null, country: 'CN' },
        lines: [{ itemId: milk.id, qty: 1 }],
      }),
    ).rejects.toMatchObject({
      code: 'duplicate-number',
    });

    // FEFO: the batch expiring first (L2) is suggested first.
    const [sugg] = await floor.suggestPicks(ctx, order.id);
    expect(sugg?.suggestion.picks).toEqual([
      { locationId: 'A-01-02', batch: 'L2', expiresAt: '2026-12-10', quantity: 3 },
      { locationId: 'A-01-01', batch: 'L1', expiresAt: '2027-01-31', quantity: 2 },
    ]);

    await expect(floor.packOrder(ctx, order.id)).rejects.toMatchObject({ code: 'not-fully-picked' });
    await floor.pickLine(ctx, { orderId: order.id, itemId: milk.id, batch: 'L2', from: 'A-01-02', qty: 3 });
    expect((await db.orders.findOne(order.id).exec())?.status).toBe('picking');
    await expect(
      floor.pickLine(ctx, { orderId: order.id, itemId: milk.id, batch: 'L1', from: 'A-01-01', qty: 3 }),
    ).rejects.toMatchObject({ code: 'invalid', details: { remaining: 2 } });
    await floor.pickLine(ctx, { orderId: order.id, itemId: milk.id, batch: 'L1', from: 'A-01-01', qty: 2 });
    await expect(floor.shipOrder(ctx, order.id)).rejects.toMatchObject({ code: 'bad-status' });
    await floor.packOrder(ctx, order.id);
    const shipped = await floor.shipOrder(ctx, order.id);
    expect(shipped.order.status).toBe('shipped');
    expect(
      shipped.movements
        .map((m) => [m.type, m.fromLocationId, m.toLocationId, m.batch, m.quantity, m.refId])
        .sort((x, y) => String(x[3]).localeCompare(String(y[3]))),
    ).toEqual([
      ['ship', 'STG-01', null, 'L1', 2, order.id],
      ['ship', 'STG-01', null, 'L2', 3, order.id],
    ]);
    const after = await floor.readStock(db, { itemId: milk.id });
    expect(after.map((r) => [r.locationId, r.batch, r.quantity])).toEqual([['A-01-01', 'L1', 4]]);
    // Every status change carried its own audit entry.
    expect((await pendingOf(db, 'orders', order.id)).map((e) => e.action)).toEqual([
      'create',
      'update',
      'update',
      'update',
    ]);
    // A shipped order cannot be cancelled.
    await expect(floor.cancelOrder(ctx, order.id, confirm('SO-1'))).rejects.toMatchObject({
      code: 'bad-status',
    });
  });

  it('server balances and unsynced movements add up; a balance that reflects a movement is not counted twice', async () => {
    const ctx = ctxFor(db, 'admin');
    const item = await floor.createItem(ctx, { sku: 'B', name: 'B', uom: 'pc' });
    const bal: BalanceDoc = {
      id: `${item.id}|A-01-01|`,
      tenantId: 'acme',
      itemId: item.id,
      locationId: 'A-01-01',
      batch: null,
      quantity: 10,
      updatedAt: '2026-11-26T10:00:00.000Z',
      seq: 7,
    };
    const { _deleted: _d, ...stored } = bal;
    await db.balances.insert(stored);
    await floor.transfer(ctx, { itemId: item.id, batch: null, from: 'A-01-01', to: 'A-01-02', qty: 4 });
    const rows = await floor.readStock(db, { itemId: item.id });
    expect(rows.map((r) => [r.locationId, r.quantity])).toEqual([
      ['A-01-01', 6],
      ['A-01-02', 4],
    ]);
    await expect(
      floor.transfer(ctx, { itemId: item.id, batch: null, from: 'A-01-01', to: 'A-01-02', qty: 7 }),
    ).rejects.toMatchObject({ code: 'insufficient-stock' });
    // A movement the balance already reflects (seq ≤ the balance's) is not added again.
    await db.movements.insert({
      id: '00000000-0000-4000-8000-0000000000aa',
      tenantId: 'acme',
      itemId: item.id,
      type: 'receipt',
      quantity: 10,
      fromLocationId: null,
      toLocationId: 'A-01-01',
      batch: null,
      note: null,
      reversalOf: null,
      createdAt: '2026-11-26T09:00:00.000Z',
      createdBy: 'u-op',
      deviceId: 'pc-1',
      seq: 5,
    });
    expect((await floor.readStock(db, { locationId: 'A-01-01' })).map((r) => r.quantity)).toEqual([6]);
  });
});

describe('cancellation and counts', () => {
  beforeEach(async () => {
    db = await openDb('manager');
  });

  it('cancelling an order needs the retyped number; the confirmation rides in the audit entry', async () => {
    const ctx = ctxFor(db, 'manager');
    const item = await floor.createItem(ctx, { sku: 'X', name: 'X', uom: 'pc' });
    const order = await floor.createOrder(ctx, {
      number: 'SO-9',
      customerName: 'C',
      shipTo: { line1: 'l', line2: null, city: 'c', postalCode: null, country: 'DE' },
      lines: [{ itemId: item.id, qty: 1 }],
    });
    await expect(floor.cancelOrder(ctx, order.id, confirm('SO-8'))).rejects.toMatchObject({
      code: 'confirmation-mismatch',
    });
    expect((await db.orders.findOne(order.id).exec())?.status).toBe('open');
    const cancelled = await floor.cancelOrder(ctx, order.id, confirm('so-9'));
    expect(cancelled.status).toBe('cancelled');
    const entries = await pendingOf(db, 'orders', order.id);
    expect(entries[1]?.confirmation).toMatchObject({ typed: 'so-9', reason: 'cycle count' });
  });

  it('a count posts confirmed adjustments; above the threshold it needs a co-sign', async () => {
    const ctx = ctxFor(db, 'manager', 5);
    const item = await floor.createItem(ctx, { sku: 'CNT', name: 'Counted', uom: 'pc' });
    await floor.receiveLine(ctx, {
      receiptId: null,
      itemId: item.id,
      qty: 10,
      batch: 'B1',
      expiresAt: null,
      locationId: 'A-01-01',
    });
    await floor.receiveLine(ctx, {
      receiptId: null,
      itemId: item.id,
      qty: 2,
      batch: null,
      expiresAt: null,
      locationId: 'A-01-01',
    });

    const plan = await floor.planCount(ctx, { locationId: 'A-01-01' }, [
      { itemId: item.id, batch: 'B1', quantity: 3 },
    ]);
    expect(plan.map((d) => [d.batch, d.diff, d.needsCosign, d.identifying])).toEqual([
      [null, -2, false, 'CNT'],
      ['B1', -7, true, 'B1'],
    ]);
    // Without a co-sign for the big difference nothing at all is written.
    await expect(
      floor.countLocation(ctx, 'A-01-01', [{ itemId: item.id, batch: 'B1', quantity: 3 }], (d) =>
        Promise.resolve(confirm(d.identifying)),
      ),
    ).rejects.toMatchObject({ code: 'cosign-required' });
    expect((await floor.readStock(db, { locationId: 'A-01-01' })).map((r) => [r.batch, r.quantity])).toEqual([
      [null, 2],
      ['B1', 10],
    ]);
    const asked: string[] = [];
    const written = await floor.countLocation(
      ctx,
      'A-01-01',
      [{ itemId: item.id, batch: 'B1', quantity: 3 }],
      (d) => {
        asked.push(d.identifying);
        return Promise.resolve(confirm(d.identifying, d.needsCosign));
      },
    );
    expect(asked).toEqual(['CNT', 'B1']);
    expect(written.map((m) => [m.type, m.batch, m.quantity, m.fromLocationId, m.toLocationId])).toEqual([
      ['adjustment', null, 2, 'A-01-01', null],
      ['adjustment', 'B1', 7, 'A-01-01', null],
    ]);
    const entry = (await pendingOf(db, 'movements', written[1]!.id))[0];
    expect(entry?.confirmation?.typed).toBe('B1');
    expect((await floor.readStock(db, { locationId: 'A-01-01' })).map((r) => [r.batch, r.quantity])).toEqual([
      ['B1', 3],
    ]);
  });
});

describe('field visibility in the local database', () => {
  it('finance stores no customer fields; an auditor stores the masks', async () => {
    db = await openDb('finance');
    expect(Object.keys(db.orders.schema.jsonSchema.properties)).not.toContain('customerName');
    expect(Object.keys(db.orders.schema.jsonSchema.properties)).not.toContain('shipTo');
    await db.close();
    db = await openDb('auditor');
    await db.orders.insert({
      id: '00000000-0000-4000-8000-000000000001',
      tenantId: 'acme',
      number: 'SO-1',
      customerName: '•••',
      customerPhone: '•••',
      customerEmail: null,
      shipTo: '•••' as never,
      status: 'open',
      lines: [{ lineId: '1', itemId: '00000000-0000-4000-8000-000000000002', qty: 1 }],
      updatedAt: '2026-11-26T10:00:00.000Z',
      seq: 3,
    });
    expect((await db.orders.findOne('00000000-0000-4000-8000-000000000001').exec())?.shipTo).toBe('•••');
    expect(db.orders.schema.jsonSchema.encrypted).toEqual([
      'customerName',
      'customerPhone',
      'customerEmail',
      'shipTo',
    ]);
  });
  it('errors are FloorErrors with stable codes', () => {
    expect(new FloorError('forbidden', 'x').code).toBe('forbidden');
  });
});

describe('pack short', () => {
  beforeEach(async () => {
    db = await openDb('manager');
  });

  it('packs less than ordered only with the order number retyped; the audit entry states the shortage', async () => {
    const ctx = ctxFor(db, 'manager');
    const tea = await floor.createItem(ctx, { sku: 'TEA-1', name: 'Tea', uom: 'pc' });
    const asn = await floor.createReceipt(ctx, {
      reference: 'ASN-T',
      supplier: 'Leaves',
      expectedAt: '2026-11-27',
      lines: [{ itemId: tea.id, expectedQty: 3 }],
    });
    await floor.receiveLine(ctx, {
      receiptId: asn.id,
      itemId: tea.id,
      qty: 3,
      batch: null,
      expiresAt: null,
      locationId: 'RCV-01',
    });
    await floor.putAway(ctx, { itemId: tea.id, batch: null, from: 'RCV-01', to: 'A-01-01', qty: 3 });
    const order = await floor.createOrder(ctx, {
      number: 'SO-T',
      customerName: 'Li Na',
      shipTo: { line1: '2 Road', line2: null, city: 'Beijing', postalCode: null, country: 'CN' },
      lines: [{ itemId: tea.id, qty: 5 }],
    });
    await floor.pickLine(ctx, { orderId: order.id, itemId: tea.id, batch: null, from: 'A-01-01', qty: 3 });

    const status = async () => (await db.orders.findOne(order.id).exec())?.status;
    await expect(floor.packOrder(ctx, order.id)).rejects.toMatchObject({
      code: 'not-fully-picked',
      details: { lines: [{ qty: 5, picked: 3 }] },
    });
    await expect(floor.packOrder(ctx, order.id, { allowShort: true })).rejects.toMatchObject({
      code: 'confirmation-required',
    });
    await expect(
      floor.packOrder(ctx, order.id, { allowShort: true, confirmation: confirm('SO-X') }),
    ).rejects.toMatchObject({ code: 'confirmation-mismatch' });
    expect(await status()).toBe('picking');
    const entriesBefore = (await pendingOf(db, 'orders', order.id)).length;

    const packed = await floor.packOrder(ctx, order.id, {
      allowShort: true,
      confirmation: confirm(' so-t '),
    });
    expect(packed.status).toBe('packed');
    const entries = await pendingOf(db, 'orders', order.id);
    expect(entries).toHaveLength(entriesBefore + 1);
    expect(entries.at(-1)).toMatchObject({
      action: 'update',
      reason: 'packed short by 2: cycle count',
      confirmation: { typed: ' so-t ', reason: 'cycle count' },
    });

    // Shipping takes what was picked; the order line keeps saying 5.
    const shipped = await floor.shipOrder(ctx, order.id);
    expect(shipped.movements.map((m) => [m.type, m.quantity])).toEqual([['ship', 3]]);
    expect(shipped.order.lines[0]?.qty).toBe(5);
  });

  it('a fully picked order packs without any confirmation', async () => {
    const ctx = ctxFor(db, 'manager');
    const tea = await floor.createItem(ctx, { sku: 'TEA-2', name: 'Tea', uom: 'pc' });
    const asn = await floor.createReceipt(ctx, {
      reference: 'ASN-U',
      supplier: 'Leaves',
      expectedAt: '2026-11-27',
      lines: [{ itemId: tea.id, expectedQty: 2 }],
    });
    await floor.receiveLine(ctx, {
      receiptId: asn.id,
      itemId: tea.id,
      qty: 2,
      batch: null,
      expiresAt: null,
      locationId: 'RCV-01',
    });
    await floor.putAway(ctx, { itemId: tea.id, batch: null, from: 'RCV-01', to: 'A-01-01', qty: 2 });
    const order = await floor.createOrder(ctx, {
      number: 'SO-U',
      customerName: 'Li Na',
      shipTo: { line1: '2 Road', line2: null, city: 'Beijing', postalCode: null, country: 'CN' },
      lines: [{ itemId: tea.id, qty: 2 }],
    });
    await floor.pickLine(ctx, { orderId: order.id, itemId: tea.id, batch: null, from: 'A-01-01', qty: 2 });
    expect((await floor.packOrder(ctx, order.id, { allowShort: true })).status).toBe('packed');
    expect((await pendingOf(db, 'orders', order.id)).at(-1)?.confirmation ?? null).toBeNull();
  });
});

describe('editing an order (updateOrder)', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const shipTo = { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' };

  /** An order as it arrives from the server, with the numbered line ids of before. */
  async function storedOrder(items: string[], status: OrderDoc['status'] = 'open'): Promise<OrderDoc> {
    const doc: OrderDoc = {
      id: crypto.randomUUID(),
      tenantId: 'acme',
      number: `SO-${++n}`,
      customerName: 'Kim Retail',
      customerPhone: null,
      customerEmail: null,
      shipTo,
      status,
      lines: items.map((itemId, i) => ({ lineId: String(i + 1), itemId, qty: 5 })),
      updatedAt: '2026-11-26T10:00:00.000Z',
      seq: 7,
    };
    await db.orders.insert(doc);
    return doc;
  }
  const stored = async (id: string) => OrderDoc.parse(floor_plain(await db.orders.findOne(id).exec()));
  const floor_plain = (d: { toJSON(): unknown } | null) => {
    const { pendingAudit: _p, ...rest } = (d?.toJSON() ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('_')));
  };

  it('new orders and notices get random line ids, distinct on every PC', async () => {
    db = await openDb('manager');
    const ctx = ctxFor(db, 'manager');
    const a = await floor.createItem(ctx, { sku: 'A', name: 'A', uom: 'pc' });
    const b = await floor.createItem(ctx, { sku: 'B', name: 'B', uom: 'pc' });
    const lines = [
      { itemId: a.id, qty: 1 },
      { itemId: b.id, qty: 2 },
    ];
    const o1 = await floor.createOrder(ctx, { number: 'SO-A', customerName: 'C', shipTo, lines });
    const o2 = await floor.createOrder(ctx, { number: 'SO-B', customerName: 'C', shipTo, lines });
    const r = await floor.createReceipt(ctx, {
      reference: 'ASN-A',
      lines: lines.map((l) => ({ itemId: l.itemId, expectedQty: l.qty })),
    });
    const ids = [...o1.lines, ...o2.lines, ...r.lines].map((l) => l.lineId);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(6);
  });

  it('a manager changes customer, ship-to and lines in one audited write; old numbered ids stay', async () => {
    db = await openDb('manager');
    const ctx = ctxFor(db, 'manager');
    const a = await floor.createItem(ctx, { sku: 'A', name: 'A', uom: 'pc' });
    const b = await floor.createItem(ctx, { sku: 'B', name: 'B', uom: 'pc' });
    const c = await floor.createItem(ctx, { sku: 'C', name: 'C', uom: 'pc' });
    const order = await storedOrder([a.id, b.id]);

    const next = await floor.updateOrder(ctx, order.id, {
      customerName: ' Kim Retail BV ',
      customerPhone: '+31 10 123',
      shipTo: { ...shipTo, city: ' Utrecht ' },
      setQty: { '1': 3 },
      removeLines: ['2'],
      addLines: [{ itemId: c.id, qty: 4 }],
    });
    expect(next).toMatchObject({ customerName: 'Kim Retail BV', customerPhone: '+31 10 123' });
    expect(next.shipTo?.city).toBe('Utrecht');
    expect(next.lines.map((l) => [l.itemId, l.qty])).toEqual([
      [a.id, 3],
      [c.id, 4],
    ]);
    expect(next.lines[0]?.lineId).toBe('1');
    expect(next.lines[1]?.lineId).toMatch(UUID);
    expect(await stored(order.id)).toMatchObject({ lines: next.lines, customerName: 'Kim Retail BV' });
    const entries = await pendingOf(db, 'orders', order.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ entity: 'orders', entityId: order.id, action: 'update' });

    // Nothing changed: nothing written, no entry.
    await floor.updateOrder(ctx, order.id, { customerName: 'Kim Retail BV', setQty: { '1': 3 } });
    expect(await pendingOf(db, 'orders', order.id)).toHaveLength(1);
  });

  it('refuses invalid edits and writes nothing', async () => {
    db = await openDb('manager');
    const ctx = ctxFor(db, 'manager');
    const a = await floor.createItem(ctx, { sku: 'A', name: 'A', uom: 'pc' });
    const order = await storedOrder([a.id]);
    await expect(floor.updateOrder(ctx, order.id, { setQty: { '1': 0 } })).rejects.toMatchObject({
      code: 'invalid',
    });
    await expect(floor.updateOrder(ctx, order.id, { removeLines: ['1'] })).rejects.toMatchObject({
      code: 'invalid',
    });
    await expect(floor.updateOrder(ctx, order.id, { setQty: { '9': 2 } })).rejects.toMatchObject({
      code: 'invalid',
    });
    await expect(
      floor.updateOrder(ctx, order.id, { shipTo: { ...shipTo, city: ' ' } }),
    ).rejects.toMatchObject({ code: 'invalid' });
    await expect(
      floor.updateOrder(ctx, order.id, { addLines: [{ itemId: crypto.randomUUID(), qty: 1 }] }),
    ).rejects.toMatchObject({ code: 'not-found' });
    expect(await stored(order.id)).toEqual(order);
    expect(await pendingOf(db, 'orders', order.id)).toHaveLength(0);
  });

  it('lines of an order no longer open are fixed; a shipped or cancelled order takes no edit', async () => {
    db = await openDb('manager');
    const ctx = ctxFor(db, 'manager');
    const a = await floor.createItem(ctx, { sku: 'A', name: 'A', uom: 'pc' });
    const picking = await storedOrder([a.id], 'picking');
    await expect(floor.updateOrder(ctx, picking.id, { setQty: { '1': 9 } })).rejects.toMatchObject({
      code: 'bad-status',
    });
    await expect(
      floor.updateOrder(ctx, picking.id, { addLines: [{ itemId: a.id, qty: 1 }] }),
    ).rejects.toMatchObject({ code: 'bad-status' });
    expect(await stored(picking.id)).toEqual(picking);
    // The address of a picking order may still change.
    const moved = await floor.updateOrder(ctx, picking.id, { shipTo: { ...shipTo, city: 'Delft' } });
    expect(moved.shipTo?.city).toBe('Delft');
    for (const status of ['shipped', 'cancelled'] as const) {
      const done = await storedOrder([a.id], status);
      await expect(
        floor.updateOrder(ctx, done.id, { shipTo: { ...shipTo, city: 'Delft' } }),
      ).rejects.toMatchObject({ code: 'bad-status' });
      expect(await stored(done.id)).toEqual(done);
    }
  });

  it('a line cannot go below what is picked for its item (removing counts as 0)', async () => {
    db = await openDb('manager');
    const ctx = ctxFor(db, 'manager');
    const a = await floor.createItem(ctx, { sku: 'PICKED-A', name: 'A', uom: 'pc' });
    const b = await floor.createItem(ctx, { sku: 'B', name: 'B', uom: 'pc' });
    const order = await storedOrder([a.id, b.id]);
    // A pick from another PC arrived before the order's status change did (the order still open).
    await db.movements.insert(
      MovementDoc.parse({
        id: crypto.randomUUID(),
        tenantId: 'acme',
        itemId: a.id,
        type: 'pick',
        quantity: 3,
        fromLocationId: 'A-01-01',
        toLocationId: 'STG-01',
        batch: null,
        note: null,
        reversalOf: null,
        expiresAt: null,
        refId: order.id,
        createdAt: '2026-11-26T10:00:00.000Z',
        createdBy: 'u-other',
        deviceId: 'pc-2',
        seq: 11,
      }),
    );
    await expect(floor.updateOrder(ctx, order.id, { setQty: { '1': 2 } })).rejects.toMatchObject({
      code: 'below-picked',
      details: { sku: 'PICKED-A', picked: 3, qty: 2 },
    });
    await expect(floor.updateOrder(ctx, order.id, { removeLines: ['1'] })).rejects.toMatchObject({
      code: 'below-picked',
      details: { picked: 3, qty: 0 },
    });
    expect(await stored(order.id)).toEqual(order);
    expect(await pendingOf(db, 'orders', order.id)).toHaveLength(0);
    // Down to exactly what is picked is fine; so is removing the unpicked line.
    const next = await floor.updateOrder(ctx, order.id, { setQty: { '1': 3 }, removeLines: ['2'] });
    expect(next.lines).toEqual([{ lineId: '1', itemId: a.id, qty: 3 }]);
  });

  it('an operator may change lines but not customer fields', async () => {
    db = await openDb('operator');
    const ctx = ctxFor(db, 'operator');
    const itemId = crypto.randomUUID();
    await db.items.insert({
      id: itemId,
      tenantId: 'acme',
      sku: 'OP-1',
      name: 'Op item',
      uom: 'pc',
      barcode: null,
      barcodes: [],
      updatedAt: '2026-11-26T10:00:00.000Z',
      seq: 1,
    });
    const {
      customerPhone: _p,
      customerEmail: _e,
      ...visible
    } = {
      id: crypto.randomUUID(),
      tenantId: 'acme',
      number: 'SO-OP',
      customerName: 'Kim Retail',
      customerPhone: null,
      customerEmail: null,
      shipTo,
      status: 'open' as const,
      lines: [{ lineId: '1', itemId, qty: 5 }],
      updatedAt: '2026-11-26T10:00:00.000Z',
      seq: 7,
    };
    await db.orders.insert(visible);
    await expect(
      floor.updateOrder(ctx, visible.id, { shipTo: { ...shipTo, city: 'Delft' } }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { field: 'shipTo' } });
    await expect(floor.updateOrder(ctx, visible.id, { customerName: 'X' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    // Unchanged customer values are no change at all.
    const next = await floor.updateOrder(ctx, visible.id, { customerName: 'Kim Retail', setQty: { '1': 2 } });
    expect(next.lines[0]?.qty).toBe(2);
    expect(await pendingOf(db, 'orders', visible.id)).toHaveLength(1);
  });
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { DEFAULT_TENANT_SETTINGS, type FieldOverrides, type Role } from '../../../shared/access/policy.js';
import { ClientAuditEntry } from '../../../shared/audit/entry.js';
import { ReceiptDoc } from '../../../shared/domain/floor.js';
import type { TenantCollections, TenantDatabase } from '../../../renderer/data/database.js';
import type { ReceiptPatch } from '../../../renderer/data/floor.js';
import { resources } from '../../../renderer/i18n/index.js';
import {
  itemSchema,
  locationSchema,
  MIGRATIONS,
  movementSchema,
  receiptSchema,
  schemaForRole,
} from '../../../renderer/data/schemas.js';

/*
 * Editing an inbound notice after it was created (issue #5, `updateReceipt`): the server's rules
 * (server/sync/floor.ts judgeFloorDoc) applied on the PC, offline, with one audit entry per edit.
 */

// The floor API reads the open partition and the actor from the workspace; the test supplies both.
vi.mock('../../../renderer/data/workspace.js', () => ({
  useWorkspace: { getState: () => ({ db: null, tenantId: null }) },
  currentActor: () => ({ userId: 'u-clerk', deviceId: 'pc-1' }),
}));

const floor = await import('../../../renderer/data/floor.js');

addRxPlugin(RxDBDevModePlugin);
addRxPlugin(RxDBMigrationSchemaPlugin);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let n = 0;
let db: TenantDatabase;
afterEach(async () => {
  await db.close();
});

/** A partition with what receiving touches: items, movements, receipts, and the dock. */
async function open(role: Role): Promise<TenantDatabase> {
  db = await createRxDatabase<TenantCollections>({
    name: `receiptedit${++n}`,
    storage: wrappedValidateAjvStorage({ storage: getRxStorageMemory() }),
    multiInstance: false,
  });
  await db.addCollections({
    items: { schema: schemaForRole(itemSchema, 'items', role), migrationStrategies: MIGRATIONS.items },
    movements: {
      schema: schemaForRole(movementSchema, 'movements', role),
      migrationStrategies: MIGRATIONS.movements,
    },
    receipts: { schema: schemaForRole(receiptSchema, 'receipts', role) },
    locations: { schema: locationSchema },
  });
  await db.locations.insert({
    id: 'RCV-01',
    warehouseId: 'W1',
    name: 'Dock',
    barcode: 'L-R',
    seq: 1,
    kind: 'receiving',
  });
  return db;
}

const ctxFor = (role: Role, overrides?: FieldOverrides) => ({
  db,
  tenantId: 'acme',
  actor: { userId: 'u-clerk', deviceId: 'pc-1' },
  role,
  settings: DEFAULT_TENANT_SETTINGS,
  overrides,
  today: '2026-11-26',
});

async function item(sku: string): Promise<string> {
  const id = crypto.randomUUID();
  await db.items.insert({
    id,
    tenantId: 'acme',
    sku,
    name: sku,
    uom: 'pc',
    barcode: null,
    barcodes: [],
    updatedAt: '2026-11-26T10:00:00.000Z',
    seq: 1,
  });
  return id;
}

/** A notice as it arrives from the server (numbered line ids, 5 expected each). */
async function notice(itemIds: string[], status: ReceiptDoc['status'] = 'open'): Promise<ReceiptDoc> {
  const doc: ReceiptDoc = {
    id: crypto.randomUUID(),
    tenantId: 'acme',
    reference: `ASN-${++n}`,
    supplier: 'Dairy Co',
    expectedAt: '2026-11-30',
    status,
    lines: itemIds.map((itemId, i) => ({ lineId: String(i + 1), itemId, expectedQty: 5 })),
    updatedAt: '2026-11-26T10:00:00.000Z',
    seq: 7,
  };
  await db.receipts.insert(doc);
  return doc;
}

const stored = async (id: string) => {
  const raw = ((await db.receipts.findOne(id).exec())?.toJSON() ?? {}) as Record<string, unknown>;
  const { pendingAudit: _p, ...rest } = raw;
  return ReceiptDoc.parse(Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('_'))));
};
const entries = async (id: string) =>
  (((await db.receipts.findOne(id).exec())?.toJSON() as { pendingAudit?: unknown[] }).pendingAudit ?? []).map(
    (e) => ClientAuditEntry.parse(e),
  );

describe('editing an inbound notice (updateReceipt)', () => {
  it('changes header and lines in one audited write; old numbered line ids stay, new ones are random', async () => {
    await open('operator');
    const [a, b, c] = [await item('A'), await item('B'), await item('C')];
    const asn = await notice([a, b]);
    const next = await floor.updateReceipt(ctxFor('operator'), asn.id, {
      reference: ' ASN-NEW ',
      supplier: ' Fresh Farms ',
      expectedAt: '2026-12-02',
      setQty: { '1': 8 },
      removeLines: ['2'],
      addLines: [{ itemId: c, expectedQty: 3 }],
    });
    expect(next).toMatchObject({ reference: 'ASN-NEW', supplier: 'Fresh Farms', expectedAt: '2026-12-02' });
    expect(next.lines.map((l) => [l.itemId, l.expectedQty])).toEqual([
      [a, 8],
      [c, 3],
    ]);
    expect(next.lines[0]?.lineId).toBe('1');
    expect(next.lines[1]?.lineId).toMatch(UUID);
    expect(await stored(asn.id)).toMatchObject({ reference: 'ASN-NEW', lines: next.lines, status: 'open' });
    const audit = await entries(asn.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ entity: 'receipts', entityId: asn.id, action: 'update' });

    // The same values again, or an empty supplier that was already empty: nothing written.
    await floor.updateReceipt(ctxFor('operator'), asn.id, { supplier: 'Fresh Farms', setQty: { '1': 8 } });
    expect(await entries(asn.id)).toHaveLength(1);
    // Clearing supplier and expected day stores null (unknown), as createReceipt does.
    const cleared = await floor.updateReceipt(ctxFor('operator'), asn.id, { supplier: ' ', expectedAt: '' });
    expect(cleared).toMatchObject({ supplier: null, expectedAt: null });
    expect(await entries(asn.id)).toHaveLength(2);
  });

  it('a notice may end with no lines (a blind receipt, as the schema and the server allow)', async () => {
    await open('manager');
    const a = await item('A');
    const asn = await notice([a]);
    const next = await floor.updateReceipt(ctxFor('manager'), asn.id, { removeLines: ['1'] });
    expect(next.lines).toEqual([]);
    expect((await stored(asn.id)).lines).toEqual([]);
  });

  it('refuses invalid edits and writes nothing', async () => {
    await open('manager');
    const a = await item('A');
    const asn = await notice([a]);
    const ctx = ctxFor('manager');
    const refused: ReceiptPatch[] = [
      { reference: '  ' },
      { expectedAt: '30.11.2026' },
      { setQty: { '1': 0 } },
      { setQty: { '1': -2 } },
      { setQty: { '9': 2 } },
      { setQty: { '1': 2 }, removeLines: ['1'] },
      { addLines: [{ itemId: a, expectedQty: 0 }] },
    ];
    for (const patch of refused)
      await expect(floor.updateReceipt(ctx, asn.id, patch), JSON.stringify(patch)).rejects.toMatchObject({
        code: 'invalid',
      });
    await expect(
      floor.updateReceipt(ctx, asn.id, { addLines: [{ itemId: crypto.randomUUID(), expectedQty: 1 }] }),
    ).rejects.toMatchObject({ code: 'not-found' });
    expect(await stored(asn.id)).toEqual(asn);
    expect(await entries(asn.id)).toHaveLength(0);
  });

  it('a closed or cancelled notice takes no edit; a receiving one still does', async () => {
    await open('manager');
    const a = await item('A');
    const ctx = ctxFor('manager');
    for (const status of ['closed', 'cancelled'] as const) {
      const done = await notice([a], status);
      await expect(floor.updateReceipt(ctx, done.id, { supplier: 'X' })).rejects.toMatchObject({
        code: 'bad-status',
        details: { status },
      });
      await expect(floor.updateReceipt(ctx, done.id, { setQty: { '1': 9 } })).rejects.toMatchObject({
        code: 'bad-status',
      });
      expect(await stored(done.id)).toEqual(done);
    }
    const receiving = await notice([a], 'receiving');
    const next = await floor.updateReceipt(ctx, receiving.id, { setQty: { '1': 9 }, supplier: 'X' });
    expect(next).toMatchObject({
      status: 'receiving',
      supplier: 'X',
      lines: [{ lineId: '1', expectedQty: 9 }],
    });
  });

  it('an expected quantity never goes below what is received of its item (removing counts as 0)', async () => {
    await open('manager');
    const ctx = ctxFor('manager');
    const a = await item('RECV-A');
    const b = await item('B');
    const x = await item('X');
    const asn = await notice([a, b]);
    await floor.receiveLine(ctx, {
      receiptId: asn.id,
      itemId: a,
      qty: 3,
      batch: null,
      expiresAt: null,
      locationId: 'RCV-01',
    });
    // An item no line expects, received too: no obstacle to editing the other lines.
    await floor.receiveLine(ctx, {
      receiptId: asn.id,
      itemId: x,
      qty: 2,
      batch: null,
      expiresAt: null,
      locationId: 'RCV-01',
    });
    const before = await stored(asn.id);
    expect(before.status).toBe('receiving');
    const entriesBefore = (await entries(asn.id)).length;

    await expect(floor.updateReceipt(ctx, asn.id, { setQty: { '1': 2 } })).rejects.toMatchObject({
      code: 'below-received',
      details: { sku: 'RECV-A', received: 3, qty: 2 },
    });
    await expect(floor.updateReceipt(ctx, asn.id, { removeLines: ['1'] })).rejects.toMatchObject({
      code: 'below-received',
      details: { received: 3, qty: 0 },
    });
    expect(await stored(asn.id)).toEqual(before);
    expect(await entries(asn.id)).toHaveLength(entriesBefore);

    const next = await floor.updateReceipt(ctx, asn.id, {
      setQty: { '1': 3 },
      removeLines: ['2'],
      addLines: [{ itemId: b, expectedQty: 1 }],
    });
    expect(next.lines.map((l) => [l.itemId, l.expectedQty])).toEqual([
      [a, 3],
      [b, 1],
    ]);
    // Splitting an item over two lines keeps its total: allowed.
    const split = await floor.updateReceipt(ctx, asn.id, {
      setQty: { '1': 1 },
      addLines: [{ itemId: a, expectedQty: 2 }],
    });
    expect(split.lines.filter((l) => l.itemId === a).map((l) => l.expectedQty)).toEqual([1, 2]);
  });

  it('an over-received line may be raised, never lowered further below what came in', async () => {
    await open('manager');
    const ctx = ctxFor('manager');
    const a = await item('OVER-A');
    const asn = await notice([a]);
    await floor.receiveLine(ctx, {
      receiptId: asn.id,
      itemId: a,
      qty: 7,
      batch: null,
      expiresAt: null,
      locationId: 'RCV-01',
    });
    expect((await floor.updateReceipt(ctx, asn.id, { setQty: { '1': 6 } })).lines[0]?.expectedQty).toBe(6);
    await expect(floor.updateReceipt(ctx, asn.id, { setQty: { '1': 4 } })).rejects.toMatchObject({
      code: 'below-received',
    });
  });

  it('each field needs write rights under the field policy; read-only roles change nothing', async () => {
    await open('operator');
    const a = await item('A');
    const asn = await notice([a]);
    // A tenant that made notices read-only for operators.
    const tightened = ctxFor('operator', { receipts: { '*': { operator: 'r' } } });
    await expect(floor.updateReceipt(tightened, asn.id, { supplier: 'X' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    for (const role of ['finance', 'auditor'] as const)
      await expect(floor.updateReceipt(ctxFor(role), asn.id, { setQty: { '1': 2 } })).rejects.toMatchObject({
        code: 'forbidden',
        details: { entity: 'receipts' },
      });
    expect(await stored(asn.id)).toEqual(asn);
    expect(await entries(asn.id)).toHaveLength(0);
  });
});

describe('the editors’ texts', () => {
  // The shared line editor builds its keys from the editor's prefix (floor.outbound.edit or
  // floor.receiving.edit), which the literal-key check of floor-i18n.test.ts cannot see.
  const source = readFileSync('renderer/features/floor/DocEditor.tsx', 'utf8');
  const keys = [
    ...new Set([...source.matchAll(/\$\{(?:k|props\.strings)\}\.([a-zA-Z]+)/g)].map((m) => m[1])),
  ];
  const get = (o: unknown, path: string): unknown =>
    path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o);

  it('every key it builds exists for both editors in both languages', () => {
    expect(keys.length).toBeGreaterThanOrEqual(10);
    for (const lang of ['en', 'zhCN'] as const)
      for (const prefix of ['floor.outbound.edit', 'floor.receiving.edit'])
        expect(
          keys.filter((key) => typeof get(resources(lang), `${prefix}.${key}`) !== 'string'),
          `${lang} ${prefix}`,
        ).toEqual([]);
  });
});

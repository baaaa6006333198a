import { describe, expect, it } from 'vitest';
import { BalanceDoc, DocId, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { deriveAppUrl } from '../../../server/db/connect.js';
import { stableUuid } from '../../../server/db/seed.js';
import {
  balanceRowToDoc,
  deepEqual,
  itemRowToDoc,
  movementContent,
  movementRowToDoc,
  sameDoc,
  stripInternal,
  toIso,
  toNum,
} from '../../../server/sync/mapping.js';
import { LoginThrottle } from '../../../server/auth/throttle.js';

const t = new Date('2026-03-04T05:06:07.089Z');

describe('row ↔ document mapping', () => {
  it('maps an item row from pg (strings for int8/numeric) to the shared shape with numbers', () => {
    const doc = itemRowToDoc({
      tenant_id: 'acme',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      sku: 'ACME-000001',
      name: 'Acme Widget 1',
      barcode: null,
      uom: 'pcs',
      purchase_price: '12.50',
      updated_at: t,
      seq: '42',
      deleted: false,
    });
    expect(doc).toEqual({
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      tenantId: 'acme',
      sku: 'ACME-000001',
      name: 'Acme Widget 1',
      barcode: null,
      uom: 'pcs',
      purchasePrice: 12.5,
      // Floor fields (migration 0005) at their "nothing set" values when the row predates them.
      barcodes: [],
      lengthCm: null,
      widthCm: null,
      heightCm: null,
      weightKg: null,
      batchTracked: false,
      expiryTracked: false,
      minStock: null,
      updatedAt: '2026-03-04T05:06:07.089Z',
      seq: 42,
      _deleted: false,
    });
    expect(ItemDoc.parse(doc)).toEqual(doc);
  });

  it('maps PGlite numbers and keeps a null price null', () => {
    const doc = itemRowToDoc({
      tenant_id: 'acme',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      sku: 's',
      name: 'n',
      barcode: '1',
      uom: 'pcs',
      purchase_price: null,
      updated_at: t,
      seq: 7,
      deleted: true,
    });
    expect(doc.purchasePrice).toBeNull();
    expect(doc.seq).toBe(7);
    expect(doc._deleted).toBe(true);
  });

  it('maps movements and balances to schema-valid documents', () => {
    const m = movementRowToDoc({
      tenant_id: 'acme',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      item_id: '1f8fad5b-d9cb-469f-a165-70867728950e',
      type: 'pick',
      quantity: '2.5',
      from_location_id: 'A',
      to_location_id: null,
      batch: 'L1',
      note: null,
      created_at: new Date('2026-03-04T05:06:07.089+00:00'),
      created_by: 'u-1',
      device_id: 'd',
      received_at: t,
      seq: '9',
      reversal_of: null,
    });
    expect(MovementDoc.parse(m)).toMatchObject({
      quantity: 2.5,
      seq: 9,
      createdAt: '2026-03-04T05:06:07.089Z',
    });
    expect(m).not.toHaveProperty('receivedAt'); // server bookkeeping stays on the server
    const b = balanceRowToDoc({
      tenant_id: 'acme',
      id: 'x|A|',
      item_id: '1f8fad5b-d9cb-469f-a165-70867728950e',
      location_id: 'A',
      batch: null,
      quantity: '-3',
      updated_at: t,
      seq: 10,
    });
    expect(BalanceDoc.parse(b)).toMatchObject({ quantity: -3, seq: 10 });
  });

  it('normalizes numbers and times', () => {
    expect(toNum('0012.50')).toBe(12.5);
    expect(toNum(3)).toBe(3);
    expect(toIso('2026-03-04T06:06:07.089+01:00')).toBe('2026-03-04T05:06:07.089Z');
  });
});

describe('document comparison', () => {
  it('treats absent _deleted as false and ignores RxDB internals', () => {
    expect(sameDoc({ a: 1 }, { a: 1, _deleted: false })).toBe(true);
    expect(sameDoc({ a: 1, _meta: { lwt: 1 }, _rev: '1-x' }, { a: 1 })).toBe(true);
    expect(sameDoc({ a: 1 }, { a: 1, _deleted: true })).toBe(false);
    expect(sameDoc({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameDoc({ a: 1, purchasePrice: 5 }, { a: 1 })).toBe(false);
  });

  it('deepEqual compares nested values structurally', () => {
    expect(deepEqual({ x: [1, { y: null }] }, { x: [1, { y: null }] })).toBe(true);
    expect(deepEqual({ x: [1, 2] }, { x: [2, 1] })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });

  it('movement content ignores server fields and the spelling of createdAt', () => {
    const base: MovementDoc = {
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      tenantId: 'acme',
      itemId: '1f8fad5b-d9cb-469f-a165-70867728950e',
      type: 'receipt',
      quantity: 1,
      fromLocationId: null,
      toLocationId: 'A',
      batch: null,
      note: null,
      createdAt: '2026-03-04T05:06:07.000Z',
      createdBy: 'client-claim',
      deviceId: 'd',
      seq: 0,
    };
    const stored = { ...base, createdAt: '2026-03-04T05:06:07+00:00', createdBy: 'u-1', seq: 17 };
    expect(deepEqual(movementContent(base), movementContent(stored))).toBe(true);
    expect(deepEqual(movementContent(base), movementContent({ ...stored, quantity: 2 }))).toBe(false);
  });

  it('stripInternal keeps document fields only', () => {
    expect(stripInternal({ id: 'a', _deleted: true, _attachments: {}, _meta: {} })).toEqual({
      id: 'a',
      _deleted: true,
    });
  });
});

describe('helpers', () => {
  it('stableUuid is deterministic and a valid UUID', () => {
    expect(stableUuid('acme/item/1')).toBe(stableUuid('acme/item/1'));
    expect(stableUuid('acme/item/1')).not.toBe(stableUuid('acme/item/2'));
    expect(DocId.safeParse(stableUuid('globex/movement/99')).success).toBe(true);
  });

  it('deriveAppUrl swaps the user and drops the password', () => {
    expect(deriveAppUrl('postgres://postgres:secret@db:5432/bulkhead')).toBe(
      'postgres://bulkhead_app@db:5432/bulkhead',
    );
  });

  it('LoginThrottle blocks after the limit and forgets after the window', () => {
    let now = 1_000_000;
    const th = new LoginThrottle(() => new Date(now), 3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(th.blockedFor('u')).toBe(0);
      th.fail('u');
    }
    expect(th.blockedFor('u')).toBe(60);
    expect(th.blockedFor('other')).toBe(0);
    now += 30_000;
    expect(th.blockedFor('u')).toBe(30);
    now += 30_001;
    expect(th.blockedFor('u')).toBe(0);
    th.fail('u');
    th.succeed('u');
    expect(th.blockedFor('u')).toBe(0);
  });
});

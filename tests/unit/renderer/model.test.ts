import { describe, expect, it } from 'vitest';
import { filterRows, toRows } from '../../../renderer/features/inventory/model.js';
import { checkReceive, receiptMovement } from '../../../renderer/features/receive/model.js';
import { MovementDoc } from '../../../shared/domain/schemas.js';

const items = [
  {
    id: '1',
    tenantId: 'acme',
    sku: 'ACME-1',
    name: 'Blue widget',
    barcode: '400100',
    uom: 'pc',
    updatedAt: 't',
    seq: 1,
  },
  {
    id: '2',
    tenantId: 'acme',
    sku: 'ACME-2',
    name: 'Red gadget',
    barcode: null,
    uom: 'pc',
    updatedAt: 't',
    seq: 2,
  },
];

describe('inventory rows', () => {
  const rows = toRows(items, new Map([['1', { quantity: 4, includesPending: true }]]));
  it('joins on-hand and defaults to zero', () => {
    expect(rows.map((r) => [r.sku, r.onHand, r.includesPending])).toEqual([
      ['ACME-1', 4, true],
      ['ACME-2', 0, false],
    ]);
  });
  it('searches SKU, name and barcode, case-insensitively', () => {
    expect(filterRows(rows, 'acme-2').map((r) => r.id)).toEqual(['2']);
    expect(filterRows(rows, 'WIDGET').map((r) => r.id)).toEqual(['1']);
    expect(filterRows(rows, '0010').map((r) => r.id)).toEqual(['1']);
    expect(filterRows(rows, '  ')).toHaveLength(2);
    expect(filterRows(rows, 'nothing')).toHaveLength(0);
  });
  it('never matches across two fields, and the same row object answers repeated searches alike', () => {
    // SKU ends in "1", name starts with "Blue", the name ends in "widget" and the barcode begins "400".
    for (const q of ['1blue', '1 blue', 'widget400', 'widget 400', 'acme-1\u0001blue']) {
      expect(filterRows(rows, q), q).toHaveLength(0);
    }
    for (let i = 0; i < 3; i++) expect(filterRows(rows, 'red g').map((r) => r.id)).toEqual(['2']);
    // The barcode is matched as stored (a lower-cased query finds no upper-case barcode).
    const [coded] = toRows([{ ...items[0]!, id: '3', barcode: 'AB-77' }], new Map());
    expect(filterRows([coded!], 'ab-77')).toHaveLength(0);
    expect(filterRows([coded!], '-77')).toHaveLength(1);
  });
});

describe('receive form rules', () => {
  it('rejects bad quantities and empty locations', () => {
    expect(checkReceive({ quantity: '0', location: 'A', batch: '' })).toEqual({
      ok: false,
      error: 'receive.badQuantity',
    });
    expect(checkReceive({ quantity: '-2', location: 'A', batch: '' }).ok).toBe(false);
    expect(checkReceive({ quantity: 'abc', location: 'A', batch: '' }).ok).toBe(false);
    expect(checkReceive({ quantity: '2', location: '  ', batch: '' })).toEqual({
      ok: false,
      error: 'receive.badLocation',
    });
  });
  it('accepts a decimal comma and trims', () => {
    expect(checkReceive({ quantity: '2,5', location: ' RCV-01 ', batch: ' L7 ' })).toEqual({
      ok: true,
      quantity: 2.5,
      location: 'RCV-01',
      batch: 'L7',
    });
  });
  it('builds a receipt that the shared schema accepts', () => {
    const m = receiptMovement({
      id: '6f1c1c52-2f4f-4c69-9a3e-0d8b1f2f1a11',
      tenantId: 'acme',
      itemId: '0b7e3f0e-7a7c-4d7b-8a55-4c1d2e3f4a5b',
      quantity: 3,
      location: 'RCV-01',
      batch: null,
      userId: 'u1',
      deviceId: 'd1',
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(MovementDoc.parse(m)).toEqual(m);
    expect(m.seq).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import {
  addDays,
  captureProblems,
  countDifferences,
  daysBetween,
  expiringSoon,
  fefoSuggest,
  isExpired,
  LocationDoc,
  lowStock,
  onHandRows,
  batchExpiry,
  OrderDoc,
  orderPicked,
  orderShortages,
  orderTransitionAllowed,
  ReceiptDoc,
  receiptProgress,
  receiptTransitionAllowed,
  wouldGoNegative,
  type StockRow,
} from '../../../shared/domain/floor.js';
import { BalanceDoc, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { MASKED, maskedFields, hiddenFields, project } from '../../../shared/access/policy.js';
import { judgeChange } from '../../../shared/audit/destructive.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';
const R = '00000000-0000-4000-8000-0000000000f1';
const O = '00000000-0000-4000-8000-0000000000f2';
const now = '2026-11-26T10:00:00.000Z';

let n = 0;
const mv = (
  itemId: string,
  quantity: number,
  extra: Partial<{
    type: MovementDoc['type'];
    from: string | null;
    to: string | null;
    refId: string | null;
    reversalOf: string | null;
    id: string;
  }> = {},
) => ({
  id: extra.id ?? `m${++n}`,
  itemId,
  quantity,
  type: extra.type ?? ('receipt' as const),
  fromLocationId: extra.from ?? null,
  toLocationId: extra.to === undefined ? 'RCV-01' : extra.to,
  refId: extra.refId === undefined ? R : extra.refId,
  reversalOf: extra.reversalOf ?? null,
});

describe('schemas', () => {
  it('old items, movements and balances stay valid; new fields validate', () => {
    const item = {
      id: A,
      tenantId: 'acme',
      sku: 'S',
      name: 'N',
      barcode: null,
      uom: 'pc',
      updatedAt: now,
      seq: 0,
    };
    expect(ItemDoc.safeParse(item).success).toBe(true);
    expect(
      ItemDoc.safeParse({ ...item, barcodes: ['1', '2'], weightKg: 1.5, batchTracked: true, minStock: 5 })
        .success,
    ).toBe(true);
    expect(ItemDoc.safeParse({ ...item, weightKg: -1 }).success).toBe(false);
    const m = {
      id: B,
      tenantId: 'acme',
      itemId: A,
      type: 'receipt',
      quantity: 1,
      fromLocationId: null,
      toLocationId: 'RCV-01',
      batch: 'L1',
      note: null,
      createdAt: now,
      createdBy: 'u',
      deviceId: 'd',
      seq: 0,
    };
    expect(MovementDoc.safeParse(m).success).toBe(true);
    expect(MovementDoc.safeParse({ ...m, expiresAt: '2027-01-31', refId: R }).success).toBe(true);
    expect(MovementDoc.safeParse({ ...m, expiresAt: '31/01/2027' }).success).toBe(false);
    expect(MovementDoc.safeParse({ ...m, refId: 'not-a-uuid' }).success).toBe(false);
    const bal = {
      id: 'x',
      tenantId: 'acme',
      itemId: A,
      locationId: 'A',
      batch: null,
      quantity: 1,
      updatedAt: now,
      seq: 1,
    };
    expect(BalanceDoc.safeParse(bal).success).toBe(true);
    expect(BalanceDoc.safeParse({ ...bal, expiresAt: '2027-01-31' }).success).toBe(true);
  });

  it('locations are coded, receipts and orders need unique line ids', () => {
    expect(
      LocationDoc.safeParse({ id: 'A-01-02', warehouseId: 'W1', name: 'A', barcode: 'L-A', kind: 'storage' })
        .success,
    ).toBe(true);
    expect(
      LocationDoc.safeParse({ id: 'a 1', warehouseId: 'W1', name: 'A', barcode: 'x', kind: 'storage' })
        .success,
    ).toBe(false);
    expect(
      LocationDoc.safeParse({ id: 'A', warehouseId: 'W1', name: 'A', barcode: 'x', kind: 'attic' }).success,
    ).toBe(false);
    const receipt = {
      id: R,
      tenantId: 'acme',
      reference: 'ASN-1',
      supplier: null,
      expectedAt: '2026-11-27',
      status: 'open',
      lines: [{ lineId: '1', itemId: A, expectedQty: 5 }],
      updatedAt: now,
      seq: 0,
    };
    expect(ReceiptDoc.safeParse(receipt).success).toBe(true);
    expect(ReceiptDoc.safeParse({ ...receipt, lines: [] }).success).toBe(true); // blind
    expect(ReceiptDoc.safeParse({ ...receipt, lines: [...receipt.lines, ...receipt.lines] }).success).toBe(
      false,
    );
    const order = {
      id: O,
      tenantId: 'acme',
      number: 'SO-1',
      customerName: 'Zhang Wei',
      customerPhone: null,
      customerEmail: null,
      shipTo: { line1: '1 Road', line2: null, city: 'Shanghai', postalCode: '200000', country: 'CN' },
      status: 'open',
      lines: [{ lineId: '1', itemId: A, qty: 2 }],
      updatedAt: now,
      seq: 0,
    };
    expect(OrderDoc.safeParse(order).success).toBe(true);
    // A finance user's projection (no customer fields) is still a valid document.
    const { customerName: _n, customerPhone: _p, customerEmail: _e, shipTo: _s, ...bare } = order;
    expect(OrderDoc.safeParse(bare).success).toBe(true);
    expect(OrderDoc.safeParse({ ...order, lines: [] }).success).toBe(false);
    expect(OrderDoc.safeParse({ ...order, status: 'lost' }).success).toBe(false);
  });

  it('the ship-to address is as sensitive as the customer name; receipts are governed', () => {
    const order = {
      id: O,
      tenantId: 'acme',
      shipTo: { line1: '1 Road', city: 'Shanghai' },
      customerName: 'Zhang',
    };
    expect(project('auditor', 'orders', order).shipTo).toBe(MASKED);
    expect('shipTo' in project('finance', 'orders', order)).toBe(false);
    expect(project('operator', 'orders', order).shipTo).toEqual(order.shipTo);
    expect(maskedFields('auditor', 'orders')).toContain('shipTo');
    expect(hiddenFields('finance', 'orders')).toContain('shipTo');
    expect(project('finance', 'receipts', { id: R, reference: 'ASN' })).toEqual({ id: R, reference: 'ASN' });
  });

  it('status transitions: nothing leaves shipped or cancelled', () => {
    expect(orderTransitionAllowed('open', 'picking')).toBe(true);
    expect(orderTransitionAllowed('packed', 'shipped')).toBe(true);
    expect(orderTransitionAllowed('open', 'shipped')).toBe(false);
    expect(orderTransitionAllowed('shipped', 'cancelled')).toBe(false);
    expect(orderTransitionAllowed('cancelled', 'open')).toBe(false);
    expect(receiptTransitionAllowed('closed', 'receiving')).toBe(true);
    expect(receiptTransitionAllowed('cancelled', 'receiving')).toBe(false);
  });
});

describe('dates', () => {
  it('adds days across months and leap years; expired means before today', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(daysBetween('2026-11-26', '2026-11-20')).toBe(-6);
    expect(isExpired('2026-11-25', '2026-11-26')).toBe(true);
    expect(isExpired('2026-11-26', '2026-11-26')).toBe(false);
    expect(isExpired(null, '2026-11-26')).toBe(false);
  });
});

describe('receiptProgress', () => {
  const receipt = {
    id: R,
    lines: [
      { lineId: '1', itemId: A, expectedQty: 10 },
      { lineId: '2', itemId: B, expectedQty: 5 },
    ],
  };

  it('reports per-line received, short and over, and unexpected items', () => {
    const p = receiptProgress(receipt, [mv(A, 4), mv(A, 8), mv(B, 3), mv(C, 2), mv(A, 99, { refId: O })]);
    expect(p.lines).toEqual([
      { lineId: '1', itemId: A, expected: 10, received: 12, over: 2, short: 0, state: 'over' },
      { lineId: '2', itemId: B, expected: 5, received: 3, over: 0, short: 2, state: 'partial' },
    ]);
    expect(p.unexpected).toEqual([{ itemId: C, received: 2 }]);
    expect(p.receivedTotal).toBe(17);
    expect(p.expectedTotal).toBe(15);
    expect(p).toMatchObject({ complete: false, anyOver: true, anyShort: true });
  });

  it('nothing received: every line pending and short', () => {
    const p = receiptProgress(receipt, []);
    expect(p.lines.map((l) => [l.state, l.short])).toEqual([
      ['pending', 10],
      ['pending', 5],
    ]);
    expect(p.complete).toBe(false);
  });

  it('exact receipt completes; only receipt movements of this receipt count', () => {
    const p = receiptProgress(receipt, [
      mv(A, 10),
      mv(B, 5),
      mv(B, 5, { type: 'putaway', from: 'RCV-01', to: 'A-01-01' }),
    ]);
    expect(p.lines.every((l) => l.state === 'complete')).toBe(true);
    expect(p).toMatchObject({ complete: true, anyOver: false, anyShort: false });
  });

  it('two lines of one item fill in order; the excess goes to the last', () => {
    const p = receiptProgress(
      {
        id: R,
        lines: [
          { lineId: '1', itemId: A, expectedQty: 3 },
          { lineId: '2', itemId: A, expectedQty: 3 },
        ],
      },
      [mv(A, 4)],
    );
    expect(p.lines.map((l) => l.received)).toEqual([3, 1]);
  });

  it('a blind receipt has only unexpected items', () => {
    const p = receiptProgress({ id: R, lines: [] }, [mv(A, 4), mv(A, 1)]);
    expect(p.lines).toEqual([]);
    expect(p.unexpected).toEqual([{ itemId: A, received: 5 }]);
    expect(p.complete).toBe(true);
  });

  it('a rollback of a receipt movement takes it back out', () => {
    const first = mv(A, 10, { id: 'first' });
    const undo = mv(A, 10, {
      type: 'adjustment',
      from: 'RCV-01',
      to: null,
      refId: null,
      reversalOf: 'first',
    });
    const p = receiptProgress(receipt, [first, undo]);
    expect(p.lines[0]).toMatchObject({ received: 0, state: 'pending' });
  });
});

describe('captureProblems', () => {
  it('asks for batch and expiry only where the item tracks them', () => {
    expect(
      captureProblems({ batchTracked: true, expiryTracked: true }, { batch: ' ', expiresAt: null }),
    ).toEqual(['batch-required', 'expiry-required']);
    expect(captureProblems({}, { batch: null, expiresAt: null })).toEqual([]);
    expect(captureProblems({ batchTracked: true }, { batch: 'L1', expiresAt: null })).toEqual([]);
  });
});

const row = (
  locationId: string,
  batch: string | null,
  quantity: number,
  expiresAt: string | null,
  itemId = A,
): StockRow => ({
  itemId,
  locationId,
  batch,
  quantity,
  expiresAt,
});

describe('fefoSuggest', () => {
  const today = '2026-11-26';
  const stock = [
    row('A-01-03', 'NOEXP', 50, null),
    row('A-01-02', 'L2', 5, '2027-03-01'),
    row('A-01-01', 'L1', 4, '2026-12-15'),
    row('A-01-04', 'OLD', 9, '2026-11-20'),
    row('A-01-05', 'TODAY', 1, '2026-11-26'),
    row('A-01-06', 'EMPTY', 0, '2026-11-27'),
    row('A-01-01', 'OTHER', 99, '2026-11-27', B),
  ];

  it('earliest expiry first, no expiry last, expired excluded and reported', () => {
    const s = fefoSuggest(stock, A, 12, today);
    expect(s.picks).toEqual([
      { locationId: 'A-01-05', batch: 'TODAY', expiresAt: '2026-11-26', quantity: 1 },
      { locationId: 'A-01-01', batch: 'L1', expiresAt: '2026-12-15', quantity: 4 },
      { locationId: 'A-01-02', batch: 'L2', expiresAt: '2027-03-01', quantity: 5 },
      { locationId: 'A-01-03', batch: 'NOEXP', expiresAt: null, quantity: 2 },
    ]);
    expect(s.shortBy).toBe(0);
    expect(s.expired).toEqual([
      { locationId: 'A-01-04', batch: 'OLD', expiresAt: '2026-11-20', quantity: 9 },
    ]);
  });

  it('reports what the usable stock cannot cover', () => {
    const s = fefoSuggest(stock, A, 100, today);
    expect(s.picks.reduce((t, p) => t + p.quantity, 0)).toBe(60);
    expect(s.shortBy).toBe(40);
  });

  it('respects pickable locations and returns nothing for an unknown item', () => {
    const s = fefoSuggest(stock, A, 3, today, { pickable: (l) => l === 'A-01-02' });
    expect(s.picks).toEqual([{ locationId: 'A-01-02', batch: 'L2', expiresAt: '2027-03-01', quantity: 3 }]);
    expect(fefoSuggest(stock, C, 1, today)).toEqual({ picks: [], shortBy: 1, expired: [] });
  });
});

describe('orderShortages and orderPicked', () => {
  const order = {
    id: O,
    lines: [
      { lineId: '1', itemId: A, qty: 6 },
      { lineId: '2', itemId: A, qty: 6 },
      { lineId: '3', itemId: B, qty: 1 },
      { lineId: '4', itemId: C, qty: 2 },
    ],
  };

  it('allots stock to lines in order; expired and non-pickable stock does not count', () => {
    const stock = [
      row('A-01-01', null, 8, null),
      row('A-01-02', 'X', 100, '2026-01-01'),
      row('STG-01', null, 100, null),
      row('A-01-03', null, 5, null, B),
    ];
    const s = orderShortages(order, stock, { today: '2026-11-26', pickable: (l) => l.startsWith('A-') });
    expect(s).toEqual([
      { lineId: '2', itemId: A, ordered: 6, available: 2, short: 4 },
      { lineId: '4', itemId: C, ordered: 2, available: 0, short: 2 },
    ]);
  });

  it('what a line already has picked is not short', () => {
    const picked = orderPicked(order, [
      mv(A, 6, { type: 'pick', from: 'A-01-01', to: 'STG-01', refId: O }),
      mv(A, 6, { type: 'pick', from: 'A-01-01', to: 'STG-01', refId: O }),
      mv(C, 2, { type: 'pick', from: 'A-01-01', to: 'STG-01', refId: O }),
      mv(B, 9, { type: 'pick', from: 'A-01-01', to: 'STG-01', refId: R }),
    ]);
    expect([...picked.entries()]).toEqual([
      ['1', 6],
      ['2', 6],
      ['3', 0],
      ['4', 2],
    ]);
    expect(orderShortages(order, [row('A-01-03', null, 1, null, B)], { picked })).toEqual([]);
  });
});

describe('wouldGoNegative', () => {
  const stock = [row('A-01-01', 'L1', 5, null), row('A-01-01', null, 2, null)];
  it('checks the exact item, location and batch', () => {
    const m = (quantity: number, from: string | null, batch: string | null) => ({
      itemId: A,
      quantity,
      fromLocationId: from,
      batch,
    });
    expect(wouldGoNegative(stock, m(5, 'A-01-01', 'L1'))).toBe(false);
    expect(wouldGoNegative(stock, m(6, 'A-01-01', 'L1'))).toBe(true);
    expect(wouldGoNegative(stock, m(3, 'A-01-01', null))).toBe(true);
    expect(wouldGoNegative(stock, m(1, 'A-01-02', 'L1'))).toBe(true);
    expect(wouldGoNegative(stock, m(1000, null, 'L1'))).toBe(false);
  });
});

describe('countDifferences', () => {
  const expected = [
    row('A-01-01', 'L1', 10, null),
    row('A-01-01', 'L2', 5, null),
    row('A-01-01', null, 3, null, B),
  ];

  it('turns differences into adjustments, uncounted rows count as zero', () => {
    const d = countDifferences(
      expected,
      [
        { itemId: A, locationId: 'A-01-01', batch: 'L1', quantity: 12 },
        { itemId: B, locationId: 'A-01-01', batch: null, quantity: 3 },
        { itemId: C, locationId: 'A-01-01', batch: null, quantity: 1 },
      ],
      1000,
    );
    const byBatch = new Map(d.map((x) => [`${x.itemId}/${x.batch}`, x]));
    expect(d).toHaveLength(3);
    expect(byBatch.get(`${A}/L1`)).toMatchObject({
      diff: 2,
      adjustment: { quantity: 2, fromLocationId: null, toLocationId: 'A-01-01' },
      needsCosign: false,
    });
    expect(byBatch.get(`${A}/L2`)).toMatchObject({
      expected: 5,
      counted: 0,
      diff: -5,
      adjustment: { quantity: 5, fromLocationId: 'A-01-01', toLocationId: null },
    });
    expect(byBatch.get(`${C}/null`)).toMatchObject({ expected: 0, counted: 1, diff: 1 });
  });

  it('needs a co-sign strictly above the threshold, never when there is none', () => {
    const counted = [
      { itemId: A, locationId: 'A-01-01', batch: 'L1', quantity: 10 },
      { itemId: A, locationId: 'A-01-01', batch: 'L2', quantity: 5 },
      { itemId: B, locationId: 'A-01-01', batch: null, quantity: 0 },
    ];
    expect(countDifferences(expected, counted, 3)[0]).toMatchObject({ diff: -3, needsCosign: false });
    expect(countDifferences(expected, counted, 2)[0]).toMatchObject({ diff: -3, needsCosign: true });
    expect(countDifferences(expected, counted, null)[0]?.needsCosign).toBe(false);
  });

  it('a count that matches needs nothing', () => {
    const counted = expected.map((r) => ({ ...r }));
    expect(countDifferences(expected, counted, 0)).toEqual([]);
  });
});

describe('lowStock and expiringSoon', () => {
  it('lists items below their threshold, none without one', () => {
    const items = [
      { id: A, sku: 'A', name: 'a', minStock: 10 },
      { id: B, sku: 'B', name: 'b', minStock: 3 },
      { id: C, sku: 'C', name: 'c', minStock: null },
    ];
    const out = lowStock(
      items,
      new Map<string, number | { quantity: number }>([
        [A, { quantity: 9 }],
        [B, 3],
      ]),
    );
    expect(out).toEqual([{ itemId: A, sku: 'A', name: 'a', onHand: 9, minStock: 10 }]);
    expect(lowStock(items, new Map()).map((i) => i.sku)).toEqual(['A', 'B']);
  });

  it('lists batches within the window, expired ones flagged, soonest first', () => {
    const out = expiringSoon(
      [
        row('A', 'later', 1, '2026-12-27'),
        row('A', 'edge', 1, '2026-12-26'),
        row('A', 'soon', 1, '2026-11-30'),
        row('A', 'past', 1, '2026-11-01'),
        row('A', 'empty', 0, '2026-11-27'),
        row('A', 'none', 5, null),
      ],
      '2026-11-26',
      30,
    );
    expect(out.map((o) => [o.batch, o.daysLeft, o.expired])).toEqual([
      ['past', -25, true],
      ['soon', 4, false],
      ['edge', 30, false],
    ]);
  });
});

describe('onHandRows', () => {
  it('adds unreflected movements per row, carries expiry, filters by item and location', () => {
    const balances = [
      { itemId: A, locationId: 'A-01-01', batch: 'L1', quantity: 5, seq: 4, expiresAt: '2027-01-01' },
      { itemId: B, locationId: 'A-01-01', batch: null, quantity: 2, seq: 9 },
    ];
    const movements = [
      // reflected already (seq 3 ≤ 4), and an unsynced pick of 2 to staging
      { itemId: A, quantity: 5, fromLocationId: null, toLocationId: 'A-01-01', batch: 'L1', seq: 3 },
      { itemId: A, quantity: 2, fromLocationId: 'A-01-01', toLocationId: 'STG-01', batch: 'L1', seq: 0 },
    ];
    expect(onHandRows(balances, movements, { itemId: A })).toEqual([
      { itemId: A, locationId: 'A-01-01', batch: 'L1', quantity: 3, expiresAt: '2027-01-01' },
      { itemId: A, locationId: 'STG-01', batch: 'L1', quantity: 2, expiresAt: '2027-01-01' },
    ]);
    expect(
      onHandRows(balances, movements, { locationId: 'A-01-01' }).map((r) => [r.itemId, r.quantity]),
    ).toEqual([
      [A, 3],
      [B, 2],
    ]);
    const all = onHandRows(balances, movements);
    expect(all).toHaveLength(3);
    expect(batchExpiry(all, A, 'L1')).toBe('2027-01-01');
    expect(batchExpiry(all, A, null)).toBeNull();
  });
});

describe('destructive floor changes (shared judge)', () => {
  it('a receipt is cancelled by retyping its reference; an order by its number', () => {
    const receipt = { id: R, reference: 'ASN-7', status: 'open' };
    expect(
      judgeChange({
        entity: 'receipts',
        before: receipt,
        after: { ...receipt, status: 'cancelled' },
        skuOf: () => null,
      }),
    ).toEqual({ destructive: true, kind: 'cancel', identifying: 'ASN-7', quantity: 0 });
    const o = { id: O, number: 'SO-7', status: 'picking' };
    expect(
      judgeChange({ entity: 'orders', before: o, after: { ...o, status: 'cancelled' }, skuOf: () => null }),
    ).toMatchObject({
      kind: 'cancel',
      identifying: 'SO-7',
    });
    expect(
      judgeChange({ entity: 'orders', before: o, after: { ...o, status: 'packed' }, skuOf: () => null }),
    ).toEqual({
      destructive: false,
    });
  });
  it('a count movement is confirmed like an adjustment', () => {
    const m = {
      id: B,
      itemId: A,
      type: 'count',
      quantity: 4,
      fromLocationId: 'A-01-01',
      toLocationId: null,
      batch: null,
    };
    expect(judgeChange({ entity: 'movements', before: null, after: m, skuOf: () => 'SKU-A' })).toEqual({
      destructive: true,
      kind: 'write-off',
      identifying: 'SKU-A',
      quantity: 4,
    });
  });
});

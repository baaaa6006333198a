import { describe, expect, it } from 'vitest';
import type { ReportResult } from '../../../shared/api/reports.js';
import {
  bucketOf,
  dashboardTenants,
  expiryBuckets,
  perDay,
  sumBy,
} from '../../../renderer/features/dashboard/model.js';
import { pages, pickListOf } from '../../../renderer/features/print/model.js';

const result = (rows: ReportResult['rows']): ReportResult => ({
  report: 'stock-by-location',
  tenants: ['acme', 'globex'],
  tenantColumn: true,
  columns: [],
  rows,
});

describe('pick list', () => {
  const items = new Map([
    ['i1', { sku: 'ACME-1', name: 'Gadget' }],
    ['i2', { sku: 'ACME-2', name: 'Sprocket' }],
  ]);
  const order = {
    tenantId: 'acme',
    number: 'SO-1',
    status: 'open' as const,
    lines: [
      { lineId: 'a', itemId: 'i2', qty: 5 },
      { lineId: 'b', itemId: 'i1', qty: 10 },
    ],
  };
  const stock = [
    { itemId: 'i1', locationId: 'B-02', batch: 'L2', quantity: 4, expiresAt: '2026-12-31' },
    { itemId: 'i1', locationId: 'B-01', batch: 'L1', quantity: 3, expiresAt: '2026-12-01' },
    { itemId: 'i1', locationId: 'A-01', batch: 'OLD', quantity: 9, expiresAt: '2026-01-01' },
    { itemId: 'i1', locationId: 'RCV-01', batch: 'L3', quantity: 50, expiresAt: '2026-12-15' },
    { itemId: 'i2', locationId: 'C-01', batch: null, quantity: 8, expiresAt: null },
  ];
  const list = pickListOf(order, items, stock, '2026-11-26', (l) => !l.startsWith('RCV'));

  it('suggests bins first-expired-first-out, skipping expired batches and non-pickable bins', () => {
    const gadget = list.lines.find((l) => l.sku === 'ACME-1');
    expect(gadget?.picks.map((p) => [p.locationId, p.batch, p.quantity])).toEqual([
      ['B-01', 'L1', 3],
      ['B-02', 'L2', 4],
    ]);
    expect(gadget?.shortBy).toBe(3);
  });

  it('orders lines by their first bin so the picker walks once, and names items', () => {
    expect(list.lines.map((l) => l.sku)).toEqual(['ACME-1', 'ACME-2']);
    expect(list.lines[1]).toMatchObject({ name: 'Sprocket', qty: 5, shortBy: 0 });
    expect(list).toMatchObject({ tenantId: 'acme', number: 'SO-1', status: 'open' });
  });

  it('splits labels into pages', () => {
    expect(pages([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(pages([], 3)).toEqual([]);
  });
});

describe('dashboard figures', () => {
  it('sums stock per tenant and per location, largest first, top N', () => {
    const r = result([
      { tenantId: 'acme', location: 'A-01', onHand: 5 },
      { tenantId: 'globex', location: 'A-01', onHand: 7 },
      { tenantId: 'acme', location: 'B-01', onHand: 20 },
    ]);
    expect(sumBy(r, 'tenantId', 'onHand').map((b) => [b.key, b.value])).toEqual([
      ['acme', 25],
      ['globex', 7],
    ]);
    expect(sumBy(r, 'location', 'onHand', 1).map((b) => [b.key, b.value])).toEqual([['B-01', 20]]);
  });

  it('fills every day of the window, zero where nothing moved', () => {
    const r = result([
      { day: '2026-11-26', type: 'receipt', lines: 3 },
      { day: '2026-11-26', type: 'ship', lines: 2 },
      { day: '2026-11-24', type: 'pick', lines: 1 },
      { day: '2026-10-01', type: 'pick', lines: 99 },
    ]);
    expect(perDay(r, '2026-11-26', 3).map((b) => [b.key, b.value])).toEqual([
      ['2026-11-24', 1],
      ['2026-11-25', 0],
      ['2026-11-26', 5],
    ]);
  });

  it('buckets expiring quantity', () => {
    expect([-1, 0, 7, 8, 14, 15, 30].map(bucketOf)).toEqual([
      'expired',
      'week',
      'week',
      'twoWeeks',
      'twoWeeks',
      'month',
      'month',
    ]);
    const r = result([
      { daysLeft: -2, onHand: 1 },
      { daysLeft: 3, onHand: 4 },
      { daysLeft: 20, onHand: 6 },
      { daysLeft: null, onHand: 100 },
    ]);
    expect(expiryBuckets(r, (b) => b).map((b) => b.value)).toEqual([1, 4, 0, 6]);
  });

  it('covers every cross-tenant client, else the active one', () => {
    const mgr = [
      { tenantId: 'acme', crossTenant: true },
      { tenantId: 'globex', crossTenant: true },
    ];
    expect(dashboardTenants(mgr, 'acme')).toEqual(['acme', 'globex']);
    expect(dashboardTenants([{ tenantId: 'acme', crossTenant: false }], 'acme')).toEqual(['acme']);
    expect(dashboardTenants([], null)).toEqual([]);
  });
});

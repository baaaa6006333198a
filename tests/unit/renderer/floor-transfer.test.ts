import { describe, expect, it } from 'vitest';
import { resources } from '../../../renderer/i18n/index.js';
import {
  binHoldings,
  checkQuantity,
  matchBatch,
  planTransfer,
  type Holding,
  type TransferProblem,
} from '../../../renderer/features/floor/transfer-model.js';

const rows: Holding[] = [
  { itemId: 'i1', locationId: 'A-01-01', batch: 'LOT-LATE', quantity: 60, expiresAt: '2027-06-01' },
  { itemId: 'i1', locationId: 'A-01-01', batch: null, quantity: 5, expiresAt: null },
  { itemId: 'i1', locationId: 'A-01-01', batch: 'LOT-OLD', quantity: 12, expiresAt: '2026-11-01' },
  { itemId: 'i1', locationId: 'A-01-01', batch: 'LOT-GONE', quantity: 0, expiresAt: '2026-01-01' },
  { itemId: 'i1', locationId: 'A-02-01', batch: 'LOT-OLD', quantity: 7, expiresAt: '2026-11-01' },
  { itemId: 'i2', locationId: 'A-01-01', batch: null, quantity: 9, expiresAt: null },
];

describe('move stock: what a bin holds of an item', () => {
  it('lists only that bin and item, with stock, first-expiring first and undated last', () => {
    const h = binHoldings(rows, 'A-01-01', 'i1');
    expect(h.map((r) => r.batch)).toEqual(['LOT-OLD', 'LOT-LATE', null]);
    expect(h.every((r) => r.locationId === 'A-01-01' && r.itemId === 'i1' && r.quantity > 0)).toBe(true);
  });
  it('is empty for a bin that does not hold the item', () => {
    expect(binHoldings(rows, 'A-02-01', 'i2')).toEqual([]);
    expect(binHoldings(rows, 'A-09-09', 'i1')).toEqual([]);
  });
  it('matches a typed or scanned batch case-insensitively; blank names the unbatched stock', () => {
    const h = binHoldings(rows, 'A-01-01', 'i1');
    expect(matchBatch(h, ' lot-late ')?.quantity).toBe(60);
    expect(matchBatch(h, '')?.quantity).toBe(5);
    expect(matchBatch(h, 'LOT-GONE')).toBeNull();
    expect(matchBatch(h, 'LOT-NONE')).toBeNull();
  });
});

describe('move stock: refused before anything is written', () => {
  const old = binHoldings(rows, 'A-01-01', 'i1')[0] as Holding;
  it('takes a positive quantity up to what the bin holds of the batch', () => {
    expect(checkQuantity(old, '12')).toEqual({ ok: true, qty: 12 });
    expect(checkQuantity(old, '2,5')).toEqual({ ok: true, qty: 2.5 });
    expect(checkQuantity(old, '13')).toEqual({
      ok: false,
      problem: { code: 'tooMuch', available: 12, quantity: 13 },
    });
    for (const bad of ['', '0', '-1', 'abc', '1e3'])
      expect(checkQuantity(old, bad)).toEqual({ ok: false, problem: { code: 'badQuantity' } });
  });
  it('needs a destination other than the source bin', () => {
    expect(planTransfer(old, '3', '')).toEqual({ ok: false, problem: { code: 'noTarget' } });
    expect(planTransfer(old, '3', 'a-01-01')).toEqual({
      ok: false,
      problem: { code: 'sameBin', location: 'A-01-01' },
    });
  });
  it('checks the quantity before the destination', () => {
    expect(planTransfer(old, '99', 'A-01-01')).toMatchObject({ ok: false, problem: { code: 'tooMuch' } });
  });
  it('plans the move of the chosen batch', () => {
    expect(planTransfer(old, '4', ' a-05-02 ')).toEqual({
      ok: true,
      plan: { itemId: 'i1', batch: 'LOT-OLD', from: 'A-01-01', to: 'A-05-02', qty: 4 },
    });
  });
  it('every refusal has a message in English and Simplified Chinese', () => {
    const codes: TransferProblem['code'][] = ['badQuantity', 'tooMuch', 'noTarget', 'sameBin'];
    for (const lang of ['en', 'zhCN'] as const) {
      const transfer = (resources(lang) as { floor: { transfer: Record<string, unknown> } }).floor.transfer;
      for (const c of codes) expect(typeof transfer[c], `${lang} floor.transfer.${c}`).toBe('string');
    }
  });
});

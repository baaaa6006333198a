import { describe, expect, it } from 'vitest';
import { expiringSoon } from '../../../shared/domain/floor.js';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { stockRows, watchRows, watchRowsPass } from '../../../renderer/features/floor/stock-hooks.js';
import { runSliced } from '../../../renderer/data/slices.js';

const item = (id: string, minStock: number | null): ItemDoc =>
  ({ id, tenantId: 'acme', sku: `SKU-${id}`, name: `Item ${id}`, uom: 'pcs', minStock, seq: 1 }) as ItemDoc;
const bal = (
  itemId: string,
  loc: string,
  batch: string | null,
  quantity: number,
  seq: number,
  expiresAt?: string,
): BalanceDoc => ({
  id: `${itemId}|${loc}|${batch ?? ''}`,
  tenantId: 'acme',
  itemId,
  locationId: loc,
  batch,
  quantity,
  seq,
  updatedAt: '2026-01-01T00:00:00Z',
  ...(expiresAt ? { expiresAt } : {}),
});
const mov = (
  id: string,
  itemId: string,
  from: string | null,
  to: string | null,
  batch: string | null,
  quantity: number,
  seq: number,
  expiresAt?: string,
): MovementDoc => ({
  id,
  tenantId: 'acme',
  itemId,
  type: to && !from ? 'receipt' : 'transfer',
  quantity,
  fromLocationId: from,
  toLocationId: to,
  batch,
  note: null,
  createdAt: '2026-01-01T00:00:00Z',
  createdBy: 'u',
  deviceId: 'd',
  seq,
  ...(expiresAt ? { expiresAt } : {}),
});

describe('expiry and low stock from plain documents (watchRows)', () => {
  const items = [item('a', null), item('b', 50), item('c', 5), item('d', 10)];
  const balances = [
    bal('a', 'A-01', 'L1', 8, 10, '2026-02-01'),
    bal('a', 'A-02', 'L1', 0, 11, '2026-02-01'),
    bal('b', 'A-03', null, 20, 12),
    bal('c', 'A-04', null, 30, 13),
  ];
  const movements = [
    // Synced and reflected in the balances: never counted twice.
    mov('m1', 'a', null, 'A-01', 'L1', 8, 9, '2026-02-01'),
    mov('m2', 'b', null, 'A-03', null, 20, 12),
    // Unsynced: a pick of batch L1 and a receipt of a new batch L2 with its expiry.
    mov('m3', 'a', 'A-01', 'STG-01', 'L1', 3, 0),
    mov('m4', 'a', null, 'A-05', 'L2', 4, 0, '2026-03-01'),
    // Unsynced receipt for c (low stock no more? it was 30 ≥ 5 anyway) and a shipment of b.
    mov('m5', 'b', 'A-03', null, null, 15, 0),
  ];

  it('gives every stock row with a known expiry, server balance plus unsynced movements', () => {
    const { withExpiry } = watchRows(items, balances, movements, new Map());
    const by = (loc: string, batch: string) =>
      withExpiry.find((r) => r.locationId === loc && r.batch === batch)?.quantity;
    expect(by('A-01', 'L1')).toBe(5);
    expect(by('STG-01', 'L1')).toBe(3);
    expect(by('A-05', 'L2')).toBe(4);
    expect(withExpiry.find((r) => r.batch === 'L2')?.expiresAt).toBe('2026-03-01');
    // The views show SKUs of the dated items from the same pass (no second query per item).
    expect(watchRows(items, balances, movements, new Map()).names).toEqual(
      new Map([['a', { sku: 'SKU-a', name: 'Item a' }]]),
    );
    // The same rows as the per-item derivation of every document (the floor's stock rule).
    const reference = stockRows(balances, movements, new Map()).filter((r) => r.expiresAt);
    const key = (r: { itemId: string; locationId: string; batch: string | null }) =>
      `${r.itemId}|${r.locationId}|${r.batch ?? ''}`;
    expect(new Map(withExpiry.map((r) => [key(r), r.quantity]))).toEqual(
      new Map(reference.map((r) => [key(r), r.quantity])),
    );
    // The view's window and flags come from the shared rule.
    const soon = expiringSoon(withExpiry, '2026-01-25', 30);
    expect(soon.map((r) => `${r.locationId}:${r.quantity}`)).toEqual(['A-01:5', 'STG-01:3']);
  });

  it('lists items below their minimum with unsynced movements counted, deleted ones left out', () => {
    const { low } = watchRows(
      [...items, { ...item('e', 1), _deleted: true }],
      balances,
      movements,
      new Map(),
    );
    // b: 20 on the server, 15 shipped here → 5 < 50; d holds nothing → 0 < 10; c: 30 ≥ 5.
    expect(low.map((l) => [l.sku, l.onHand, l.minStock])).toEqual([
      ['SKU-b', 5, 50],
      ['SKU-d', 0, 10],
    ]);
  });

  it('an acknowledged movement counts until the balance that reflects it arrives, then once', () => {
    const acked = new Map([['m5', 20]]);
    expect(watchRows(items, balances, movements, acked).low[0]).toMatchObject({ sku: 'SKU-b', onHand: 5 });
    const arrived = [...balances.filter((b) => b.itemId !== 'b'), bal('b', 'A-03', null, 5, 20)];
    expect(watchRows(items, arrived, movements, acked).low[0]).toMatchObject({ sku: 'SKU-b', onHand: 5 });
  });

  it('derives a large tenant (20,000 items, four balances and five movements each) in one pass', () => {
    const n = 20_000;
    const bs: BalanceDoc[] = [];
    const ms: MovementDoc[] = [];
    for (let i = 0; i < n; i++) {
      const id = `i${i}`;
      for (let k = 0; k < 4; k++) bs.push(bal(id, `B-${k}`, 'L', 10, i * 4 + k + 1, '2026-02-01'));
      for (let k = 0; k < 5; k++) ms.push(mov(`${id}-${k}`, id, null, `B-${k % 4}`, 'L', 2, i + 1));
    }
    ms.push(mov('new', 'i7', 'B-0', null, 'L', 1, 0));
    const { withExpiry } = watchRows([], bs, ms, new Map());
    expect(withExpiry).toHaveLength(4 * n);
    expect(withExpiry.find((r) => r.itemId === 'i7' && r.locationId === 'B-0')?.quantity).toBe(9);
  });

  it('runs in slices on a large tenant (the window is not held) and gives the same rows', async () => {
    const n = 20_000;
    const its = Array.from({ length: n }, (_, i) => item(`i${i}`, i % 100 === 0 ? 1_000 : null));
    const bs = its.flatMap((it, i) => [
      bal(it.id, 'B-0', 'L', 10, 2 * i + 1, '2026-02-01'),
      bal(it.id, 'B-1', null, 3, 2 * i + 2),
    ]);
    const ms = [mov('new', 'i7', 'B-0', null, 'L', 1, 0)];
    // A clock that moves 1 ms per reading and a 1 ms budget: a slice ends at every pause of the pass.
    let clock = 0;
    let pauses = 0;
    const sliced = await runSliced(watchRowsPass(its, bs, ms, new Map()), {
      budgetMs: 1,
      now: () => clock++,
      pause: () => {
        pauses += 1;
        return Promise.resolve();
      },
    });
    // A pause every 4,096 documents: 20,000 items and 40,000 balances, read in several passes.
    expect(pauses).toBeGreaterThan(20);
    expect(sliced).toEqual(watchRows(its, bs, ms, new Map()));
    expect(sliced?.withExpiry.find((r) => r.itemId === 'i7')?.quantity).toBe(9);
    expect(sliced?.low).toHaveLength(n / 100);
  });
});

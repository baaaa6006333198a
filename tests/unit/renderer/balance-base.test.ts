import { describe, expect, it } from 'vitest';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { effectiveSeq, SETTLED } from '../../../renderer/data/acks.js';
import {
  balanceBase,
  forgetBalanceBase,
  restartBase,
  setBalanceBase,
} from '../../../renderer/data/balance-base.js';
import { stockRows, watchRows } from '../../../renderer/features/floor/stock-hooks.js';
import { LiveInventory } from '../../../renderer/features/inventory/live.js';

const bal = (itemId: string, loc: string, quantity: number, seq: number): BalanceDoc => ({
  id: `${itemId}|${loc}|`,
  tenantId: 'acme',
  itemId,
  locationId: loc,
  batch: null,
  quantity,
  seq,
  updatedAt: '2026-01-01T00:00:00Z',
});
const mov = (id: string, itemId: string, from: string | null, to: string | null, q: number, seq: number) =>
  ({
    id,
    tenantId: 'acme',
    itemId,
    type: from === null ? 'receipt' : to === null ? 'ship' : 'transfer',
    quantity: q,
    fromLocationId: from,
    toLocationId: to,
    batch: null,
    note: null,
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: 'u',
    deviceId: 'other-pc',
    seq,
  }) as MovementDoc;
const item = (id: string, minStock: number | null) =>
  ({ id, tenantId: 'acme', sku: `SKU-${id}`, name: id, uom: 'pcs', minStock, seq: 1 }) as ItemDoc;

/**
 * A PC's first sync of a large tenant: the server left out the zero balances that were zero when
 * the sync began (base 40), and sent the movements of the last days. Item x: received into RCV-01
 * (seq 10) and put away to A-01 (seq 11): RCV-01 is zero (left out), A-01 holds 5. Item z: received
 * long ago (not sent) and shipped from A-02 three days ago (seq 31): A-02 is zero (left out). Then,
 * offline, this PC picks 2 of x from A-01 to staging (seq 0).
 */
const BASE = 40;
const balances = [bal('x', 'A-01', 5, 11)];
const movements = [
  mov('m1', 'x', null, 'RCV-01', 5, 10),
  mov('m2', 'x', 'RCV-01', 'A-01', 5, 11),
  mov('m3', 'z', 'A-02', null, 4, 31),
  { ...mov('own', 'x', 'A-01', 'STG-01', 2, 0), deviceId: 'this-pc' },
];

describe('stock on a PC whose first sync left out zero balances', () => {
  it('shows the server balances plus its own unsynced movements, per bin', () => {
    const rows = stockRows(balances, movements, new Map(), BASE).map((r) => [
      r.itemId,
      r.locationId,
      r.quantity,
    ]);
    expect(rows).toEqual([
      ['x', 'A-01', 3],
      ['x', 'STG-01', 2],
    ]);
  });

  it('without the base the movements of the left-out balances would count again', () => {
    const rows = stockRows(balances, movements, new Map()).map((r) => [r.itemId, r.locationId, r.quantity]);
    expect(rows).toContainEqual(['z', 'A-02', -4]);
  });

  it('inventory grid and low stock: on hand per item is right', () => {
    const live = new LiveInventory(() => BASE);
    live.applyItems([item('x', null), item('z', null)]);
    live.applyBalances(balances);
    live.applyMovements(movements);
    const byId = new Map(live.rows().map((r) => [r.id, r]));
    expect(byId.get('x')).toMatchObject({ onHand: 5, includesPending: true });
    expect(byId.get('z')).toMatchObject({ onHand: 0, includesPending: false });
    const watch = watchRows([item('z', 1)], balances, movements, new Map(), BASE);
    expect(watch.low).toEqual([expect.objectContaining({ itemId: 'z', onHand: 0 })]);
  });

  it('a movement this PC pushed after the sync began counts until its balance arrives', () => {
    const acks = new Map([['own', 45]]);
    expect(effectiveSeq({ id: 'own', seq: 0 }, acks, BASE)).toBe(45);
    expect(effectiveSeq({ id: 'm3', seq: 31 }, acks, BASE)).toBe(SETTLED);
    const before = stockRows(balances, movements, acks, BASE);
    expect(before.find((r) => r.locationId === 'STG-01')?.quantity).toBe(2);
    // The server's balances after the pick (seq 45) arrive: the pick is in them, not counted again.
    const after = stockRows(
      [bal('x', 'A-01', 3, 45), bal('x', 'STG-01', 2, 45)],
      movements.map((m) => (m.id === 'own' ? { ...m, seq: 45 } : m)),
      acks,
      BASE,
    );
    expect(after.map((r) => [r.locationId, r.quantity])).toEqual([
      ['A-01', 3],
      ['STG-01', 2],
    ]);
  });

  it('keeps the base per partition', () => {
    expect(balanceBase('p1')).toBe(0);
    setBalanceBase('p1', 40);
    expect(balanceBase('p1')).toBe(40);
    expect(balanceBase('p2')).toBe(0);
    // A removed partition forgets it: its next first sync fixes a new one.
    forgetBalanceBase('p1');
    expect(balanceBase('p1')).toBe(0);
  });

  it('a pull from no checkpoint keeps the base of a partition that holds balances (soak seed 97060704)', async () => {
    const holds = (answer: boolean) => {
      const asked: boolean[] = [];
      return { asked, probe: () => (asked.push(answer), Promise.resolve(answer)) };
    };
    // A new partition: the server fixes the base (nothing held, not even asked when the base is known).
    const empty = holds(false);
    expect(await restartBase('p3', empty.probe)).toBeUndefined();
    // Its checkpoint lost after a page: the base it was pulled under stays.
    setBalanceBase('p3', 40);
    const known = holds(true);
    expect(await restartBase('p3', known.probe)).toBe(40);
    expect(known.asked).toEqual([]);
    // Balances held but the base lost (storage cleared): nothing may be left out.
    forgetBalanceBase('p3');
    expect(await restartBase('p3', holds(true).probe)).toBe(0);
  });
});

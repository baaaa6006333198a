import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareRows,
  LiveInventory,
  type BalanceData,
  type ItemData,
  type MovementData,
} from '../../../renderer/features/inventory/live.js';
import { toRows } from '../../../renderer/features/inventory/model.js';
import { effectiveSeq } from '../../../renderer/data/acks.js';
import { onHandByItem } from '../../../shared/domain/stock.js';
import type { ItemDoc } from '../../../shared/domain/schemas.js';

/** What the grid showed before: every document re-read, `onHandByItem`, `toRows`, sorted by SKU. */
function reference(
  items: Map<string, ItemData>,
  balances: Map<string, BalanceData>,
  movements: Map<string, MovementData>,
  acks: ReadonlyMap<string, number>,
) {
  const live = [...items.values()].filter((i) => !i._deleted).sort(compareRows);
  const bs = [...balances.values()].filter((b) => !b._deleted);
  const ms = [...movements.values()]
    .filter((m) => !m._deleted)
    .map((m) => ({ ...m, seq: effectiveSeq(m, acks) }));
  return toRows(live as unknown as ItemDoc[], onHandByItem(bs, ms));
}

/** True about once in `n`. */
const rarely = (n: number) =>
  fc.oneof({ arbitrary: fc.constant(false), weight: n - 1 }, { arbitrary: fc.constant(true), weight: 1 });

const ITEM_IDS = ['a', 'b', 'c', 'd'];
const itemArb = fc.record({
  id: fc.constantFrom(...ITEM_IDS),
  sku: fc.constantFrom('S-1', 'S-2', 'S-3', 'S-1'),
  name: fc.string({ maxLength: 3 }),
  barcode: fc.constant(null),
  uom: fc.constant('pc'),
  _deleted: rarely(5),
});
const balanceArb = fc.record({
  id: fc.constantFrom('b1', 'b2', 'b3', 'b4', 'b5'),
  itemId: fc.constantFrom(...ITEM_IDS),
  quantity: fc.integer({ min: -5, max: 20 }),
  seq: fc.integer({ min: 1, max: 30 }),
  _deleted: fc.constant(false),
});
const movementArb = fc.record({
  id: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5', 'm6'),
  itemId: fc.constantFrom(...ITEM_IDS),
  quantity: fc.integer({ min: 1, max: 9 }),
  fromLocationId: fc.constantFrom(null, 'L1'),
  toLocationId: fc.constantFrom(null, 'L2'),
  seq: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 })),
  _deleted: rarely(10),
});
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('items' as const), docs: fc.array(itemArb, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('balances' as const), docs: fc.array(balanceArb, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('movements' as const), docs: fc.array(movementArb, { maxLength: 3 }) }),
  fc.record({
    kind: fc.constant('ack' as const),
    id: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5', 'm6'),
    seq: fc.integer({ min: 1, max: 30 }),
  }),
  fc.record({ kind: fc.constant('rows' as const) }),
);

describe('LiveInventory', () => {
  it('equals a full recomputation after any sequence of changes, replays included', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const live = new LiveInventory();
        const items = new Map<string, ItemData>();
        const balances = new Map<string, BalanceData>();
        const movements = new Map<string, MovementData>();
        let acks = new Map<string, number>();
        let maxSeq = 0;
        for (const op of ops) {
          if (op.kind === 'items') {
            live.applyItems(op.docs);
            // Replayed (initial read + buffered event): must not count twice.
            live.applyItems(op.docs);
            for (const d of op.docs) items.set(d.id, d);
          } else if (op.kind === 'balances') {
            // The server's balances only move forward: a newer state has a higher sequence, also
            // within one pulled batch (the server sends it in sequence order).
            const docs = op.docs.map((d) => {
              maxSeq = Math.max(d.seq, maxSeq);
              return { ...d, seq: maxSeq };
            });
            live.applyBalances(docs);
            live.applyBalances(docs);
            for (const d of docs) balances.set(d.id, d);
          } else if (op.kind === 'movements') {
            live.applyMovements(op.docs);
            for (const d of op.docs) movements.set(d.id, d);
          } else if (op.kind === 'ack') {
            if (acks.has(op.id)) continue; // acks are final
            acks = new Map(acks).set(op.id, op.seq);
            live.setAcks(acks);
          } else {
            expect(live.rows()).toEqual(reference(items, balances, movements, acks));
          }
        }
        expect(live.rows()).toEqual(reference(items, balances, movements, acks));
      }),
      { numRuns: 500 },
    );
  });

  it('returns the same array while nothing changed, and new objects only for changed rows', () => {
    const live = new LiveInventory();
    live.applyItems([
      { id: 'a', sku: 'A', name: 'A', barcode: null, uom: 'pc' },
      { id: 'b', sku: 'B', name: 'B', barcode: null, uom: 'pc' },
    ]);
    const first = live.rows();
    expect(live.rows()).toBe(first);
    live.applyBalances([{ id: 'x', itemId: 'b', quantity: 5, seq: 1 }]);
    const second = live.rows();
    expect(second).not.toBe(first);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toMatchObject({ id: 'b', onHand: 5, includesPending: false });
    // A local movement (seq 0) counts as pending until the balances reflect it.
    live.applyMovements([
      { id: 'm', itemId: 'b', quantity: 2, fromLocationId: null, toLocationId: 'L', seq: 0 },
    ]);
    expect(live.rows()[1]).toMatchObject({ onHand: 7, includesPending: true });
    live.setAcks(new Map([['m', 2]]));
    live.applyBalances([{ id: 'x', itemId: 'b', quantity: 7, seq: 2 }]);
    expect(live.rows()[1]).toMatchObject({ onHand: 7, includesPending: false });
  });
});

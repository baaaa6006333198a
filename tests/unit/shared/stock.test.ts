import { describe, expect, it } from 'vitest';
import { itemDelta, onHandByItem } from '../../../shared/domain/stock.js';
import { balanceId, movementDelta } from '../../../shared/domain/schemas.js';

const mv = (itemId: string, quantity: number, from: string | null, to: string | null, seq: number) => ({
  itemId,
  quantity,
  fromLocationId: from,
  toLocationId: to,
  seq,
});

describe('stock derivation', () => {
  it('item delta: receipt adds, ship removes, transfer nets zero', () => {
    expect(itemDelta(mv('i', 5, null, 'A', 0))).toBe(5);
    expect(itemDelta(mv('i', 5, 'A', null, 0))).toBe(-5);
    expect(itemDelta(mv('i', 5, 'A', 'B', 0))).toBe(0);
    expect(movementDelta(mv('i', 5, 'A', 'B', 0), 'A')).toBe(-5);
    expect(movementDelta(mv('i', 5, 'A', 'B', 0), 'B')).toBe(5);
  });

  it('adds unsynced local movements to server balances', () => {
    const oh = onHandByItem(
      [
        { itemId: 'i', quantity: 10, seq: 7 },
        { itemId: 'i', quantity: 2, seq: 4 },
      ],
      [mv('i', 5, null, 'A', 0)],
    );
    expect(oh.get('i')).toEqual({ quantity: 17, includesPending: true });
  });

  it('does not count a synced movement twice once balances reflect it', () => {
    const oh = onHandByItem([{ itemId: 'i', quantity: 15, seq: 8 }], [mv('i', 5, null, 'A', 8)]);
    expect(oh.get('i')).toEqual({ quantity: 15, includesPending: false });
  });

  it('counts a synced movement whose balance has not arrived yet', () => {
    const oh = onHandByItem([{ itemId: 'i', quantity: 10, seq: 7 }], [mv('i', 5, null, 'A', 9)]);
    expect(oh.get('i')?.quantity).toBe(15);
  });

  it('balance ids are stable and distinguish batches', () => {
    expect(balanceId('i', 'A', null)).toBe('i|A|');
    expect(balanceId('i', 'A', 'L1')).not.toBe(balanceId('i', 'A', null));
  });
});

describe('stock per location and batch', () => {
  it('sums balances and unreflected movements per location × batch, hiding zeros', async () => {
    const { onHandByLocation, adjustmentFor } = await import('../../../shared/domain/stock.js');
    const rows = onHandByLocation(
      [
        { itemId: 'i', locationId: 'A', batch: 'L1', quantity: 10, seq: 5 },
        { itemId: 'i', locationId: 'B', batch: null, quantity: 3, seq: 6 },
        { itemId: 'x', locationId: 'A', batch: 'L1', quantity: 99, seq: 7 },
      ],
      [
        { itemId: 'i', quantity: 10, fromLocationId: 'A', toLocationId: null, batch: 'L1', seq: 0 },
        { itemId: 'i', quantity: 2, fromLocationId: null, toLocationId: 'B', batch: null, seq: 9 },
        // Reflected in B's balance (seq 6) already: not counted again.
        { itemId: 'i', quantity: 3, fromLocationId: null, toLocationId: 'B', batch: null, seq: 6 },
        // A movement to a location whose balance has not arrived yet counts.
        { itemId: 'i', quantity: 4, fromLocationId: null, toLocationId: 'C', batch: null, seq: 12 },
      ],
      'i',
    );
    expect(rows).toEqual([
      { locationId: 'B', batch: null, quantity: 5 },
      { locationId: 'C', batch: null, quantity: 4 },
    ]);
    expect(adjustmentFor(5, 5)).toBeNull();
    expect(adjustmentFor(5, 8)).toEqual({ quantity: 3, direction: 'in' });
    expect(adjustmentFor(5, 1)).toEqual({ quantity: 4, direction: 'out' });
  });
});

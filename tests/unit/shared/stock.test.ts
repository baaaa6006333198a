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

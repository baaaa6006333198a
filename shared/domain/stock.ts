import type { BalanceDoc, MovementDoc } from './schemas.js';

/** What an inventory row shows for one item. */
export type OnHand = { quantity: number; includesPending: boolean };

/** Item-level effect of a movement: stock entering minus stock leaving (a transfer nets to 0). */
export function itemDelta(m: Pick<MovementDoc, 'quantity' | 'fromLocationId' | 'toLocationId'>): number {
  return (m.toLocationId !== null ? m.quantity : 0) - (m.fromLocationId !== null ? m.quantity : 0);
}

/**
 * Movements that the local balances do not reflect yet. Balances are pulled in sequence order, so
 * every movement with a sequence at or below the highest balance sequence held locally is already
 * counted; unsynced local movements (seq 0) and newer ones are not.
 */
export function isUnreflected(m: Pick<MovementDoc, 'seq'>, maxBalanceSeq: number): boolean {
  return m.seq === 0 || m.seq > maxBalanceSeq;
}

/**
 * On-hand quantity per item: the server-derived balances plus the movements they do not reflect
 * yet, so a client shows the right stock while offline.
 */
export function onHandByItem(
  balances: readonly Pick<BalanceDoc, 'itemId' | 'quantity' | 'seq'>[],
  movements: readonly Pick<MovementDoc, 'itemId' | 'quantity' | 'fromLocationId' | 'toLocationId' | 'seq'>[],
): Map<string, OnHand> {
  const out = new Map<string, OnHand>();
  let maxBalanceSeq = 0;
  for (const b of balances) {
    maxBalanceSeq = Math.max(maxBalanceSeq, b.seq);
    const cur = out.get(b.itemId);
    out.set(b.itemId, {
      quantity: (cur?.quantity ?? 0) + b.quantity,
      includesPending: cur?.includesPending ?? false,
    });
  }
  for (const m of movements) {
    if (!isUnreflected(m, maxBalanceSeq)) continue;
    const cur = out.get(m.itemId);
    out.set(m.itemId, { quantity: (cur?.quantity ?? 0) + itemDelta(m), includesPending: true });
  }
  return out;
}

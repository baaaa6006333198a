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

/**
 * On-hand of one item per location × batch: each balance plus the movements it does not reflect
 * yet. A balance's `seq` is that of the last movement applied to it, so a movement is reflected
 * in the balance of a location exactly when its sequence is not above that balance's — exact per
 * row, whatever order balances and movements arrive in.
 */
export function onHandByLocation(
  balances: readonly Pick<BalanceDoc, 'itemId' | 'locationId' | 'batch' | 'quantity' | 'seq'>[],
  movements: readonly Pick<
    MovementDoc,
    'itemId' | 'quantity' | 'fromLocationId' | 'toLocationId' | 'batch' | 'seq'
  >[],
  itemId: string,
): { locationId: string; batch: string | null; quantity: number }[] {
  const key = (loc: string, batch: string | null) => `${loc}\u0000${batch ?? ''}`;
  const out = new Map<string, { locationId: string; batch: string | null; quantity: number; seq: number }>();
  for (const b of balances) {
    if (b.itemId !== itemId) continue;
    out.set(key(b.locationId, b.batch), {
      locationId: b.locationId,
      batch: b.batch,
      quantity: b.quantity,
      seq: b.seq,
    });
  }
  const add = (loc: string, batch: string | null, q: number, seq: number) => {
    const k = key(loc, batch);
    const cur = out.get(k) ?? { locationId: loc, batch, quantity: 0, seq: 0 };
    if (seq === 0 || seq > cur.seq) cur.quantity += q;
    out.set(k, cur);
  };
  for (const m of movements) {
    if (m.itemId !== itemId) continue;
    if (m.toLocationId !== null) add(m.toLocationId, m.batch, m.quantity, m.seq);
    if (m.fromLocationId !== null) add(m.fromLocationId, m.batch, -m.quantity, m.seq);
  }
  return [...out.values()]
    .filter((r) => r.quantity !== 0)
    .map(({ locationId, batch, quantity }) => ({ locationId, batch, quantity }))
    .sort((a, b) => a.locationId.localeCompare(b.locationId) || (a.batch ?? '').localeCompare(b.batch ?? ''));
}

/**
 * The adjustment that brings one location × batch from `current` to `counted`: stock in without
 * a source, or out without a destination. Null when nothing changes.
 */
export function adjustmentFor(
  current: number,
  counted: number,
): { quantity: number; direction: 'in' | 'out' } | null {
  const diff = counted - current;
  if (diff === 0) return null;
  return diff > 0 ? { quantity: diff, direction: 'in' } : { quantity: -diff, direction: 'out' };
}

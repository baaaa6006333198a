import { useEffect, useState } from 'react';
import type { BalanceDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { onHandByLocation } from '../../../shared/domain/stock.js';
import { effectiveSeq } from '../../data/acks.js';
import { useWorkspace } from '../../data/workspace.js';

/** One stock row: item × location × batch with what this PC knows (server balance + own unsynced). */
export type StockRow = {
  itemId: string;
  locationId: string;
  batch: string | null;
  quantity: number;
  expiresAt: string | null;
};

/** Rows of the given items from balances and movements, as the shared stock rule derives them. */
export function stockRows(
  balances: readonly BalanceDoc[],
  movements: readonly MovementDoc[],
  acks: ReadonlyMap<string, number>,
): StockRow[] {
  const ms = movements.map((x) => ({ ...x, seq: effectiveSeq(x, acks) }));
  const ids = new Set<string>([...balances.map((b) => b.itemId), ...ms.map((m) => m.itemId)]);
  // A batch's expiry travels on its receipt movement and on the server's balance rows.
  const expiry = new Map<string, string>();
  const ek = (itemId: string, batch: string | null) => `${itemId}\u0000${batch ?? ''}`;
  for (const x of [...balances, ...movements]) {
    if (x.expiresAt) expiry.set(ek(x.itemId, x.batch), x.expiresAt);
  }
  const out: StockRow[] = [];
  for (const itemId of ids)
    for (const r of onHandByLocation(balances, ms, itemId))
      out.push({ itemId, ...r, expiresAt: expiry.get(ek(itemId, r.batch)) ?? null });
  return out;
}

/** A few items by id (sku and name for the rows of a bin), live. */
export function useItemsById(ids: readonly string[]): ReadonlyMap<string, { sku: string; name: string }> {
  const db = useWorkspace((s) => s.db);
  const [out, setOut] = useState<ReadonlyMap<string, { sku: string; name: string }>>(new Map());
  const key = [...ids].sort().join(',');
  useEffect(() => {
    if (!db || key === '') return setOut(new Map());
    const sub = db.items
      .find({ selector: { id: { $in: key.split(',') } } })
      .$.subscribe((docs) => setOut(new Map(docs.map((d) => [d.id, { sku: d.sku, name: d.name }] as const))));
    return () => sub.unsubscribe();
  }, [db, key]);
  return out;
}

import { useEffect, useState } from 'react';
import { combineLatest, map, Observable } from 'rxjs';
import type { BalanceDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { onHandByLocation } from '../../../shared/domain/stock.js';
import { effectiveSeq, useAcks } from '../../data/acks.js';
import { useWorkspace } from '../../data/workspace.js';

/** One stock row: item × location × batch with what this PC knows (server balance + own unsynced). */
export type StockRow = {
  itemId: string;
  locationId: string;
  batch: string | null;
  quantity: number;
  expiresAt: string | null;
};

const acks$ = () =>
  new Observable<ReadonlyMap<string, number>>((sub) => {
    sub.next(useAcks.getState().seqs);
    return useAcks.subscribe((s) => sub.next(s.seqs));
  });

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

/**
 * Live stock rows for a selector: `{itemId}` (one item everywhere) or `{locationId}` (one bin,
 * every item). Null while loading.
 */
export function useStockRows(sel: { itemId: string } | { locationId: string } | null): StockRow[] | null {
  const db = useWorkspace((s) => s.db);
  const [state, setState] = useState<{ key: string; rows: StockRow[] } | null>(null);
  const key = sel ? ('itemId' in sel ? `i:${sel.itemId}` : `l:${sel.locationId}`) : '';
  useEffect(() => {
    if (!db || !sel) return;
    const setRows = (rows: StockRow[]) => setState({ key, rows });
    const bSel = 'itemId' in sel ? { itemId: sel.itemId } : { locationId: sel.locationId };
    const balances$ = db.balances
      .find({ selector: bSel })
      .$.pipe(map((d) => d.map((x) => x.toJSON() as BalanceDoc)));
    // Movements touching a bin come in either direction; an item's come by item id.
    const movements$ =
      'itemId' in sel
        ? db.movements
            .find({ selector: { itemId: sel.itemId } })
            .$.pipe(map((d) => d.map((x) => x.toJSON() as MovementDoc)))
        : combineLatest([
            db.movements.find({ selector: { toLocationId: sel.locationId } }).$,
            db.movements.find({ selector: { fromLocationId: sel.locationId } }).$,
          ]).pipe(
            map(([a, b]) => {
              const all = new Map<string, MovementDoc>();
              for (const x of [...a, ...b]) all.set(x.id, x.toJSON());
              return [...all.values()];
            }),
          );
    // Whether a balance reflects a movement is judged per location row, so a bin's own balances
    // and the movements touching it suffice.
    const sub = combineLatest([balances$, movements$, acks$()]).subscribe(([b, m, acks]) => {
      const rows = stockRows(b, m, acks);
      setRows('locationId' in sel ? rows.filter((r) => r.locationId === sel.locationId) : rows);
    });
    return () => sub.unsubscribe();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` identifies `sel`
  }, [db, key]);
  // Rows of a previous selector are never shown for a new one.
  return state && state.key === key && sel ? state.rows : null;
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

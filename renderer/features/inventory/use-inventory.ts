import { useEffect, useState } from 'react';
import { combineLatest, distinctUntilChanged, map, Observable, switchMap } from 'rxjs';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { onHandByItem } from '../../../shared/domain/stock.js';
import { effectiveSeq, useAcks } from '../../data/acks.js';
import type { TenantDatabase } from '../../data/database.js';
import { toRows, type InventoryRow } from './model.js';

/** Inventory rows of the open partition, live: server balances plus unreflected local movements. */
export function useInventory(db: TenantDatabase | null): { rows: InventoryRow[] | null } {
  const [rows, setRows] = useState<InventoryRow[] | null>(null);
  useEffect(() => {
    setRows(null);
    if (!db) return;
    const items$ = db.items
      .find({ sort: [{ sku: 'asc' }] })
      .$.pipe(map((docs) => docs.map((d) => d.toJSON() as ItemDoc)));
    const balances$ = db.balances.find().$.pipe(map((docs) => docs.map((d) => d.toJSON() as BalanceDoc)));
    // Only movements the balances do not reflect yet: unsynced (seq 0) or newer than the balances.
    const movements$ = balances$.pipe(
      map((bs) => bs.reduce((m, b) => Math.max(m, b.seq), 0)),
      distinctUntilChanged(),
      switchMap(
        (maxSeq) => db.movements.find({ selector: { $or: [{ seq: 0 }, { seq: { $gt: maxSeq } }] } }).$,
      ),
      map((docs) => docs.map((d) => d.toJSON() as MovementDoc)),
    );
    const acks$ = new Observable<ReadonlyMap<string, number>>((sub) => {
      sub.next(useAcks.getState().seqs);
      return useAcks.subscribe((s) => sub.next(s.seqs));
    });
    const sub = combineLatest([items$, balances$, movements$, acks$]).subscribe(
      ([items, balances, movements, acks]) => {
        const known = movements.map((m) => ({ ...m, seq: effectiveSeq(m, acks) }));
        setRows(toRows(items, onHandByItem(balances, known)));
      },
    );
    return () => sub.unsubscribe();
  }, [db]);
  return { rows };
}

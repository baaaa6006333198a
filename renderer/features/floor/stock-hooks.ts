import { useEffect, useState } from 'react';
import { auditTime, merge, Subject } from 'rxjs';
import { lowStock, onHandRows, type LowStock } from '../../../shared/domain/floor.js';
import {
  balanceId,
  type BalanceDoc,
  type ItemDoc,
  type MovementDoc,
} from '../../../shared/domain/schemas.js';
import { isUnreflected, itemDelta } from '../../../shared/domain/stock.js';
import { effectiveSeq, useAcks } from '../../data/acks.js';
import { balanceBase } from '../../data/balance-base.js';
import { runAll, runSliced, type Pass } from '../../data/slices.js';
import { readAllRaw } from '../../data/storage/raw-read.js';
import { useWorkspace } from '../../data/workspace.js';

/** One stock row: item × location × batch with what this PC knows (server balance + own unsynced). */
export type StockRow = {
  itemId: string;
  locationId: string;
  batch: string | null;
  quantity: number;
  expiresAt: string | null;
};

/**
 * Rows of the given items from balances and movements, as the shared stock rule derives them (one
 * pass grouped by item: linear in the documents, so 100,000 items × 400,000 balances stay fast).
 */
export function stockRows(
  balances: readonly BalanceDoc[],
  movements: readonly MovementDoc[],
  acks: ReadonlyMap<string, number>,
  base = 0,
): StockRow[] {
  const rows = onHandRows(
    balances,
    movements.map((x) => ({ ...x, seq: effectiveSeq(x, acks, base) })),
  );
  return rows.map((r) => ({ ...r, expiresAt: r.expiresAt ?? null }));
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

type WatchItem = Pick<ItemDoc, 'id' | 'sku' | 'name' | 'minStock'> & { _deleted?: boolean };
type WatchBalance = BalanceDoc & { _deleted?: boolean };
type WatchMovement = MovementDoc & { _deleted?: boolean };

/**
 * What the expiry and low-stock views show: every stock row with a known expiry, low items, and
 * the SKU and name of every item with a dated row.
 */
export type WatchRows = {
  withExpiry: StockRow[];
  low: LowStock[];
  names: ReadonlyMap<string, { sku: string; name: string }>;
};

/**
 * The expiry and low-stock views' data from plain documents, in a few linear passes (a tenant of
 * 100,000 items, 400,000 balances and 500,000 movements takes tens of milliseconds, not a scan
 * per item). Like the inventory grid, a movement counts on top of the balances while it may
 * still be unreflected — unsynced (seq 0), or newer than the highest balance sequence held —
 * and then per row by the shared stock rule (`onHandRows`).
 */
export function watchRows(
  items: readonly WatchItem[],
  balances: readonly WatchBalance[],
  movements: readonly WatchMovement[],
  acks: ReadonlyMap<string, number>,
  base = 0,
): WatchRows {
  return runAll(watchRowsPass(items, balances, movements, acks, base));
}

/** Documents between two pauses of `watchRowsPass` (a few milliseconds of work). */
const STRIDE = 4096;

/**
 * `watchRows` as a pass that pauses every `STRIDE` documents (data/slices.ts): the stock watch
 * runs it in slices, so a large tenant's expiry view never holds the window in one long task.
 */
export function* watchRowsPass(
  items: readonly WatchItem[],
  balances: readonly WatchBalance[],
  movements: readonly WatchMovement[],
  acks: ReadonlyMap<string, number>,
  base = 0,
): Pass<WatchRows> {
  let n = 0;
  const due = () => ++n % STRIDE === 0;
  let maxSeq = 0;
  for (const b of balances) {
    if (!b._deleted && b.seq > maxSeq) maxSeq = b.seq;
    if (due()) yield;
  }
  const pending: MovementDoc[] = [];
  for (const m of movements) {
    if (due()) yield;
    if (m._deleted) continue;
    const seq = effectiveSeq(m, acks, base);
    if (isUnreflected({ seq }, maxSeq)) pending.push(seq === m.seq ? m : { ...m, seq });
  }
  // Expiry per item × batch, from the balances and the pending receipts.
  const expiry = new Map<string, string>();
  const ek = (itemId: string, batch: string | null) => `${itemId}\u0000${batch ?? ''}`;
  for (const b of balances) {
    if (!b._deleted && b.expiresAt) expiry.set(ek(b.itemId, b.batch), b.expiresAt);
    if (due()) yield;
  }
  for (const m of pending) if (m.expiresAt) expiry.set(ek(m.itemId, m.batch), m.expiresAt);
  // Rows of dated batches: the balance, plus each pending movement the row does not reflect yet
  // (the per-row rule of `onHandByLocation`: unsynced, or newer than the row's sequence).
  type Row = StockRow & { seq: number };
  const rows = new Map<string, Row>();
  for (const b of balances) {
    if (due()) yield;
    if (b._deleted || !expiry.has(ek(b.itemId, b.batch))) continue;
    rows.set(balanceId(b.itemId, b.locationId, b.batch), {
      itemId: b.itemId,
      locationId: b.locationId,
      batch: b.batch,
      quantity: b.quantity,
      expiresAt: null,
      seq: b.seq,
    });
  }
  const add = (m: MovementDoc, locationId: string, q: number) => {
    const id = balanceId(m.itemId, locationId, m.batch);
    let r = rows.get(id);
    if (!r) {
      r = { itemId: m.itemId, locationId, batch: m.batch, quantity: 0, expiresAt: null, seq: 0 };
      rows.set(id, r);
    }
    if (m.seq === 0 || m.seq > r.seq) r.quantity += q;
  };
  for (const m of pending) {
    if (!expiry.has(ek(m.itemId, m.batch))) continue;
    if (m.toLocationId !== null) add(m, m.toLocationId, m.quantity);
    if (m.fromLocationId !== null) add(m, m.fromLocationId, -m.quantity);
  }
  const withExpiry: StockRow[] = [];
  for (const { seq: _seq, ...r } of rows.values()) {
    if (r.quantity !== 0) withExpiry.push({ ...r, expiresAt: expiry.get(ek(r.itemId, r.batch)) ?? null });
    if (due()) yield;
  }
  // Low stock: on hand of the items with a minimum (balances + pending movements).
  const watched: WatchItem[] = [];
  for (const i of items) {
    if (!i._deleted && i.minStock !== null && i.minStock !== undefined) watched.push(i);
    if (due()) yield;
  }
  const onHand = new Map<string, number>(watched.map((i) => [i.id, 0]));
  for (const b of balances) {
    const q = b._deleted ? undefined : onHand.get(b.itemId);
    if (q !== undefined) onHand.set(b.itemId, q + b.quantity);
    if (due()) yield;
  }
  for (const m of pending) {
    const q = onHand.get(m.itemId);
    if (q !== undefined) onHand.set(m.itemId, q + itemDelta(m));
  }
  const names = new Map<string, { sku: string; name: string }>();
  for (const r of withExpiry) names.set(r.itemId, { sku: r.itemId, name: '' });
  for (const i of items) {
    if (!i._deleted && names.has(i.id)) names.set(i.id, { sku: i.sku, name: i.name });
    if (due()) yield;
  }
  return { withExpiry, low: lowStock(watched, onHand), names };
}

/**
 * `watchRows` of the open tenant, live: read from the stored documents (no RxDocuments), again
 * at most every 300 ms while items, balances, movements or acknowledgements change. Null while
 * loading.
 */
export function useStockWatch(): WatchRows | null {
  const db = useWorkspace((s) => s.db);
  const [out, setOut] = useState<WatchRows | null>(null);
  useEffect(() => {
    setOut(null);
    if (!db) return;
    let closed = false;
    let running = false;
    let again = false;
    const run = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const [items, balances, movements] = await Promise.all([
            readAllRaw(db.items),
            readAllRaw(db.balances),
            readAllRaw(db.movements),
          ]);
          if (closed) return;
          // In slices: no long task on a large tenant. A change meanwhile runs it again after
          // (never abandoned for one: a steady stream of pulls would starve the view).
          const rows = await runSliced(
            watchRowsPass(items, balances, movements, useAcks.getState().seqs, balanceBase(db.name)),
            { cancelled: () => closed },
          );
          if (rows && !closed) setOut(rows);
        } while (again && !closed);
      } catch (e) {
        // The partition closed while it was read (tenant switch, sign-out): nothing to show.
        if (!closed) console.warn('stock watch read failed', e);
      } finally {
        running = false;
      }
    };
    const changed = new Subject<void>();
    const sub = merge(db.items.$, db.balances.$, db.movements.$, changed)
      .pipe(auditTime(300))
      .subscribe(() => void run());
    const unsubAcks = useAcks.subscribe(() => changed.next());
    void run();
    return () => {
      closed = true;
      sub.unsubscribe();
      unsubAcks();
    };
  }, [db]);
  return out;
}

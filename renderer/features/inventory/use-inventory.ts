import { useEffect, useState } from 'react';
import type { RxChangeEventBulk, RxCollection } from 'rxdb';
import { useAcks } from '../../data/acks.js';
import { balanceBase } from '../../data/balance-base.js';
import type { TenantDatabase } from '../../data/database.js';
import { nextTask } from '../../data/slices.js';
import { readAllRaw } from '../../data/storage/raw-read.js';
import { measureStep } from '../../data/timing.js';
import { LiveInventory } from './live.js';
import type { InventoryRow } from './model.js';

/** Documents above which the first build waits for a task of its own. */
const LARGE = 50_000;

/**
 * Inventory rows of the open partition, live: server balances plus unreflected local movements.
 *
 * Reads the three collections' raw data once (no RxDocuments, no `toJSON` copies: on the chunked
 * storage the stored objects themselves) and then follows their change events, so on-hand per
 * item is derived incrementally and the grid gets one sorted array of plain rows. Changes that
 * arrive together (a pulled batch, a local write) are applied in one pass per task.
 */
export function useInventory(db: TenantDatabase | null): { rows: InventoryRow[] | null } {
  const [rows, setRows] = useState<InventoryRow[] | null>(null);
  useEffect(() => {
    setRows(null);
    if (!db) return;
    const name = db.name;
    const live = new LiveInventory(() => balanceBase(name));
    let loaded = false;
    let closed = false;
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      if (closed || !loaded) return;
      setRows(live.rows());
    };
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      setTimeout(flush, 0);
    };
    // Events that arrive before the first read completes are buffered and applied after it: the
    // read already holds some of them, and applying a document twice is harmless (idempotent).
    const buffered: (() => void)[] = [];
    const follow = <T>(collection: RxCollection<T>, apply: (docs: T[]) => void) =>
      collection.eventBulks$.subscribe((bulk: RxChangeEventBulk<T>) => {
        const docs = bulk.events.map((e) =>
          e.operation === 'DELETE' ? { ...e.documentData, _deleted: true } : e.documentData,
        ) as T[];
        if (!loaded) buffered.push(() => apply(docs));
        else {
          apply(docs);
          schedule();
        }
      });
    const subs = [
      follow(db.items, (d) => live.applyItems(d)),
      follow(db.balances, (d) => live.applyBalances(d)),
      follow(db.movements, (d) => live.applyMovements(d)),
    ];
    live.setAcks(useAcks.getState().seqs);
    const unsubAcks = useAcks.subscribe((s) => {
      live.setAcks(s.seqs);
      if (loaded) schedule();
    });
    void (async () => {
      const [items, balances, movements] = await Promise.all([
        readAllRaw(db.items),
        readAllRaw(db.balances),
        readAllRaw(db.movements),
      ]);
      // A large partition's first build gets a task of its own: the partition's open and the
      // first render just ran in this one (100k items: together 212 ms). A small one is built
      // at once (a new task costs a frame here: tenant switches of 10k items took 15 ms more).
      if (items.length + balances.length + movements.length > LARGE) await nextTask();
      if (closed) return;
      const start = performance.now();
      live.applyBalances(balances);
      live.applyItems(items);
      live.applyMovements(movements);
      for (const b of buffered.splice(0)) b();
      loaded = true;
      flush();
      measureStep('inventory-build', start);
    })().catch((e: unknown) => {
      // The partition closed while it was read (tenant switch, sign-out): nothing to show.
      if (!closed) console.warn('inventory read failed', e);
    });
    return () => {
      closed = true;
      for (const s of subs) s.unsubscribe();
      unsubAcks();
    };
  }, [db]);
  return { rows };
}

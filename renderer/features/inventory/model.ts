import type { ItemDoc } from '../../../shared/domain/schemas.js';
import type { OnHand } from '../../../shared/domain/stock.js';

/** One row of the inventory grid. `purchasePrice` is undefined when the role may not read it. */
export type InventoryRow = {
  id: string;
  sku: string;
  name: string;
  barcode: string | null;
  uom: string;
  purchasePrice: number | null | undefined;
  onHand: number;
  includesPending: boolean;
};

/** Join items with their on-hand quantities. */
export function toRows(items: readonly ItemDoc[], onHand: ReadonlyMap<string, OnHand>): InventoryRow[] {
  return items.map((i) => {
    const q = onHand.get(i.id);
    return {
      id: i.id,
      sku: i.sku,
      name: i.name,
      barcode: i.barcode,
      uom: i.uom,
      purchasePrice: i.purchasePrice,
      onHand: q?.quantity ?? 0,
      includesPending: q?.includesPending ?? false,
    };
  });
}

const SEARCH_KEY = Symbol('searchKey');
type Keyed = InventoryRow & { [SEARCH_KEY]?: string };

/**
 * The text a search looks in: SKU and name lower-cased, the barcode as stored, with a separator no
 * query matches across. Kept on the row itself, built on first use (or ahead, by `warmSearch`):
 * the grid reuses a row object while its item and stock are unchanged, so a search over 100,000
 * rows lower-cases nothing and allocates nothing but its result (issue #8, grid search).
 */
function searchKey(r: InventoryRow): string {
  const k = r as Keyed;
  return (k[SEARCH_KEY] ??= `${r.sku.toLowerCase()}\u0001${r.name.toLowerCase()}\u0001${r.barcode ?? ''}`);
}

/** Case-insensitive substring search over SKU and name, and over the barcode as stored. */
export function filterRows(rows: readonly InventoryRow[], query: string): readonly InventoryRow[] {
  const q = query.trim().toLowerCase();
  if (q === '') return rows;
  if (q.includes('\u0001')) return [];
  const out: InventoryRow[] = [];
  for (const r of rows) if (searchKey(r).includes(q)) out.push(r);
  return out;
}

/**
 * Build the search text of `rows` ahead of the first search, a slice at a time while the page is
 * idle, so that search is as fast as the ones after it. Returns a cancel function.
 */
export function warmSearch(rows: readonly InventoryRow[]): () => void {
  const idle = globalThis.requestIdleCallback as typeof requestIdleCallback | undefined;
  if (typeof idle !== 'function') return () => {};
  let i = 0;
  let handle = 0;
  const step = (deadline: IdleDeadline) => {
    // At least one slice per call: a page kept busy (replication after sign-in) gets no idle time,
    // and the callback then comes after `timeout` anyway.
    do {
      const end = Math.min(rows.length, i + 2000);
      for (; i < end; i++) searchKey(rows[i] as InventoryRow);
    } while (i < rows.length && deadline.timeRemaining() > 1);
    if (i < rows.length) handle = idle(step, { timeout: 50 });
  };
  handle = idle(step, { timeout: 50 });
  return () => globalThis.cancelIdleCallback(handle);
}

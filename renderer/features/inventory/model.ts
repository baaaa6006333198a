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
  /**
   * Lower-cased SKU and name, NUL-separated: set on the row by its first search and carried by the
   * copies an on-hand change makes (a changed item gets a new row, without it).
   */
  searchKey?: string;
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

const keyOf = (r: InventoryRow): string =>
  (r.searchKey ??= `${r.sku.toLowerCase()}\u0000${r.name.toLowerCase()}`);

/**
 * Case-insensitive substring search over SKU and name, and over the barcode as stored.
 *
 * Performance (issue #8, grid search over 100,000 items ≤ 50 ms): lower-casing two strings per row
 * on every search allocated 200,000 strings a keystroke, and the garbage collection it caused was
 * the slow tail. Each row keeps its lower-cased key from its first search on (a property of the
 * row, not a WeakMap, whose entries are costly to collect).
 */
export function filterRows(rows: readonly InventoryRow[], query: string): readonly InventoryRow[] {
  const q = query.trim().toLowerCase();
  if (q === '') return rows;
  // The key's separator must not let a query match across SKU and name.
  if (q.includes('\u0000')) return [];
  return rows.filter((r) => keyOf(r).includes(q) || (r.barcode ?? '').includes(q));
}

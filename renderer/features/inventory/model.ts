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

/**
 * What a row is searched by: SKU and name lower-cased, barcode as stored, NUL-separated (no query
 * holds a NUL, so no match spans two fields). Kept per row object: the grid reuses the objects of
 * unchanged rows, so a search over 100,000 items lower-cases nothing but the query.
 */
const searchKeys = new WeakMap<InventoryRow, string>();
function searchKey(r: InventoryRow): string {
  let k = searchKeys.get(r);
  if (k === undefined) {
    k = `${r.sku.toLowerCase()}\u0000${r.name.toLowerCase()}\u0000${r.barcode ?? ''}`;
    searchKeys.set(r, k);
  }
  return k;
}

/** Case-insensitive substring search over SKU and name, and over the barcode as stored. */
export function filterRows(rows: readonly InventoryRow[], query: string): readonly InventoryRow[] {
  const q = query.trim().toLowerCase();
  if (q === '') return rows;
  if (q.includes('\u0000')) return [];
  return rows.filter((r) => searchKey(r).includes(q));
}

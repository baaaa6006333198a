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

/** Case-insensitive substring search over SKU and name, and over the barcode as stored. */
export function filterRows(rows: readonly InventoryRow[], query: string): readonly InventoryRow[] {
  const q = query.trim().toLowerCase();
  if (q === '') return rows;
  return rows.filter(
    (r) =>
      r.sku.toLowerCase().includes(q) || r.name.toLowerCase().includes(q) || (r.barcode ?? '').includes(q),
  );
}

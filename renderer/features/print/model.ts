import type { PickSuggestion } from '../../../shared/domain/floor.js';
import { fefoSuggest } from '../../../shared/domain/floor.js';
import type { OrderDoc } from '../../../shared/domain/floor.js';

/** One line of a printed pick list: what to pick and from which bins (first expired first out). */
export type PickListLine = {
  lineId: string;
  sku: string;
  name: string;
  qty: number;
  picks: PickSuggestion[];
  /** Quantity the usable stock cannot cover. */
  shortBy: number;
};

/** A printable pick list. */
export type PickList = { tenantId: string; number: string; status: string; lines: PickListLine[] };

/** Stock the suggestion may use (item × location × batch, with expiry). */
export type PickStock = {
  itemId: string;
  locationId: string;
  batch: string | null;
  quantity: number;
  expiresAt?: string | null;
};

/**
 * The pick list of an order: each line with FEFO bin suggestions over `stock` (expired batches
 * and bins that are not pickable left out), sorted by the first bin so the picker walks once.
 */
export function pickListOf(
  order: Pick<OrderDoc, 'tenantId' | 'number' | 'status' | 'lines'>,
  items: ReadonlyMap<string, { sku: string; name: string }>,
  stock: readonly PickStock[],
  today: string,
  pickable: (locationId: string) => boolean = () => true,
): PickList {
  const lines = order.lines.map((l) => {
    const s = fefoSuggest(stock, l.itemId, l.qty, today, { pickable });
    const item = items.get(l.itemId);
    return {
      lineId: l.lineId,
      sku: item?.sku ?? l.itemId,
      name: item?.name ?? '',
      qty: l.qty,
      picks: s.picks,
      shortBy: s.shortBy,
    };
  });
  const firstBin = (l: PickListLine) => l.picks[0]?.locationId ?? '\uffff';
  lines.sort((a, b) => firstBin(a).localeCompare(firstBin(b)) || a.sku.localeCompare(b.sku));
  return { tenantId: order.tenantId, number: order.number, status: order.status, lines };
}

/** One label: the code (printed large, scannable as text by humans and as Code 128 by scanners). */
export type Label = { code: string; title: string; subtitle?: string };

/** Labels in pages of `perPage` (a label never splits across pages). */
export function pages<T>(labels: readonly T[], perPage: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < labels.length; i += perPage) out.push(labels.slice(i, i + perPage));
  return out;
}

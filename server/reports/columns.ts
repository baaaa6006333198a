import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';
import type { ColumnDef } from './define.js';
import { column, tenantIn } from './define.js';

/** Columns several reports show, defined once (same key, field, label, type and needs everywhere). */

export const skuColumn = column<{ sku: string }>('sku', ['items', 'sku'], 'SKU', 'string', (l) => l.sku);
export const nameColumn = column<{ name: string }>(
  'name',
  ['items', 'name'],
  'Name',
  'string',
  (l) => l.name,
);
export const uomColumn = column<{ uom: string }>('uom', ['items', 'uom'], 'UoM', 'string', (l) => l.uom);

/** On hand (the balances' quantity), read from the line by `get`. */
export const onHandColumn = <L>(get: (l: L) => number): ColumnDef<L> =>
  column('onHand', ['balances', 'quantity'], 'On hand', 'number', get);

/** One line per item with its total on hand and purchase price (inventory and valuation). */
export type ItemValueLine = {
  tenantId: string;
  sku: string;
  name: string;
  uom: string;
  onHand: number;
  purchasePrice: number | null;
};

/** SKU, name, UoM, on hand, purchase price and value (on hand × price, rounded to cents). */
export const itemValueColumns = (): ColumnDef<ItemValueLine>[] => [
  skuColumn,
  nameColumn,
  uomColumn,
  onHandColumn((l) => l.onHand),
  column('purchasePrice', ['items', 'purchasePrice'], 'Purchase price', 'number', (l) => l.purchasePrice),
  column(
    'value',
    ['items', 'purchasePrice'],
    'Value',
    'number',
    (l) => (l.purchasePrice === null ? null : Math.round(l.onHand * l.purchasePrice * 100) / 100),
    [
      ['items', 'purchasePrice'],
      ['balances', 'quantity'],
    ],
  ),
];

/**
 * Subquery `b`: total on hand per (tenant, item). With `tenantIds` it reads only those tenants'
 * balances; with null it has no explicit filter (the outer query's filter and RLS confine it).
 */
export function onHandPerItem(tx: Kysely<DB>, tenantIds: readonly string[] | null) {
  const q = tx
    .selectFrom('balances')
    .select(['tenant_id', 'item_id', (e) => e.fn.sum<string | number>('quantity').as('on_hand')]);
  return (tenantIds === null ? q : q.where(tenantIn('balances', tenantIds)))
    .groupBy(['tenant_id', 'item_id'])
    .as('b');
}

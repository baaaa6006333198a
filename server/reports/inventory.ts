import type { Kysely } from 'kysely';
import type { Role, TenantPolicy } from '../../shared/access/policy.js';
import type { ReportResult } from '../../shared/api/reports.js';
import type { DB } from '../db/types.js';
import { toNullableNum, toNum } from '../sync/mapping.js';
import type { ItemValueLine } from './columns.js';
import { itemValueColumns } from './columns.js';
import type { ReportDef } from './define.js';
import { projectReport, tenantIn } from './define.js';

/** One raw inventory line, before projection. */
export type InventoryLine = ItemValueLine;

/**
 * The inventory query. `tenantIds` is the explicit filter (`tenant_id = ANY(…)`); `null` runs it
 * without one, which only the isolation suite does, to prove RLS still confines it to the scope.
 */
export async function inventoryLines(
  tx: Kysely<DB>,
  tenantIds: readonly string[] | null,
  opts: { sku?: string; limit?: number } = {},
): Promise<InventoryLine[]> {
  // On hand per item as a correlated sum over that item's balances (index balances_item, 0007):
  // the report reads only the items it returns, not every balance of the tenant.
  let q = tx
    .selectFrom('items as i')
    .select([
      'i.tenant_id',
      'i.sku',
      'i.name',
      'i.uom',
      'i.purchase_price',
      (eb) =>
        eb
          .selectFrom('balances as b')
          .select((e) => e.fn.sum<string | number>('b.quantity').as('s'))
          .whereRef('b.tenant_id', '=', 'i.tenant_id')
          .whereRef('b.item_id', '=', 'i.id')
          .as('on_hand'),
    ])
    .where('i.deleted', '=', false);
  if (tenantIds !== null) q = q.where(tenantIn('i', tenantIds));
  if (opts.sku !== undefined) q = q.where('i.sku', '=', opts.sku);
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  const rows = await q.orderBy('i.tenant_id').orderBy('i.sku').execute();
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    sku: r.sku,
    name: r.name,
    uom: r.uom,
    onHand: r.on_hand === null ? 0 : toNum(r.on_hand),
    purchasePrice: toNullableNum(r.purchase_price),
  }));
}

/** On hand by item (with purchase price and value for roles that read prices). */
export const inventoryReport: ReportDef<InventoryLine> = {
  name: 'inventory',
  columns: itemValueColumns(),
  load: (tx, { tenantIds, filters, limit }) => inventoryLines(tx, tenantIds, { sku: filters.sku, limit }),
};

/** The inventory report projected for the caller (see projectReport). */
export function projectInventory(
  lines: readonly InventoryLine[],
  tenants: readonly string[],
  roles: ReadonlyMap<string, Role>,
  policies: Readonly<Record<string, TenantPolicy>>,
): ReportResult {
  return projectReport(inventoryReport, lines, tenants, roles, policies);
}

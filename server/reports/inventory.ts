import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Entity, Role, TenantPolicy } from '../../shared/access/policy.js';
import { roleCanRead, showTenantColumn } from '../../shared/access/policy.js';
import type { ReportColumn, ReportResult } from '../../shared/api/reports.js';
import type { DB } from '../db/types.js';
import { toNullableNum, toNum } from '../sync/mapping.js';

/** One raw inventory line, before projection. */
export type InventoryLine = {
  tenantId: string;
  sku: string;
  name: string;
  uom: string;
  onHand: number;
  purchasePrice: number | null;
};

/**
 * The inventory query. `tenantIds` is the explicit filter (`tenant_id = ANY(…)`); `null` runs it
 * without one, which only the isolation suite does, to prove RLS still confines it to the scope.
 */
export async function inventoryLines(
  tx: Kysely<DB>,
  tenantIds: readonly string[] | null,
): Promise<InventoryLine[]> {
  let q = tx
    .selectFrom('items as i')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('balances')
          .select(['tenant_id', 'item_id', (e) => e.fn.sum<string | number>('quantity').as('on_hand')])
          .groupBy(['tenant_id', 'item_id'])
          .as('b'),
      (join) => join.onRef('b.tenant_id', '=', 'i.tenant_id').onRef('b.item_id', '=', 'i.id'),
    )
    .select([
      'i.tenant_id',
      'i.sku',
      'i.name',
      'i.uom',
      'i.purchase_price',
      sql<string | number | null>`b.on_hand`.as('on_hand'),
    ])
    .where('i.deleted', '=', false);
  if (tenantIds !== null) q = q.where(sql<boolean>`i.tenant_id = ANY(${[...tenantIds]}::text[])`);
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

type ColumnDef = ReportColumn & {
  needs: [Entity, string][];
  get: (l: InventoryLine) => string | number | null;
};

const COLUMNS: ColumnDef[] = [
  {
    key: 'sku',
    field: 'items.sku',
    label: 'SKU',
    type: 'string',
    needs: [['items', 'sku']],
    get: (l) => l.sku,
  },
  {
    key: 'name',
    field: 'items.name',
    label: 'Name',
    type: 'string',
    needs: [['items', 'name']],
    get: (l) => l.name,
  },
  {
    key: 'uom',
    field: 'items.uom',
    label: 'UoM',
    type: 'string',
    needs: [['items', 'uom']],
    get: (l) => l.uom,
  },
  {
    key: 'onHand',
    field: 'balances.quantity',
    label: 'On hand',
    type: 'number',
    needs: [['balances', 'quantity']],
    get: (l) => l.onHand,
  },
  {
    key: 'purchasePrice',
    field: 'items.purchasePrice',
    label: 'Purchase price',
    type: 'number',
    needs: [['items', 'purchasePrice']],
    get: (l) => l.purchasePrice,
  },
  {
    key: 'value',
    field: 'items.purchasePrice',
    label: 'Value',
    type: 'number',
    needs: [
      ['items', 'purchasePrice'],
      ['balances', 'quantity'],
    ],
    get: (l) => (l.purchasePrice === null ? null : Math.round(l.onHand * l.purchasePrice * 100) / 100),
  },
];

const TENANT_COLUMN: ReportColumn = { key: 'tenantId', field: null, label: 'Tenant', type: 'string' };

/**
 * Projects raw lines with the shared policy: each row with the role and overrides of ITS tenant;
 * a cell the caller may not read in that tenant is absent (never the value, never a mask). A
 * column appears when it is readable in at least one of the tenants.
 */
export function projectInventory(
  lines: readonly InventoryLine[],
  tenants: readonly string[],
  roles: ReadonlyMap<string, Role>,
  policies: Readonly<Record<string, TenantPolicy>>,
): ReportResult {
  const readable = (c: ColumnDef, tenant: string): boolean => {
    const role = roles.get(tenant);
    return (
      role !== undefined && c.needs.every(([e, f]) => roleCanRead(role, e, f, policies[tenant]?.overrides))
    );
  };
  const cols = COLUMNS.filter((c) => tenants.some((t) => readable(c, t)));
  const tenantColumn = showTenantColumn(tenants, policies);
  const allowed = new Set(tenants);
  const rows = lines
    .filter((l) => allowed.has(l.tenantId))
    .map((l) => {
      const row: Record<string, string | number | null> = {};
      if (tenantColumn) row.tenantId = l.tenantId;
      for (const c of cols) if (readable(c, l.tenantId)) row[c.key] = c.get(l);
      return row;
    });
  const strip = ({ key, field, label, type }: ColumnDef): ReportColumn => ({ key, field, label, type });
  return {
    report: 'inventory',
    tenants: [...tenants],
    tenantColumn,
    columns: [...(tenantColumn ? [TENANT_COLUMN] : []), ...cols.map(strip)],
    rows,
  };
}

const FORMULA = /^[=+\-@\t\r]/;

function csvCell(v: string | number | null | undefined, type: ReportColumn['type']): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // A text cell that a spreadsheet would run as a formula is neutralised (CSV injection).
  if (type === 'string' && FORMULA.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report as CSV: a header of column labels, then one line per row (CRLF, RFC 4180). */
export function toCsv(r: ReportResult): string {
  const lines = [r.columns.map((c) => csvCell(c.label, 'string')).join(',')];
  for (const row of r.rows) lines.push(r.columns.map((c) => csvCell(row[c.key], c.type)).join(','));
  return lines.join('\r\n') + '\r\n';
}

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { ReportFilters } from '../../shared/api/reports.js';
import type { DB } from '../db/types.js';
import { toNum } from '../sync/mapping.js';
import { nameColumn, skuColumn } from './columns.js';
import type { ReportDef } from './define.js';
import { column, hasColumn, isoDay, isoTime, tenantIn } from './define.js';

/** Days a ledger report covers when the caller names no range. */
export const DEFAULT_RANGE_DAYS = 30;

/** The date range of a ledger report: the caller's, else the last 30 days up to `at` (UTC days). */
export function ledgerRange(filters: ReportFilters, at: Date): { from: string; to: string } {
  const to = filters.to ?? at.toISOString().slice(0, 10);
  const from =
    filters.from ??
    new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * 86_400_000)
      .toISOString()
      .slice(0, 10);
  return { from, to };
}

/** `created_at` within [from 00:00, to+1 00:00) UTC. */
const inRange = (range: { from: string; to: string }) =>
  sql<boolean>`m.created_at >= ${`${range.from}T00:00:00Z`}::timestamptz AND m.created_at < (${range.to}::date + 1)::timestamptz`;

type MovementLine = {
  tenantId: string;
  createdAt: string;
  type: string;
  sku: string;
  name: string;
  quantity: number;
  fromLocation: string | null;
  toLocation: string | null;
  batch: string | null;
  expiresAt: string | null;
  refId: string | null;
};

/** A column showing the movements' `field` (needed to read it). */
const mv = <L>(
  key: string,
  field: string,
  label: string,
  type: 'string' | 'number',
  get: (l: L) => string | number | null,
) => column(key, ['movements', field], label, type, get);

/** The movement ledger, newest first, filtered by date range, type and SKU. */
export const movementsReport: ReportDef<MovementLine> = {
  name: 'movements',
  columns: [
    mv('createdAt', 'createdAt', 'Time', 'string', (l) => l.createdAt),
    mv('type', 'type', 'Type', 'string', (l) => l.type),
    skuColumn,
    nameColumn,
    mv('quantity', 'quantity', 'Quantity', 'number', (l) => l.quantity),
    mv('fromLocation', 'fromLocationId', 'From', 'string', (l) => l.fromLocation),
    mv('toLocation', 'toLocationId', 'To', 'string', (l) => l.toLocation),
    mv('batch', 'batch', 'Batch', 'string', (l) => l.batch),
    mv('expiresAt', 'expiresAt', 'Expires', 'string', (l) => l.expiresAt),
    mv('refId', 'refId', 'Reference', 'string', (l) => l.refId),
  ],
  load: async (tx, { tenantIds, filters, limit, at }) => {
    const [expiry, ref] = await Promise.all([
      hasColumn(tx, 'movements', 'expires_at'),
      hasColumn(tx, 'movements', 'ref_id'),
    ]);
    let q = tx
      .selectFrom('movements as m')
      .innerJoin('items as i', (j) =>
        j.onRef('i.tenant_id', '=', 'm.tenant_id').onRef('i.id', '=', 'm.item_id'),
      )
      .select([
        'm.tenant_id',
        'm.created_at',
        'm.type',
        'i.sku',
        'i.name',
        'm.quantity',
        'm.from_location_id',
        'm.to_location_id',
        'm.batch',
        (expiry ? sql<unknown>`m.expires_at` : sql<unknown>`NULL`).as('expires_at'),
        (ref ? sql<string | null>`m.ref_id::text` : sql<string | null>`NULL`).as('ref_id'),
      ])
      .where(tenantIn('m', tenantIds))
      .where(inRange(ledgerRange(filters, at)));
    if (filters.type !== undefined) q = q.where('m.type', '=', filters.type);
    if (filters.sku !== undefined) q = q.where('i.sku', '=', filters.sku);
    const rows = await q.orderBy('m.created_at', 'desc').orderBy('m.seq', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      createdAt: isoTime(r.created_at),
      type: r.type,
      sku: r.sku,
      name: r.name,
      quantity: toNum(r.quantity),
      fromLocation: r.from_location_id,
      toLocation: r.to_location_id,
      batch: r.batch,
      expiresAt: isoDay(r.expires_at),
      refId: r.ref_id,
    }));
  },
};

type DailyLine = {
  tenantId: string;
  day: string;
  type: string;
  lines: number;
  documents: number | null;
  items: number;
  quantity: number;
};

/** Movements grouped per UTC day (and type), over the date range. */
async function dailyLines(
  tx: Kysely<DB>,
  tenantIds: readonly string[],
  filters: ReportFilters,
  at: Date,
  limit: number,
  types: readonly string[] | null,
): Promise<DailyLine[]> {
  const ref = await hasColumn(tx, 'movements', 'ref_id');
  const day = sql<string>`to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  let q = tx
    .selectFrom('movements as m')
    .select([
      'm.tenant_id',
      day.as('day'),
      'm.type',
      sql<string | number>`count(*)`.as('lines'),
      (ref
        ? sql<string | number | null>`count(DISTINCT m.ref_id)`
        : sql<string | number | null>`NULL::bigint`
      ).as('documents'),
      sql<string | number>`count(DISTINCT m.item_id)`.as('items'),
      sql<string | number>`sum(m.quantity)`.as('quantity'),
    ])
    .where(tenantIn('m', tenantIds))
    .where(inRange(ledgerRange(filters, at)));
  if (types !== null) q = q.where('m.type', 'in', [...types]);
  else if (filters.type !== undefined) q = q.where('m.type', '=', filters.type);
  const rows = await q
    .groupBy(['m.tenant_id', sql`2`, 'm.type'])
    .orderBy('m.tenant_id')
    .orderBy(sql`2`)
    .orderBy('m.type')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    day: r.day,
    type: r.type,
    lines: toNum(r.lines),
    documents: r.documents === null ? null : toNum(r.documents),
    items: toNum(r.items),
    quantity: toNum(r.quantity),
  }));
}

/** Movements per day and type (the dashboard's chart). */
export const movementsDailyReport: ReportDef<DailyLine> = {
  name: 'movements-daily',
  columns: [
    mv('day', 'createdAt', 'Day', 'string', (l) => l.day),
    mv('type', 'type', 'Type', 'string', (l) => l.type),
    mv('lines', 'id', 'Movements', 'number', (l) => l.lines),
    mv('quantity', 'quantity', 'Quantity', 'number', (l) => l.quantity),
  ],
  load: (tx, { tenantIds, filters, at, limit }) => dailyLines(tx, tenantIds, filters, at, limit, null),
};

const summary = (name: 'receiving' | 'shipping', type: 'receipt' | 'ship'): ReportDef<DailyLine> => ({
  name,
  columns: [
    mv('day', 'createdAt', 'Day', 'string', (l) => l.day),
    mv('documents', 'refId', type === 'receipt' ? 'Receipts' : 'Orders', 'number', (l) => l.documents),
    mv('lines', 'id', 'Lines', 'number', (l) => l.lines),
    mv('items', 'itemId', 'Items', 'number', (l) => l.items),
    mv('quantity', 'quantity', 'Quantity', 'number', (l) => l.quantity),
  ],
  load: (tx, { tenantIds, filters, at, limit }) => dailyLines(tx, tenantIds, filters, at, limit, [type]),
});

/** Receipts per day: lines, receipts (by reference), distinct items, quantity. */
export const receivingReport = summary('receiving', 'receipt');
/** Shipments per day: lines, orders (by reference), distinct items, quantity. */
export const shippingReport = summary('shipping', 'ship');

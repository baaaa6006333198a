import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../db/types.js';
import { toNullableNum, toNum } from '../sync/mapping.js';
import type { ItemValueLine } from './columns.js';
import {
  itemValueColumns,
  nameColumn,
  onHandColumn,
  onHandPerItem,
  skuColumn,
  uomColumn,
} from './columns.js';
import type { LoadArgs, ReportDef } from './define.js';
import { column, daysUntil, hasColumn, isoDay, tenantIn } from './define.js';

/** One balance (item × location × batch) with its item. */
export type BalanceLine = {
  tenantId: string;
  sku: string;
  name: string;
  uom: string;
  locationId: string;
  batch: string | null;
  expiresAt: string | null;
  quantity: number;
};

/** Non-zero balances (`b`) of live items (`i`) in the tenants: what every stock report reads. */
const liveBalances = (tx: Kysely<DB>, tenantIds: readonly string[]) =>
  tx
    .selectFrom('balances as b')
    .innerJoin('items as i', (j) =>
      j.onRef('i.tenant_id', '=', 'b.tenant_id').onRef('i.id', '=', 'b.item_id'),
    )
    .where(tenantIn('b', tenantIds))
    .where('i.deleted', '=', false)
    .where('b.quantity', '<>', 0);

/**
 * Non-zero balances of live items. Expiry comes from `balances.expires_at` once the floor
 * migration added it (null before). `expiringBy` keeps only batches expiring on or before that day.
 */
export async function balanceLines(
  tx: Kysely<DB>,
  { tenantIds, filters, limit }: LoadArgs,
  opts: { expiringBy?: string; order: 'location' | 'item' | 'expiry' },
): Promise<BalanceLine[]> {
  const expiry = await hasColumn(tx, 'balances', 'expires_at');
  const expiresAt = expiry ? sql<unknown>`b.expires_at` : sql<unknown>`NULL`;
  let q = liveBalances(tx, tenantIds).select([
    'b.tenant_id',
    'i.sku',
    'i.name',
    'i.uom',
    'b.location_id',
    'b.batch',
    'b.quantity',
    expiresAt.as('expires_at'),
  ]);
  if (filters.sku !== undefined) q = q.where('i.sku', '=', filters.sku);
  if (opts.expiringBy !== undefined) {
    // Without the column nothing is known to expire: an empty report, not every batch.
    if (!expiry) return [];
    // A text range (ISO days sort as text; a timestamp on the last day sorts below the next day),
    // so the partial index balances_expiry (0008) serves it.
    const dayAfter = new Date(Date.parse(`${opts.expiringBy}T00:00:00Z`) + 86_400_000)
      .toISOString()
      .slice(0, 10);
    q = q.where(sql<boolean>`b.expires_at IS NOT NULL AND b.expires_at < ${dayAfter}`);
  }
  q = q.orderBy('b.tenant_id');
  if (opts.order === 'expiry') q = q.orderBy(sql`expires_at`).orderBy('i.sku');
  else if (opts.order === 'location') q = q.orderBy('b.location_id').orderBy('i.sku');
  else q = q.orderBy('i.sku').orderBy('b.location_id');
  const rows = await q.orderBy('b.batch').limit(limit).execute();
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    sku: r.sku,
    name: r.name,
    uom: r.uom,
    locationId: r.location_id,
    batch: r.batch,
    expiresAt: isoDay(r.expires_at),
    quantity: toNum(r.quantity),
  }));
}

const location = column<{ locationId: string }>(
  'location',
  ['balances', 'locationId'],
  'Location',
  'string',
  (l) => l.locationId,
);
const batch = column<BalanceLine>('batch', ['balances', 'batch'], 'Batch', 'string', (l) => l.batch);
const expiresAt = column<BalanceLine>(
  'expiresAt',
  ['balances', 'expiresAt'],
  'Expires',
  'string',
  (l) => l.expiresAt,
);
const quantity = onHandColumn<{ quantity: number }>((l) => l.quantity);

/** On hand per location, item and batch. */
export const byLocationReport: ReportDef<BalanceLine> = {
  name: 'inventory-by-location',
  columns: [location, skuColumn, nameColumn, batch, uomColumn, quantity],
  load: (tx, args) => balanceLines(tx, args, { order: 'location' }),
};

/** On hand per item, batch and location, with the batch's expiry. */
export const byBatchReport: ReportDef<BalanceLine> = {
  name: 'inventory-by-batch',
  columns: [skuColumn, nameColumn, batch, expiresAt, location, uomColumn, quantity],
  load: (tx, args) => balanceLines(tx, args, { order: 'item' }),
};

/** Batches expiring within `days` (default 30) of today, soonest first, with days left. */
export const byExpiryReport: ReportDef<BalanceLine & { daysLeft: number | null }> = {
  name: 'inventory-by-expiry',
  columns: [
    expiresAt,
    column('daysLeft', ['balances', 'expiresAt'], 'Days left', 'number', (l) => l.daysLeft),
    skuColumn,
    nameColumn,
    batch,
    location,
    uomColumn,
    quantity,
  ],
  load: async (tx, args) => {
    const horizon = new Date(args.at.getTime() + (args.filters.days ?? 30) * 86_400_000);
    const lines = await balanceLines(tx, args, {
      order: 'expiry',
      expiringBy: horizon.toISOString().slice(0, 10),
    });
    return lines.map((l) => ({
      ...l,
      daysLeft: l.expiresAt === null ? null : daysUntil(l.expiresAt, args.at),
    }));
  },
};

type LocationLine = { tenantId: string; locationId: string; items: number; quantity: number };

/** Stock per location: distinct items and total quantity (the dashboard's chart). */
export const stockByLocationReport: ReportDef<LocationLine> = {
  name: 'stock-by-location',
  columns: [location, column('items', ['balances', 'itemId'], 'Items', 'number', (l) => l.items), quantity],
  load: async (tx, { tenantIds, limit }) => {
    const rows = await liveBalances(tx, tenantIds)
      .select([
        'b.tenant_id',
        'b.location_id',
        sql<string | number>`count(DISTINCT b.item_id)`.as('items'),
        sql<string | number>`sum(b.quantity)`.as('quantity'),
      ])
      .groupBy(['b.tenant_id', 'b.location_id'])
      .orderBy('b.tenant_id')
      .orderBy('b.location_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      locationId: r.location_id,
      items: toNum(r.items),
      quantity: toNum(r.quantity),
    }));
  },
};

/**
 * Stock valuation (on hand × purchase price). `requires` makes the route refuse it outright to a
 * caller who may not read purchase prices in any of the tenants: the query never runs for them.
 */
export const valuationReport: ReportDef<ItemValueLine> = {
  name: 'valuation',
  requires: [
    ['items', 'purchasePrice'],
    ['balances', 'quantity'],
  ],
  columns: itemValueColumns(),
  load: async (tx, { tenantIds, filters, limit }) => {
    let q = tx
      .selectFrom('items as i')
      .innerJoin(onHandPerItem(tx, tenantIds), (join) =>
        join.onRef('b.tenant_id', '=', 'i.tenant_id').onRef('b.item_id', '=', 'i.id'),
      )
      .select(['i.tenant_id', 'i.sku', 'i.name', 'i.uom', 'i.purchase_price', 'b.on_hand'])
      .where(tenantIn('i', tenantIds))
      .where('i.deleted', '=', false)
      .where(sql<boolean>`b.on_hand <> 0`);
    if (filters.sku !== undefined) q = q.where('i.sku', '=', filters.sku);
    const rows = await q.orderBy('i.tenant_id').orderBy('i.sku').limit(limit).execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      sku: r.sku,
      name: r.name,
      uom: r.uom,
      onHand: toNum(r.on_hand),
      purchasePrice: toNullableNum(r.purchase_price),
    }));
  },
};

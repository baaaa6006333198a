/**
 * A large tenant for the scale benchmark and tests: `items` items, five movements per item
 * (receipt → put-away → transfer → pick → ship) and the balances the server derives from them
 * (item × location × batch), loaded straight into the server database as owner.
 *
 * Every fourth item is batch- and expiry-tracked (expiries spread from 10 days ago to a year
 * ahead); every hundredth item has a minimum stock above what it holds (the low-stock list);
 * movements spread over the last 90 days. One open order asks for a tracked item (FEFO).
 */
import { sql, type Insertable, type Kysely } from 'kysely';
import { balanceId } from '../../shared/domain/schemas.js';
import type { BalancesTable, DB, ItemsTable, MovementsTable } from '../../server/db/types.js';
import { demoUserId, stableUuid } from '../../server/db/seed.js';
import { benchItem, location } from './data.js';

const UOMS = ['pcs', 'box', 'kg', 'm', 'pal'] as const;
const DAY = 86_400_000;
/** Movements per item (receipt, put-away, transfer, pick, ship). */
export const MOVEMENTS_PER_ITEM = 5;

/** What `loadScaleTenant` wrote, for the measurements to check against. */
export type ScaleTenant = {
  items: number;
  movements: number;
  balances: number;
  /** Items with a minimum stock above their on-hand. */
  lowStock: number;
  /** Batches with stock that expire within 30 days of `now` (expired ones included). */
  expiring30: number;
  /** The open order's id and number; its one line asks for a tracked item held in two bins. */
  order: { id: string; number: string; itemId: string; sku: string };
  /** A SKU that is on file (for filters). */
  sampleSku: string;
};

export const isTracked = (i: number) => i % 4 === 0;
export const hasMinStock = (i: number) => i % 100 === 0;
/** A tracked item's batch expiry (ISO day), from 10 days before `now` to 355 days after. */
export const expiryOf = (i: number, now: Date) =>
  new Date(now.getTime() + (((i * 13) % 366) - 10) * DAY).toISOString().slice(0, 10);

/** The second bin of item `i` (the transfer's target), never its first. */
const secondBin = (i: number) => location(i + 37);

/** The tenant described above; items take seq 1..n, movements n+1..6n, balances after them. */
export async function loadScaleTenant(
  owner: Kysely<DB>,
  tenant: string,
  n: number,
  now: Date,
): Promise<ScaleTenant> {
  const chunk = 2000;
  const mBase = n;
  const bBase = n + MOVEMENTS_PER_ITEM * n;
  let balances = 0;
  let lowStock = 0;
  let expiring30 = 0;
  const horizon = new Date(now.getTime() + 30 * DAY).toISOString().slice(0, 10);
  for (let start = 1; start <= n; start += chunk) {
    const items: Insertable<ItemsTable>[] = [];
    const moves: Insertable<MovementsTable>[] = [];
    const bals: Insertable<BalancesTable>[] = [];
    for (let i = start; i < Math.min(start + chunk, n + 1); i++) {
      const it = benchItem(tenant, i);
      const tracked = isTracked(i);
      const q = 20 + ((i * 7) % 80);
      const third = Math.floor(q / 3);
      const kept = q - third - 2;
      items.push({
        tenant_id: tenant,
        id: it.id,
        sku: it.sku,
        name: it.name,
        barcode: it.barcode,
        uom: UOMS[i % UOMS.length] ?? 'pcs',
        purchase_price: Math.round(((i * 37) % 9900) + 100) / 100,
        batch_tracked: tracked,
        expiry_tracked: tracked,
        min_stock: hasMinStock(i) ? q + 10 : null,
        updated_at: now,
        seq: i,
        deleted: false,
      });
      if (hasMinStock(i)) lowStock++;
      const batch = tracked ? `B${String(i).padStart(6, '0')}` : null;
      const expiresAt = tracked ? expiryOf(i, now) : null;
      if (expiresAt !== null && expiresAt <= horizon) expiring30 += 2; // both bins hold some
      const at = now.getTime() - (i % 90) * DAY - 6 * 3600_000;
      const steps: [MovementsTable['type'], string | null, string | null, number][] = [
        ['receipt', null, 'RCV-01', q],
        ['putaway', 'RCV-01', location(i), q],
        ['transfer', location(i), secondBin(i), third],
        ['pick', location(i), 'STG-01', 2],
        ['ship', 'STG-01', null, 2],
      ];
      steps.forEach(([type, from, to, qty], k) => {
        const created = new Date(at + k * 3600_000);
        moves.push({
          tenant_id: tenant,
          id: stableUuid(`${tenant}/scale-movement/${i}/${k}`),
          item_id: it.id,
          type,
          quantity: qty,
          from_location_id: from,
          to_location_id: to,
          batch,
          note: null,
          created_at: created,
          created_by: demoUserId('op.acme'),
          device_id: 'scale-seed',
          received_at: created,
          seq: mBase + (i - 1) * MOVEMENTS_PER_ITEM + k + 1,
          expires_at: type === 'receipt' ? expiresAt : null,
        });
      });
      // What the server derives: one row per item × location × batch the movements touched
      // (zero rows stay, as they do on the server).
      const rows: [string, number][] = [
        ['RCV-01', 0],
        [location(i), kept],
        [secondBin(i), third],
        ['STG-01', 0],
      ];
      for (const [loc, qty] of rows) {
        balances++;
        bals.push({
          tenant_id: tenant,
          id: balanceId(it.id, loc, batch),
          item_id: it.id,
          location_id: loc,
          batch,
          quantity: qty,
          expires_at: expiresAt,
          updated_at: now,
          seq: bBase + balances,
        });
      }
    }
    // At most ~2,000 rows per statement: PostgreSQL takes 65,535 parameters.
    await owner.insertInto('items').values(items).execute();
    for (let k = 0; k < moves.length; k += 2000)
      await owner
        .insertInto('movements')
        .values(moves.slice(k, k + 2000))
        .execute();
    for (let k = 0; k < bals.length; k += 2000)
      await owner
        .insertInto('balances')
        .values(bals.slice(k, k + 2000))
        .execute();
  }
  // The open order: a tracked item (stock in two bins, so FEFO has a choice).
  const i = 4 * Math.max(1, Math.floor(n / 8));
  const it = benchItem(tenant, i);
  const order = {
    id: stableUuid(`${tenant}/scale-order/1`),
    number: `SO-SCALE-0001`,
    itemId: it.id,
    sku: it.sku,
  };
  const lastSeq = bBase + balances + 1;
  await owner
    .insertInto('orders')
    .values({
      tenant_id: tenant,
      id: order.id,
      number: order.number,
      customer_name: 'Scale Customer',
      customer_phone: null,
      customer_email: null,
      ship_to: JSON.stringify({
        line1: '1 Long Road',
        city: 'Shanghai',
        postalCode: '200000',
        country: 'CN',
      }),
      status: 'open',
      lines: JSON.stringify([{ lineId: '1', itemId: it.id, qty: 5 }]),
      updated_at: now,
      seq: lastSeq,
    })
    .execute();
  await owner
    .insertInto('tenant_seq')
    .values({ tenant_id: tenant, last_seq: lastSeq })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ last_seq: lastSeq }))
    .execute();
  for (const t of ['items', 'movements', 'balances', 'orders'])
    await sql`ANALYZE ${sql.table(t)}`.execute(owner);
  return {
    items: n,
    movements: MOVEMENTS_PER_ITEM * n,
    balances,
    lowStock,
    expiring30,
    order,
    sampleSku: benchItem(tenant, Math.max(1, Math.floor(n / 2))).sku,
  };
}
